using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Research.Interactive.Tests;

/// <summary>
/// The whole path a user takes: a notebook with a live loss curve and a figure, executed headless by Debian's
/// nbconvert with our kernel, exported to HTML, and opened in Chromium with the network cut off.
/// </summary>
[Collection(DisplayCollection.Name)]
public sealed class ExecutedNotebookTests(BrowserFixture browser)
{
    private static readonly string[] Cells =
    [
        """
        var curve = new LossCurve("offline curve").Show();
        for (int step = 0; step < 50; step++) curve.Add("loss", step, 1.0 / (step + 1));
        curve.Complete();
        """,
        """
        display(new Figure([new Scatter { X = new double[] { 1, 2, 3 }, Y = new double[] { 3, 1, 2 } }], new Layout { Title = "a figure" }));
        """,
    ];

    [Fact]
    public async Task ExecutedNotebookHtmlShowsTheFinishedCurveWithoutNetwork()
    {
        var dir = Directory.CreateTempSubdirectory("nb-offline-").FullName;
        try
        {
            var html = await Execute(dir, "offline", Cells);
            var (page, blocked) = await browser.OfflinePageAsync();
            await page.GotoAsync(new Uri(html).AbsoluteUri);
            await page.WaitForFunctionAsync("() => document.querySelectorAll('.js-plotly-plot').length >= 2", null, new() { Timeout = 30_000 });
            var points = await page.EvaluateAsync<int[]>("() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => g.data[0].x.length)");
            Assert.Equal([50, 3], points);   // the saved notebook holds the curve's final state, not its first frame
            Assert.Empty(blocked);
            await page.ScreenshotAsync(new() { Path = Repo.Artifacts("executed-notebook.png"), FullPage = true });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A Plotly.NET chart (the package restored by #r "nuget:") drawn with our plotly.js, then updated in place.</summary>
    [Fact]
    public async Task PlotlyNetChartDrawsOfflineAndItsUpdateReplacesIt()
    {
        var dir = Directory.CreateTempSubdirectory("nb-plotlynet-").FullName;
        try
        {
            var html = await Execute(dir, "plotlynet",
            [
                """
                #r "nuget: Plotly.NET.CSharp, 0.14.0"
                var chart = display(Plotly.NET.CSharp.Chart.Line<int, double, string>(new[] { 1, 2, 3, 4 }, new[] { 4.0, 5.0, 6.0, 7.0 }, Name: "first"));
                """,
                """
                chart.Update(Plotly.NET.CSharp.Chart.Line<int, double, string>(new[] { 1, 2, 3, 4 }, new[] { 9.0, 8.0, 7.5, 7.0 }, Name: "updated"));
                """,
            ]);
            var (page, blocked) = await browser.OfflinePageAsync();
            await page.GotoAsync(new Uri(html).AbsoluteUri);
            await page.WaitForFunctionAsync("() => document.querySelectorAll('.js-plotly-plot').length >= 1", null, new() { Timeout = 30_000 });
            var traces = await page.EvaluateAsync<string>(
                "() => JSON.stringify(Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => [g.data[0].name, g.data[0].y]))");
            Assert.Equal("""[["updated",[9,8,7.5,7]]]""", traces);   // one chart, holding the update's data
            Assert.Empty(blocked);
            await page.ScreenshotAsync(new() { Path = Repo.Artifacts("executed-plotlynet.png"), FullPage = true });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Runs environment/notebooks.sh on a notebook of <paramref name="cells"/>; returns the exported HTML's path.</summary>
    private static async Task<string> Execute(string dir, string name, string[] cells)
    {
        var notebook = Path.Combine(dir, name + ".ipynb");
        File.WriteAllText(notebook, Notebook(cells).ToJsonString());
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        psi.ArgumentList.Add(Path.Combine(Repo.Root, "environment", "notebooks.sh"));
        psi.ArgumentList.Add(notebook);
        psi.Environment["NOTEBOOKS_OUT"] = Path.Combine(dir, "out");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "notebooks.sh did not finish in 5 minutes");
        Assert.True(p.ExitCode == 0, $"notebooks.sh failed:\n{await stdout}\n{await stderr}");
        return Directory.GetFiles(Path.Combine(dir, "out"), name + ".html", SearchOption.AllDirectories).Single();
    }

    private static JsonObject Notebook(string[] cells) => TestNotebook.Create("research-csharp", "C# (Research)", "csharp", cells);
}
