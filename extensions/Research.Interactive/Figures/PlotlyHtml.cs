using System.Net;
using System.Text;

namespace Research.Interactive;

/// <summary>HTML for figures: a div plus a script that draws when plotly.js is available.</summary>
internal static class PlotlyHtml
{
    private static long _nextId;

    /// <summary>A fresh element id, unique in this process.</summary>
    public static string NewId(string prefix = "research-fig") =>
        $"{prefix}-{Environment.ProcessId:x}-{Interlocked.Increment(ref _nextId)}";

    /// <summary>The library as an inline script. "&lt;/script" never occurs in the bundle, but is escaped defensively.</summary>
    public static string LibraryScript() =>
        "<script type=\"text/javascript\">" + PlotlyJs.Script.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) + "</script>";

    public static string Fragment(Figure figure, string json, bool selfContained) =>
        Fragment(json, figure.Layout.Width is { } w ? $"{w}px" : "100%", figure.Layout.Height ?? Figure.DefaultHeight, selfContained);

    /// <summary>A div of the given CSS width and pixel height drawn from plotly figure JSON ({data, layout, config}).</summary>
    public static string Fragment(string json, string width, int height, bool selfContained)
    {
        var id = NewId();
        var sb = new StringBuilder();
        if (selfContained) sb.Append(LibraryScript()).Append('\n');
        sb.Append($"<div id=\"{id}\" class=\"research-figure\" style=\"width:{width};height:{height}px;\"></div>\n");
        // The JSON serializer escapes <, > and & as \u003C etc., so the figure cannot close the script element.
        sb.Append("<script type=\"text/javascript\">\n(function () {\n");
        sb.Append($"  var figure = {json};\n");
        sb.Append($"  var id = \"{id}\";\n");
        sb.Append("""
              function draw() {
                var gd = document.getElementById(id);
                if (gd) window.Plotly.react(gd, figure.data, figure.layout, figure.config);
              }
              if (window.Plotly) { draw(); return; }
              var tries = 0;
              var timer = setInterval(function () {
                if (window.Plotly) { clearInterval(timer); draw(); }
                else if (++tries > 1200) {
                  clearInterval(timer);
                  var gd = document.getElementById(id);
                  if (gd) gd.textContent = "plotly.js is not loaded in this page: show a self-contained figure first.";
                }
              }, 50);
            })();
            </script>
            """);
        return sb.ToString();
    }

    public static string Page(string body, string title) => $"""
        <!DOCTYPE html>
        <html>
        <head>
        <meta charset="utf-8">
        <title>{WebUtility.HtmlEncode(title)}</title>
        <style>body {"{"} font-family: sans-serif; margin: 16px; {"}"}</style>
        </head>
        <body>
        {body}
        </body>
        </html>
        """;
}
