using System.Globalization;
using System.Net;
using System.Text;

namespace Research.Interactive;

/// <summary>
/// A compact view of a data frame: column names and types, the first and last rows, and the total row count. Readers
/// for each frame library (Microsoft.Data.Analysis, Deedle) fill it by reading only the rows shown, so showing a frame
/// costs the same for ten rows as for ten million.
/// </summary>
public sealed class FrameTable
{
    /// <summary>Frames with at most this many rows are shown whole; longer ones as head and tail.</summary>
    public const int ShowAllUpTo = 20;

    /// <summary>Rows shown at the head and at the tail of a longer frame.</summary>
    public const int HeadTail = 5;

    /// <summary>Columns shown; the rest are counted.</summary>
    public const int MaxColumns = 40;

    /// <summary>A frame's view: <paramref name="cell"/>(row, column) is called only for the rows and columns shown.</summary>
    public FrameTable(string kind, long rowCount, IReadOnlyList<string> columnNames, IReadOnlyList<Type> columnTypes,
        Func<long, string> rowKey, Func<long, int, object?> cell, string? indexName = null)
    {
        Kind = kind;
        RowCount = rowCount;
        ColumnCount = columnNames.Count;
        var shownColumns = Math.Min(columnNames.Count, MaxColumns);
        Columns = columnNames.Take(shownColumns).ToList();
        Types = columnTypes.Take(shownColumns).ToList();
        IndexName = indexName;
        var rows = rowCount <= ShowAllUpTo
            ? Enumerable.Range(0, (int)rowCount).Select(i => (long)i)
            : Enumerable.Range(0, HeadTail).Select(i => (long)i).Concat(Enumerable.Range(0, HeadTail).Select(i => rowCount - HeadTail + i));
        Rows = rows.Select(r => (r, rowKey(r), Enumerable.Range(0, shownColumns).Select(c => cell(r, c)).ToArray())).ToList();
    }

    /// <summary>What the frame is ("DataFrame", "Deedle frame").</summary>
    public string Kind { get; }

    /// <summary>All rows of the frame.</summary>
    public long RowCount { get; }

    /// <summary>All columns of the frame.</summary>
    public int ColumnCount { get; }

    /// <summary>Names of the columns shown.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Element types of the columns shown.</summary>
    public IReadOnlyList<Type> Types { get; }

    /// <summary>The row-key column's header (Deedle's row keys), or null for a positional index.</summary>
    public string? IndexName { get; }

    /// <summary>The rows shown: position, key, cells.</summary>
    public IReadOnlyList<(long Position, string Key, object?[] Cells)> Rows { get; }

    private bool Cut => RowCount > ShowAllUpTo;

    private string Summary =>
        $"{Kind}: {RowCount.ToString("N0", CultureInfo.InvariantCulture)} row{(RowCount == 1 ? "" : "s")} × {ColumnCount} column{(ColumnCount == 1 ? "" : "s")}" +
        (ColumnCount > Columns.Count ? $" (first {Columns.Count} shown)" : "");

    /// <summary>An HTML table (types under the names, numbers right-aligned, a "…" row between head and tail).</summary>
    public string ToHtml()
    {
        const string th = "padding:2px 8px;border-bottom:1px solid #888;text-align:right";
        const string td = "padding:2px 8px;text-align:right";
        var sb = new StringBuilder();
        sb.Append("<div class=\"research-frame\"><table style=\"border-collapse:collapse;font-family:monospace;font-size:12px\">");
        sb.Append("<caption style=\"caption-side:bottom;text-align:left;color:#666;padding-top:4px\">").Append(WebUtility.HtmlEncode(Summary)).Append("</caption>");
        sb.Append("<thead><tr><th style=\"").Append(th).Append("\">").Append(WebUtility.HtmlEncode(IndexName ?? "")).Append("</th>");
        for (var c = 0; c < Columns.Count; c++)
            sb.Append("<th style=\"").Append(th).Append("\" title=\"").Append(WebUtility.HtmlEncode(Types[c].FullName ?? Types[c].Name)).Append("\">")
              .Append(WebUtility.HtmlEncode(Columns[c]))
              .Append("<br><span style=\"font-weight:normal;color:#888\">").Append(WebUtility.HtmlEncode(TypeName(Types[c]))).Append("</span></th>");
        sb.Append("</tr></thead><tbody>");
        for (var i = 0; i < Rows.Count; i++)
        {
            if (Cut && i == HeadTail)
                sb.Append("<tr><td style=\"").Append(td).Append(";color:#888\">…</td><td colspan=\"").Append(Columns.Count)
                  .Append("\" style=\"padding:2px 8px;color:#888\">").Append((RowCount - 2 * HeadTail).ToString("N0", CultureInfo.InvariantCulture)).Append(" more rows</td></tr>");
            var (_, key, cells) = Rows[i];
            sb.Append("<tr><td style=\"").Append(td).Append(";color:#666\">").Append(WebUtility.HtmlEncode(key)).Append("</td>");
            foreach (var cell in cells)
            {
                sb.Append("<td style=\"").Append(cell is string or char or bool or null ? "padding:2px 8px;text-align:left" : td).Append("\">");
                sb.Append(cell is null ? "<span style=\"color:#aaa\">null</span>" : WebUtility.HtmlEncode(FormatCell(cell)));
                sb.Append("</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table></div>");
        return sb.ToString();
    }

    /// <summary>Fixed-width text: names, types, rows (head, "…", tail) and the summary line.</summary>
    public string ToText()
    {
        var header = new[] { IndexName ?? "" }.Concat(Columns).ToList();
        var types = new[] { "" }.Concat(Types.Select(TypeName)).ToList();
        var lines = Rows.Select(r => new[] { r.Key }.Concat(r.Cells.Select(c => c is null ? "null" : FormatCell(c))).ToList()).ToList();
        var widths = header.Select((h, i) => new[] { h.Length, types[i].Length }.Concat(lines.Select(l => l[i].Length)).Max()).ToList();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => c.PadLeft(widths[i]))).TrimEnd();
        var sb = new StringBuilder();
        sb.AppendLine(Line(header)).AppendLine(Line(types));
        for (var i = 0; i < lines.Count; i++)
        {
            if (Cut && i == HeadTail) sb.AppendLine("…".PadLeft(widths[0]) + $"  ({(RowCount - 2 * HeadTail).ToString("N0", CultureInfo.InvariantCulture)} more rows)");
            sb.AppendLine(Line(lines[i]));
        }
        sb.Append(Summary);
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToText();

    /// <summary>Numbers to six significant digits (no float noise), dates in ISO form, everything else as its text.</summary>
    public static string FormatCell(object value) => value switch
    {
        double d => FormatReal(d),
        float f => FormatReal(f),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        DateTime t => t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string FormatReal(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "∞" : "-∞")
        : d != 0 && (Math.Abs(d) >= 1e7 || Math.Abs(d) < 1e-4) ? d.ToString("0.#####e+0", CultureInfo.InvariantCulture)
        : d.ToString("G6", CultureInfo.InvariantCulture);

    private static string TypeName(Type t) => Nullable.GetUnderlyingType(t) is { } u ? TypeName(u) + "?" : t switch
    {
        _ when t == typeof(double) => "double", _ when t == typeof(float) => "float", _ when t == typeof(int) => "int",
        _ when t == typeof(long) => "long", _ when t == typeof(string) => "string", _ when t == typeof(bool) => "bool",
        _ when t == typeof(object) => "object", _ when t == typeof(decimal) => "decimal", _ when t == typeof(short) => "short",
        _ when t == typeof(byte) => "byte", _ when t == typeof(char) => "char",
        _ => t.Name,
    };
}
