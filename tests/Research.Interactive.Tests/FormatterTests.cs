using System.IO.Compression;
using System.Diagnostics;
using Microsoft.DotNet.Interactive.Formatting;

namespace Research.Interactive.Tests;

public record Row(string Name, double Loss, int Epoch);

[Collection(DisplayCollection.Name)]
public class FormatterTests
{
    [Fact]
    public void RegisterIsIdempotentAndFormatsFiguresAndRecordLists()
    {
        Formatters.Register();
        Formatters.Register();
        var fig = new Figure([new Scatter { X = [1], Y = [2] }]);
        Assert.Contains("research-figure", Formatter.ToDisplayString(fig, "text/html"));
        Assert.Contains("research-figure", Formatter.ToDisplayString(new LossCurve(), "text/html"));

        var rows = new List<Row> { new("a", 0.5, 1), new("b<c", 0.25, 2) };
        var html = Formatter.ToDisplayString(rows, "text/html");
        Assert.Contains("<th style=\"text-align:right;padding:2px 8px;border-bottom:1px solid #888\">Loss</th>", html);
        Assert.Contains("b&lt;c", html);
        Assert.Equal(1, html.Split("research-table").Length - 1);
        Assert.Contains("research-table", Formatter.ToDisplayString(rows.ToArray(), "text/html"));

        // Sequences of non-records keep .NET Interactive's own formatting.
        Assert.DoesNotContain("research-table", Formatter.ToDisplayString(new List<int> { 1, 2 }, "text/html"));
        Assert.Equal("hello", Formatter.ToDisplayString("hello", "text/plain"));
    }

    [Fact]
    public void RecordTablesAreCutAfterMaxRows()
    {
        var html = RecordTable.ToHtml(Enumerable.Range(0, 250).Select(i => new Row("r", i, i)));
        Assert.Equal(RecordTable.MaxRows + 1, html.Split("<tr>").Length - 1);
        Assert.Contains("50 more rows", html);
    }

    [Fact]
    public void ExtensionPointRegistersTypeFormattersOnce()
    {
        Formatters.Register<Uri>(u => $"<a class=\"uri\">{u.Host}</a>");
        Formatters.Register<Uri>(u => "second registration is ignored");
        Assert.Equal("<a class=\"uri\">example.org</a>", Formatter.ToDisplayString(new Uri("http://example.org/x"), "text/html"));
    }

    [Fact]
    public void FirstNotebookFigureEmbedsPlotlyAndLaterOnesDoNot()
    {
        PlotlyJs.ResetNotebook();
        try
        {
            var fig = new Figure([new Scatter { X = [1], Y = [2] }]);
            var first = Formatters.ToMimeBundle(fig);
            var second = Formatters.ToMimeBundle(fig);
            Assert.Contains("plotly.js v4.1.2", first.GetText(MimeBundle.Html));
            Assert.DoesNotContain("plotly.js v4.1.2", second.GetText(MimeBundle.Html));
            Assert.Equal("scatter", (string)second.ToJson()[MimeBundle.PlotlyJson]!["data"]![0]!["type"]!);
        }
        finally { PlotlyJs.ResetNotebook(); }
    }

    [Fact]
    public void PackedNuGetPackageHoldsTheExtensionScriptAndAssembly()
    {
        var config = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
        var output = Directory.CreateTempSubdirectory("research-pack-");
        try
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "pack", Path.Combine(Repo.Root, "extensions/Research.Interactive/Research.Interactive.csproj"), "-c", config, "--no-build", "-o", output.FullName, "-nologo" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var log = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, log);
            var nupkg = Assert.Single(Directory.GetFiles(output.FullName, "Research.Interactive.*.nupkg"));
            using var zip = ZipFile.OpenRead(nupkg);
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("interactive-extensions/dotnet/extension.dib", names);
            Assert.Contains("lib/net10.0/Research.Interactive.dll", names);
            using var dib = new StreamReader(zip.GetEntry("interactive-extensions/dotnet/extension.dib")!.Open());
            Assert.Contains("Research.Interactive.Formatters.Register();", dib.ReadToEnd());
        }
        finally { output.Delete(true); }
    }
}
