using System.Globalization;
using System.Net;
using System.Text;
using Research.Torch;
using Research.Torch.NN;

namespace Research.Interactive;

/// <summary>The notebook view of a <see cref="Module"/>: one row per parameter (dotted name, shape, dtype, count, trainable) with totals, and the module tree.</summary>
public static class ModuleView
{
    private const string Cell = "padding:2px 8px;text-align:right";
    private const string LeftCell = "padding:2px 8px;text-align:left";

    /// <summary>The parameter table as HTML.</summary>
    public static string ToHtml(Module module)
    {
        var rows = module.NamedParameters().Select(p => Row.Of(p.Name, p.Param)).ToList();
        long total = rows.Sum(r => r.Count), trainable = rows.Where(r => r.Trainable).Sum(r => r.Count);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("<div class=\"research-module\" style=\"font-family:monospace;font-size:12px\">");
        sb.Append("<div style=\"font-weight:bold;margin-bottom:4px\">").Append(WebUtility.HtmlEncode(module.GetType().Name))
          .Append(c, $": {total:N0} parameters in {rows.Count} tensors (trainable {trainable:N0}, frozen {total - trainable:N0})</div>");
        sb.Append("<table class=\"research-table\" style=\"border-collapse:collapse\"><thead><tr>");
        foreach (var (h, style) in new[] { ("parameter", LeftCell), ("shape", LeftCell), ("dtype", LeftCell), ("count", Cell), ("trainable", Cell) })
            sb.Append($"<th style=\"{style};border-bottom:1px solid #888\">{h}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var r in rows)
            sb.Append($"<tr><td style=\"{LeftCell}\">{WebUtility.HtmlEncode(r.Name)}</td><td style=\"{LeftCell}\">{r.Shape}</td><td style=\"{LeftCell}\">{r.DType}</td>")
              .Append(c, $"<td style=\"{Cell}\">{r.Count:N0}</td><td style=\"{Cell}\">{(r.Trainable ? "yes" : "no")}</td></tr>");
        sb.Append("</tbody><tfoot><tr>")
          .Append(c, $"<td style=\"{LeftCell};border-top:1px solid #888;font-weight:bold\" colspan=\"3\">total</td><td style=\"{Cell};border-top:1px solid #888;font-weight:bold\">{total:N0}</td>")
          .Append(c, $"<td style=\"{Cell};border-top:1px solid #888\">{trainable:N0}</td></tr></tfoot></table>");
        sb.Append("<details style=\"margin-top:4px\"><summary>structure</summary><pre style=\"margin:2px 0\">")
          .Append(WebUtility.HtmlEncode(module.ToString())).Append("</pre></details></div>");
        return sb.ToString();
    }

    private sealed record Row(string Name, string Shape, string DType, long Count, bool Trainable)
    {
        public static Row Of(string name, Parameter p)
        {
            if (p.IsDisposed) return new Row(name, "(disposed)", "", 0, false);
            var shape = p.Shape;
            return new Row(name, $"[{string.Join(", ", shape)}]", p.DType.Name(), shape.Aggregate(1L, (a, b) => a * b), p.RequiresGrad);
        }
    }
}
