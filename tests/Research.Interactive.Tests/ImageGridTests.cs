using System.Text.Json.Nodes;

namespace Research.Interactive.Tests;

public class ImageGridTests
{
    [Fact]
    public void GreyImagesAreDarkWhereLowNotNegatives()
    {
        // plotly.js's "Greys" runs from black at the low end to white at the high end, so a grey image must use it as
        // it is: reversing it shows the image as its negative.
        var json = JsonNode.Parse(new ImageGrid("t").Add("a", [[-1.0, 1.0]], -1, 1).ToFigure().ToJson())!;
        var trace = json["data"]![0]!;
        Assert.Equal("Greys", (string)trace["colorscale"]!);
        Assert.True(trace["reversescale"] is null || !(bool)trace["reversescale"]!);
        Assert.Equal(-1.0, (double)trace["zmin"]!);
        string? plotly = null;
        try { plotly = PlotlyJs.FindPath(); }
        catch (FileNotFoundException) { }      // no npm packages here: the bundle's definition cannot be read
        if (plotly is not null)
            Assert.Contains("Greys:[[0,\"rgb(0,0,0)\"],[1,\"rgb(255,255,255)\"]]", File.ReadAllText(plotly));
    }

    [Fact]
    public void RowZeroIsOnTopAndPixelsAreSquare()
    {
        var json = JsonNode.Parse(new ImageGrid().Add("a", [[0.0, 1.0], [2.0, 3.0]]).ToFigure().ToJson())!;
        Assert.Equal("reversed", (string)json["layout"]!["yaxis"]!["autorange"]!);
        Assert.Equal("y", (string)json["layout"]!["xaxis"]!["scaleanchor"]!);
    }

    [Fact]
    public void ColourImagesBecomePlotlyImageTracesInBytes()
    {
        var json = JsonNode.Parse(new ImageGrid().AddRgb("c", [[[1.0, 0.0, 0.5], [0.0, 0.0, 1.0]]]).ToFigure().ToJson())!;
        var trace = json["data"]![0]!;
        Assert.Equal("image", (string)trace["type"]!);
        Assert.Equal(255.0, (double)trace["z"]![0]![0]![0]!);
        Assert.Equal(128.0, (double)trace["z"]![0]![0]![2]!);
        Assert.Equal("reversed", (string)json["layout"]!["yaxis"]!["autorange"]!);
        Assert.Throws<ArgumentException>(() => new ImageGrid().AddRgb("bad", [[[1.0, 0.0]]]));
    }
}
