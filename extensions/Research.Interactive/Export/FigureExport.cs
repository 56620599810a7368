using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Research.Interactive;

/// <summary>
/// Static PNG export through headless Chromium (Debian's <c>chromium</c>): the figure is drawn by plotly.js in a local page
/// and rasterised with <c>Plotly.toImage</c>, the same path as plotly's own image export. No Playwright and no network.
/// </summary>
public static partial class FigureExport
{
    /// <summary>Environment variable naming the Chromium executable (default /usr/bin/chromium).</summary>
    public const string ChromiumVariable = "RESEARCH_CHROMIUM";

    /// <summary>The flags Chromium runs with: headless, sandbox-free (containers, root), no GPU, and no background traffic.</summary>
    public static readonly IReadOnlyList<string> ChromiumArguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
    ];

    /// <summary>The Chromium executable: <c>$RESEARCH_CHROMIUM</c>, else /usr/bin/chromium; throws if neither exists.</summary>
    public static string FindChromium()
    {
        var path = Environment.GetEnvironmentVariable(ChromiumVariable);
        if (string.IsNullOrEmpty(path)) path = "/usr/bin/chromium";
        if (!File.Exists(path))
            throw new FileNotFoundException($"Chromium not found at '{path}': install Debian's chromium package (environment/apt-packages.txt) or set {ChromiumVariable}.", path);
        return path;
    }

    /// <summary>Renders <paramref name="figure"/> to a PNG of <paramref name="width"/>×<paramref name="height"/> CSS pixels times <paramref name="scale"/>.</summary>
    public static byte[] ToPng(Figure figure, int width = 900, int? height = null, double scale = 1, TimeSpan? timeout = null)
    {
        int h = height ?? figure.Layout.Height ?? Figure.DefaultHeight;
        var dir = Directory.CreateTempSubdirectory("research-png-");
        try
        {
            var page = Path.Combine(dir.FullName, "figure.html");
            File.WriteAllText(page, ExportPage(figure, width, h, scale));
            var psi = new ProcessStartInfo(FindChromium())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in ChromiumArguments) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add($"--user-data-dir={Path.Combine(dir.FullName, "profile")}");
            psi.ArgumentList.Add("--virtual-time-budget=30000");
            psi.ArgumentList.Add("--dump-dom");
            psi.ArgumentList.Add(new Uri(page).AbsoluteUri);

            using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var limit = timeout ?? TimeSpan.FromSeconds(90);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"Chromium did not finish the PNG export within {limit.TotalSeconds:F0} s.");
            }
            var dom = stdout.Result;
            var match = ResultPattern().Match(dom);
            if (!match.Success)
                throw new InvalidOperationException($"Chromium exited with {process.ExitCode} without an image. stderr: {Tail(stderr.Result)}");
            var text = WebUtility.HtmlDecode(match.Groups[1].Value);
            const string prefix = "data:image/png;base64,";
            if (!text.StartsWith(prefix, StringComparison.Ordinal))
                throw new InvalidOperationException($"plotly could not render the figure: {text}");
            return Convert.FromBase64String(text[prefix.Length..]);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Writes <see cref="ToPng"/> to <paramref name="path"/>, creating its directory.</summary>
    public static void SavePng(Figure figure, string path, int width = 900, int? height = null, double scale = 1)
    {
        var bytes = ToPng(figure, width, height, scale);
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        File.WriteAllBytes(path, bytes);
    }

    private static string ExportPage(Figure figure, int width, int height, double scale)
    {
        var plotly = new Uri(PlotlyJs.FindPath()).AbsoluteUri;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return $$"""
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><script src="{{plotly}}"></script></head>
            <body style="margin:0;background:white">
            <div id="figure" style="width:{{width}}px;height:{{height}}px"></div>
            <pre id="research-png"></pre>
            <script>
            (function () {
              var out = document.getElementById("research-png");
              var fig = {{figure.ToJson()}};
              var layout = Object.assign({}, fig.layout, { width: {{width}}, height: {{height}} });
              if (!window.Plotly) { out.textContent = "ERROR plotly.js did not load from {{plotly}}"; return; }
              Plotly.newPlot("figure", fig.data, layout, { staticPlot: true })
                .then(function (gd) { return Plotly.toImage(gd, { format: "png", width: {{width}}, height: {{height}}, scale: {{scale.ToString(inv)}} }); })
                .then(function (url) { out.textContent = url; })
                .catch(function (e) { out.textContent = "ERROR " + e; });
            })();
            </script>
            </body></html>
            """;
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : s[^2000..];

    [GeneratedRegex("<pre id=\"research-png\">([^<]*)</pre>")]
    private static partial Regex ResultPattern();
}
