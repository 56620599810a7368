using System.Text.Json.Serialization;

namespace Research.Interactive;

/// <summary>One plotly trace; <see cref="Type"/> selects the kind (scatter, heatmap, contour, bar, histogram).</summary>
[JsonDerivedType(typeof(Scatter))]
[JsonDerivedType(typeof(Heatmap))]
[JsonDerivedType(typeof(Contour))]
[JsonDerivedType(typeof(Bar))]
[JsonDerivedType(typeof(Histogram))]
[JsonDerivedType(typeof(RgbImage))]
public abstract class Trace
{
    /// <summary>Plotly's trace type name.</summary>
    [JsonPropertyOrder(-2)]
    public abstract string Type { get; }

    /// <summary>Legend and hover name.</summary>
    [JsonPropertyOrder(-1)]
    public string? Name { get; set; }

    /// <summary>Whether the trace appears in the legend.</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Traces in one legend group toggle together.</summary>
    public string? LegendGroup { get; set; }

    /// <summary>The x axis this trace is drawn on ("x", "x2", …) for subplots.</summary>
    public string? XAxis { get; set; }

    /// <summary>The y axis this trace is drawn on ("y", "y2", …) for subplots.</summary>
    public string? YAxis { get; set; }

    /// <summary>Plotly hover template, e.g. "step %{x}: %{y:.4f}".</summary>
    public string? HoverTemplate { get; set; }

    /// <summary>Opacity between 0 and 1.</summary>
    public double? Opacity { get; set; }
}

/// <summary>Line style of a scatter trace.</summary>
public sealed class Line
{
    /// <summary>CSS colour.</summary>
    public string? Color { get; set; }

    /// <summary>Width in pixels.</summary>
    public double? Width { get; set; }

    /// <summary>"solid", "dot", "dash", …</summary>
    public string? Dash { get; set; }
}

/// <summary>Colour bar of a heatmap, contour or colour-mapped marker set.</summary>
public sealed class ColorBar
{
    /// <summary>Title shown beside the bar.</summary>
    public Title? Title { get; set; }

    /// <summary>Length as a fraction of the plot height.</summary>
    public double? Len { get; set; }

    /// <summary>Horizontal position in paper coordinates.</summary>
    public double? X { get; set; }

    /// <summary>Vertical position in paper coordinates.</summary>
    public double? Y { get; set; }
}

/// <summary>Marker style; <see cref="Color"/> is a CSS colour or an array of numbers mapped through <see cref="ColorScale"/>.</summary>
public sealed class Marker
{
    /// <summary>A CSS colour string or a numeric array for colour mapping.</summary>
    public object? Color { get; set; }

    /// <summary>Marker size in pixels.</summary>
    public double? Size { get; set; }

    /// <summary>Plotly colour scale name ("Viridis", "RdBu", …).</summary>
    public string? ColorScale { get; set; }

    /// <summary>Whether to draw the colour bar for a numeric <see cref="Color"/>.</summary>
    public bool? ShowScale { get; set; }

    /// <summary>The colour bar for a numeric <see cref="Color"/>.</summary>
    public ColorBar? ColorBar { get; set; }
}

/// <summary>Points joined by lines and/or drawn as markers.</summary>
public sealed class Scatter : Trace
{
    /// <inheritdoc />
    public override string Type => "scatter";

    /// <summary>Horizontal coordinates.</summary>
    public double[]? X { get; set; }

    /// <summary>Vertical coordinates.</summary>
    public double[]? Y { get; set; }

    /// <summary>"lines", "markers" or "lines+markers".</summary>
    public string? Mode { get; set; }

    /// <summary>Line style.</summary>
    public Line? Line { get; set; }

    /// <summary>Marker style.</summary>
    public Marker? Marker { get; set; }

    /// <summary>Per-point hover text.</summary>
    public string[]? Text { get; set; }
}

/// <summary>A matrix drawn as coloured cells; <see cref="Z"/> is indexed [row = y][column = x].</summary>
public class Heatmap : Trace
{
    /// <inheritdoc />
    public override string Type => "heatmap";

    /// <summary>Values, one array per row (y).</summary>
    public double[][]? Z { get; set; }

    /// <summary>Column coordinates (cell centres).</summary>
    public double[]? X { get; set; }

    /// <summary>Row coordinates (cell centres).</summary>
    public double[]? Y { get; set; }

    /// <summary>Plotly colour scale name.</summary>
    public string? ColorScale { get; set; }

    /// <summary>Reverses the colour scale.</summary>
    public bool? ReverseScale { get; set; }

    /// <summary>Lower end of the colour range.</summary>
    public double? ZMin { get; set; }

    /// <summary>Upper end of the colour range.</summary>
    public double? ZMax { get; set; }

    /// <summary>Value mapped to the middle of the colour scale (for diverging scales).</summary>
    public double? ZMid { get; set; }

    /// <summary>Whether to draw the colour bar.</summary>
    public bool? ShowScale { get; set; }

    /// <summary>The colour bar.</summary>
    public ColorBar? ColorBar { get; set; }
}

/// <summary>Contour lines and filled levels of a grid of values.</summary>
public sealed class Contour : Heatmap
{
    /// <inheritdoc />
    public override string Type => "contour";

    /// <summary>Maximum number of contour levels.</summary>
    public int? NContours { get; set; }
}

/// <summary>Bars at category or numeric positions.</summary>
public sealed class Bar : Trace
{
    /// <inheritdoc />
    public override string Type => "bar";

    /// <summary>Bar positions (numbers or category strings).</summary>
    public object[]? X { get; set; }

    /// <summary>Bar heights.</summary>
    public double[]? Y { get; set; }

    /// <summary>Bar widths in x units (one value or per bar).</summary>
    public double? Width { get; set; }

    /// <summary>Bar colour.</summary>
    public Marker? Marker { get; set; }
}

/// <summary>A histogram binned by plotly in the browser; use <see cref="HistogramCounts"/> for counts computed here.</summary>
public sealed class Histogram : Trace
{
    /// <inheritdoc />
    public override string Type => "histogram";

    /// <summary>The samples.</summary>
    public double[]? X { get; set; }

    /// <summary>Maximum number of bins.</summary>
    public int? NBinsX { get; set; }

    /// <summary>"", "percent", "probability", "density" or "probability density".</summary>
    public string? HistNorm { get; set; }

    /// <summary>Bar colour.</summary>
    public Marker? Marker { get; set; }
}

/// <summary>A colour image: <see cref="Z"/> is indexed [row][column][r, g, b] with channels in 0 … 255, row 0 at the top.</summary>
public sealed class RgbImage : Trace
{
    /// <inheritdoc />
    public override string Type => "image";

    /// <summary>Pixels, one array per row, each pixel [r, g, b] in 0 … 255.</summary>
    public double[][][]? Z { get; set; }
}
