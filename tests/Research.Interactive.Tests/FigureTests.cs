using System.Text.Json.Nodes;

namespace Research.Interactive.Tests;

public class FigureTests
{
    [Fact]
    public void FigureJsonHasPlotlyShapeAndLowerCaseAttributes()
    {
        var fig = new Figure(
            [new Scatter { Name = "loss", X = [1, 2, 3], Y = [1, double.NaN, 0.5], Mode = "lines" }, new Bar { X = ["a", "b"], Y = [3, 4] }],
            new Layout { Title = "t", XAxis = Axis.Log("step"), YAxis = Axis.Log("loss"), ShowLegend = true });
        var json = JsonNode.Parse(fig.ToJson())!;
        Assert.Equal("scatter", (string)json["data"]![0]!["type"]!);
        Assert.Null(json["data"]![0]!["y"]![1]);                      // NaN is a gap
        Assert.Equal("bar", (string)json["data"]![1]!["type"]!);
        Assert.Equal("a", (string)json["data"]![1]!["x"]![0]!);
        Assert.Equal("log", (string)json["layout"]!["xaxis"]!["type"]!);
        Assert.Equal("log", (string)json["layout"]!["yaxis"]!["type"]!);
        Assert.True((bool)json["layout"]!["showlegend"]!);
        Assert.Equal("t", (string)json["layout"]!["title"]!["text"]!);
        Assert.True((bool)json["config"]!["responsive"]!);
        Assert.Null(json["data"]![0]!["marker"]);                      // unset attributes are omitted
    }

    [Fact]
    public void SubplotAxesSerialiseAtTheLayoutTopLevel()
    {
        var layout = new Layout().SetAxis("xaxis2", new Axis { Domain = [0.5, 1], Anchor = "y2" });
        var json = new Figure([new Heatmap { Z = [[1, 2]], XAxis = "x2", YAxis = "y2" }], layout).ToJsonObject();
        Assert.Equal(0.5, (double)json["layout"]!["xaxis2"]!["domain"]![0]!);
        Assert.Equal("x2", (string)json["data"]![0]!["xaxis"]!);
    }

    [Fact]
    public void HtmlCannotBeClosedByFigureText()
    {
        var fig = new Figure([new Scatter { Name = "</script><script>alert(1)</script>", X = [1], Y = [1] }]);
        var html = fig.ToHtml();
        Assert.Equal(1, CountOf(html, "</script>"));
        Assert.Contains("class=\"research-figure\"", html);
        Assert.DoesNotContain("plotly.js v", html);
        var page = fig.ToHtmlPage();
        Assert.Contains("plotly.js v4.1.2", page);
        Assert.Equal(2, CountOf(page, "</script>"));
    }

    [Fact]
    public void MissingPlotlyGivesAClearError()
    {
        var old = Environment.GetEnvironmentVariable(PlotlyJs.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(PlotlyJs.PathVariable, "/nonexistent/plotly.min.js");
            var e = Assert.Throws<FileNotFoundException>(PlotlyJs.FindPath);
            Assert.Contains(PlotlyJs.PathVariable, e.Message);
        }
        finally { Environment.SetEnvironmentVariable(PlotlyJs.PathVariable, old); }
        Assert.EndsWith("plotly.js-dist-min/plotly.min.js", PlotlyJs.FindPath());
    }

    [Fact]
    public void EmaSmoothingIsDebiased()
    {
        var s = Smoothing.Ema([1, 2, 3], 0.5);
        // s1 = .5 → 1; s2 = .25+1 = 1.25 → /.75 = 5/3; s3 = .625+1.5 = 2.125 → /.875 = 17/7.
        Assert.Equal(1.0, s[0], 12);
        Assert.Equal(5.0 / 3, s[1], 12);
        Assert.Equal(17.0 / 7, s[2], 12);
        Assert.Equal([4.0, 5.0], Smoothing.Ema([4, 5], 0));
        Assert.Equal(10.0, Smoothing.Ema(Enumerable.Repeat(10.0, 50).ToArray(), 0.9)[^1], 9);
        Assert.True(double.IsNaN(Smoothing.Ema([1, double.NaN, 1], 0.9)[1]));
        // Irregular spacing: a point 10 units after the last counts as ten regular steps.
        var sparse = Smoothing.Ema([0, 10], [0, 1], 0.5, spacing: 1);
        Assert.Equal(2046.0 / 2047, sparse[1], 12);                    // (1 − 2⁻¹⁰) / (1 − 2⁻¹¹): nearly forgets the first point
        Assert.Equal(Smoothing.Ema([0, 1, 2], 0.7), Smoothing.Ema([5, 6, 7], [0, 1, 2], 0.7, spacing: 1));
    }

    private static int CountOf(string s, string part) => (s.Length - s.Replace(part, "").Length) / part.Length;
}

[Collection(DisplayCollection.Name)]
public class LossCurveTests
{
    [Fact]
    public void SeriesRunsSmoothingAndLogAxesReachTheFigure()
    {
        var curve = new LossCurve("demo") { LogX = true, LogY = true, Smoothing = 0.6 };
        for (int i = 1; i <= 10; i++)
        {
            curve.Add("train", i, 1.0 / i, run: "a");
            curve.Add("train", i, 2.0 / i, run: "b");
        }
        curve.Add("val", 10, 0.2, run: "a");
        var json = curve.ToFigure().ToJsonObject();
        var data = json["data"]!.AsArray();
        Assert.Equal(6, data.Count);                                    // raw + smoothed per series
        Assert.Equal("a/train", (string)data[1]!["name"]!);
        Assert.Equal(0.3, (double)data[0]!["opacity"]!);
        var smoothed = data[1]!["y"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(Smoothing.Ema(Enumerable.Range(1, 10).Select(i => 1.0 / i).ToArray(), 0.6), smoothed);
        Assert.Equal("log", (string)json["layout"]!["xaxis"]!["type"]!);
        Assert.Equal("log", (string)json["layout"]!["yaxis"]!["type"]!);
        Assert.Equal(data[1]!["line"]!["color"]!.ToString(), data[5]!["line"]!["color"]!.ToString()); // colour by run
        Assert.Equal("dash", (string)data[5]!["line"]!["dash"]!);                                       // dash by series
    }

    [Fact]
    public void WallTimeAndEpochAxesUseTheirOwnX()
    {
        var time = new ManualTime();
        var curve = new LossCurve(time: time) { XAxis = CurveAxis.WallTime };
        curve.Add("loss", 100, 1); time.Advance(TimeSpan.FromSeconds(2.5)); curve.Add("loss", 200, 0.5);
        var x = curve.ToFigure().ToJsonObject()["data"]![0]!["x"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal([0, 2.5], x);
        curve.XAxis = CurveAxis.Epoch;
        var fig = curve.ToFigure().ToJsonObject();
        Assert.Equal(200, (double)fig["data"]![0]!["x"]![1]!);
        Assert.Equal("epoch", (string)fig["layout"]!["xaxis"]!["title"]!["text"]!);
    }

    [Fact]
    public void LongSeriesAreAveragedInBucketsForDrawing()
    {
        var curve = new LossCurve { MaxPointsPerSeries = 100 };
        for (int i = 0; i < 10_000; i++) curve.Add("loss", i, i % 2);
        var y = curve.ToFigure().ToJsonObject()["data"]![0]!["y"]!.AsArray();
        Assert.Equal(100, y.Count);
        Assert.All(y, v => Assert.Equal(0.5, (double)v!, 9));
        Assert.Equal(10_000, curve.GetSeries("loss").y.Length);
    }

    [Fact]
    public void RefreshesAreThrottledByWallTimeAndCompleteShowsEverything()
    {
        var target = new RecordingTarget();
        Display.Target = target;
        PlotlyJs.ResetNotebook();
        try
        {
            var time = new ManualTime();
            var curve = new LossCurve("throttle", time).Show();
            Assert.Equal(2, target.Shown.Count);                               // plotly.js once, then the figure
            Assert.Contains("plotly.js v", target.Shown[0].bundle.GetText(MimeBundle.Html));
            Assert.DoesNotContain("plotly.js v", target.Shown[1].bundle.GetText(MimeBundle.Html));
            Assert.NotNull(target.Shown[1].bundle.Data[MimeBundle.PlotlyJson]);

            for (int step = 0; step < 10_000; step++)                          // 10 s of 1 ms steps
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
                curve.Add("loss", step, 1.0 / (step + 1));
            }
            Assert.InRange(curve.RenderCount, 10, 40);                         // at most one per 250 ms
            Assert.All(target.Updates, u => Assert.Equal(target.Shown[1].id, u.id));
            curve.Complete();
            var last = (JsonObject)target.Updates[^1].bundle.Data[MimeBundle.PlotlyJson];
            Assert.Equal(1000, last["data"]![0]!["x"]!.AsArray().Count);       // decimated view of all 10 000 points
            Assert.InRange((double)last["data"]![0]!["x"]!.AsArray()[^1]!, 9990, 9999); // the mean of the last bucket
        }
        finally { Display.Target = null; PlotlyJs.ResetNotebook(); }
    }

    /// <summary>A host whose every show or update costs a fixed time on the curve's clock.</summary>
    private sealed class CostlyTarget(ManualTime time, TimeSpan cost) : IDisplayTarget
    {
        public string Show(object? value) { time.Advance(cost); return "d"; }
        public void Update(string displayId, object? value) => time.Advance(cost);
    }

    [Theory]
    [InlineData(0.01, 5)]       // 10 µs steps (100 000 steps/s), 5 ms refreshes
    [InlineData(0.1, 20)]
    [InlineData(10, 2)]
    [InlineData(10, 80)]        // expensive refreshes of a big figure
    [InlineData(1000, 30)]      // one step a second
    public void DrawingStaysUnderTwoPercentAtAnyStepRate(double stepMs, double renderMs)
    {
        var time = new ManualTime();
        Display.Target = new CostlyTarget(time, TimeSpan.FromMilliseconds(renderMs));
        PlotlyJs.ResetNotebook();
        try
        {
            var curve = new LossCurve(time: time).Show();
            var start = time.GetTimestamp();
            var step = TimeSpan.FromMilliseconds(stepMs);
            int steps = (int)Math.Min(200_000, 600_000 / stepMs);           // ten minutes of training, at most 200 000 steps
            for (int i = 0; i < steps; i++) { time.Advance(step); curve.Add("loss", i, 1.0 / (i + 1)); }
            double fraction = curve.TotalRenderTime / time.GetElapsedTime(start);
            Assert.True(fraction < 0.02, $"drawing took {100 * fraction:F2}% ({curve.RenderCount} refreshes)");
            Assert.True(curve.RenderCount > 0);
        }
        finally { Display.Target = null; PlotlyJs.ResetNotebook(); }
    }

    [Fact]
    public void WithoutAHostEverythingStillRecordsAndSaves()
    {
        Display.Target = null;
        var curve = new LossCurve().Show();
        curve.Add("loss", 0, 1);
        curve.Complete();
        Assert.Equal(0, curve.RenderCount);
        var path = Path.Combine(Path.GetTempPath(), $"curve-{Guid.NewGuid():N}", "curve.html");
        curve.SaveHtml(path);
        Assert.Contains("plotly.js v4.1.2", File.ReadAllText(path));
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }

    [Fact]
    public void LiveDisplayUpdatesEveryNSteps()
    {
        var target = new RecordingTarget();
        Display.Target = target;
        try
        {
            var live = LiveDisplay.Show("waiting for step 0");
            int built = 0;
            for (int step = 0; step < 1000; step++) live.UpdateEvery(step, 250, () => { built++; return new AudioPlayer(new float[800], 8000, $"step {step}"); });
            Assert.Equal(4, built);
            Assert.Equal(4, target.Updates.Count);
            Assert.Contains("step 750", target.Updates[^1].bundle.GetText(MimeBundle.Html));
        }
        finally { Display.Target = null; }
    }
}
