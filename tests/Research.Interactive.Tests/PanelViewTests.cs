using System.Text.Json.Nodes;
using Research.Torch;

namespace Research.Interactive.Tests;

public class PanelViewTests
{
    [Fact]
    public void PanelGridPlacesPanelsRowByRowWithSharedAxesAndOneColourPerSeries()
    {
        var grid = new PanelGrid(2, 3, "grid") { SharedY = true, LogY = true, XTitle = "n", YTitle = "error" };
        grid.Line(0, "FNO", [1, 2], [3, 4]).Line(4, "FNO", [1, 2], [5, 6]).Line(4, "CNN", [1, 2], [7, 8]).Title(5, "last");
        var json = grid.ToFigure().ToJsonObject();
        var data = json["data"]!.AsArray();
        Assert.Equal(["x", "x5", "x5"], data.Select(t => (string)t!["xaxis"]!).ToArray());
        Assert.Equal((string)data[0]!["line"]!["color"]!, (string)data[1]!["line"]!["color"]!);
        Assert.NotEqual((string)data[1]!["line"]!["color"]!, (string)data[2]!["line"]!["color"]!);
        Assert.Equal([true, false, true], data.Select(t => (bool)t!["showlegend"]!).ToArray());
        var layout = json["layout"]!;
        // panel 4 is row 1, column 1: its x domain is the middle third, its y domain the lower half
        var x5 = layout["xaxis5"]!["domain"]!.AsArray().Select(v => (double)v!).ToArray();
        var y5 = layout["yaxis5"]!["domain"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.True(x5[0] > 0.3 && x5[1] < 0.7, $"x domain {x5[0]}–{x5[1]}");
        Assert.True(y5[1] < 0.5, $"y domain {y5[0]}–{y5[1]}");
        Assert.Equal("y", (string)layout["yaxis5"]!["matches"]!);
        Assert.Equal("log", (string)layout["yaxis5"]!["type"]!);
        Assert.Equal("n", (string)layout["xaxis4"]!["title"]!["text"]!);      // bottom row only
        Assert.Null(layout["xaxis"]!["title"]);
        Assert.Equal("error", (string)layout["yaxis4"]!["title"]!["text"]!);  // left column only
        Assert.Equal("last", (string)layout["annotations"]![0]!["text"]!);
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.Line(6, "x", [1], [1]));
    }

    [Fact]
    public void ImageGridDrawsGreyWithLowDarkRowZeroOnTopAndSharedRange()
    {
        using var scope = Research.Torch.Torch.NewScope();
        var image = Tensor.Arange(6, DType.Float64).Reshape(1, 2, 3);     // leading 1 is squeezed
        var json = new ImageGrid("images", columns: 1) { Min = -1, Max = 1 }.Add("a", image).Add("b", image, 0, 5).ToFigure().ToJsonObject();
        var a = json["data"]![0]!;
        Assert.Equal([3.0, 4.0, 5.0], a["z"]![1]!.AsArray().Select(v => (double)v!).ToArray());
        Assert.Equal("Greys", (string)a["colorscale"]!);
        Assert.Null(a["reversescale"]);                 // plotly's Greys runs black → white: reversed, an image is its negative
        Assert.Equal(-1, (double)a["zmin"]!);
        Assert.Equal(5, (double)json["data"]![1]!["zmax"]!);
        Assert.Equal("reversed", (string)json["layout"]!["yaxis"]!["autorange"]!);
        Assert.Equal("y2", (string)json["layout"]!["xaxis2"]!["scaleanchor"]!);
        Assert.Throws<ArgumentException>(() => new ImageGrid().Add("ragged", [[1.0, 2.0], [3.0]]));
    }

    [Fact]
    public void LabelledHeatmapLabelsRowsAndColumnsAndWritesValues()
    {
        var map = new LabelledHeatmap([[1, 2], [3, 4], [5, 6]], ["a", "b", "c"], ["x", "y"], "t") { ShowValues = true, ValueFormat = "F1" };
        var layout = map.ToFigure().ToJsonObject()["layout"]!;
        Assert.Equal(["a", "b", "c"], layout["yaxis"]!["ticktext"]!.AsArray().Select(v => (string)v!).ToArray());
        Assert.Equal(["x", "y"], layout["xaxis"]!["ticktext"]!.AsArray().Select(v => (string)v!).ToArray());
        Assert.Equal(6, layout["annotations"]!.AsArray().Count);
        Assert.Equal("6.0", (string)layout["annotations"]![5]!["text"]!);
        Assert.Throws<ArgumentException>(() => new LabelledHeatmap([[1, 2]], ["a", "b"], ["x", "y"]));
    }

    [Fact]
    public void PaletteHasTwentyDistinctColoursAndCycles()
    {
        Assert.Equal(20, Palette.Colors.Distinct().Count());
        Assert.Equal(Palette.Color(0), Palette.Color(20));
        Assert.Equal(Palette.Color(19), Palette.Color(-1));
    }

    [Fact]
    public void CurveFollowPlacesEachPointInItsRun()
    {
        var stream = new Subject();
        var curve = new LossCurve("t");
        using var _ = curve.Follow(stream, ((string Name, double Step, double Value) p) =>
            p.Name.EndsWith("/loss") ? new CurvePoint("loss", p.Step, p.Value, Run: p.Name[..p.Name.IndexOf('/')]) : null);
        stream.Publish(("seed0/loss", 1, 0.5));
        stream.Publish(("seed1/loss", 1, 0.7));
        stream.Publish(("seed1/accuracy", 1, 0.9));
        Assert.Equal(["seed0/loss", "seed1/loss"], curve.SeriesNames.ToArray());
        Assert.Equal([0.7], curve.GetSeries("loss", "seed1").y);
    }

    private sealed class Subject : IObservable<(string, double, double)>
    {
        private readonly List<IObserver<(string, double, double)>> _observers = new();
        public IDisposable Subscribe(IObserver<(string, double, double)> observer) { _observers.Add(observer); return new Unsubscriber(); }
        public void Publish((string, double, double) point) { foreach (var o in _observers) o.OnNext(point); }
        private sealed class Unsubscriber : IDisposable { public void Dispose() { } }
    }
}
