using System.Text.Json.Serialization;

namespace Research.Interactive;

/// <summary>A title: plotly's {text: …} object; a string converts implicitly.</summary>
public sealed class Title
{
    /// <summary>The title text (plotly accepts a little HTML: &lt;br&gt;, &lt;sub&gt;).</summary>
    public string? Text { get; set; }

    /// <summary>Makes a title from text.</summary>
    public static implicit operator Title(string text) => new() { Text = text };
}

/// <summary>An x or y axis.</summary>
public sealed class Axis
{
    /// <summary>Axis title.</summary>
    public Title? Title { get; set; }

    /// <summary>"linear", "log", "date" or "category".</summary>
    public string? Type { get; set; }

    /// <summary>Visible range [min, max]; for log axes in log10 units, as plotly expects.</summary>
    public double[]? Range { get; set; }

    /// <summary>Fraction of the plot area [start, end] this axis spans (for subplots).</summary>
    public double[]? Domain { get; set; }

    /// <summary>The axis this one is anchored to ("x", "y2", "free").</summary>
    public string? Anchor { get; set; }

    /// <summary>Another axis whose range this one follows ("x", "y").</summary>
    public string? Matches { get; set; }

    /// <summary>Keeps the scale of this axis equal to another ("x") for square cells.</summary>
    public string? ScaleAnchor { get; set; }

    /// <summary>Whether to draw the zero line.</summary>
    public bool? ZeroLine { get; set; }

    /// <summary>Positions of explicit ticks (with <see cref="TickText"/>).</summary>
    public double[]? TickVals { get; set; }

    /// <summary>Labels of the explicit ticks at <see cref="TickVals"/>.</summary>
    public string[]? TickText { get; set; }

    /// <summary>d3 tick format, e.g. ".2s" or ".1e".</summary>
    public string? TickFormat { get; set; }

    /// <summary>"reversed" flips the axis (e.g. rows of a matrix top to bottom).</summary>
    public string? AutoRange { get; set; }

    /// <summary>A log axis.</summary>
    public static Axis Log(string? title = null) => new() { Title = title is null ? null : new Title { Text = title }, Type = "log" };

    /// <summary>A linear axis.</summary>
    public static Axis Linear(string? title = null) => new() { Title = title is null ? null : new Title { Text = title }, Type = "linear" };
}

/// <summary>Plot margins in pixels.</summary>
public sealed class Margin
{
    /// <summary>Left.</summary>
    public int? L { get; set; }

    /// <summary>Right.</summary>
    public int? R { get; set; }

    /// <summary>Top.</summary>
    public int? T { get; set; }

    /// <summary>Bottom.</summary>
    public int? B { get; set; }
}

/// <summary>Text placed on the plot, used for subplot titles.</summary>
public sealed class Annotation
{
    /// <summary>The text.</summary>
    public string? Text { get; set; }

    /// <summary>Horizontal position.</summary>
    public double? X { get; set; }

    /// <summary>Vertical position.</summary>
    public double? Y { get; set; }

    /// <summary>"paper" or an axis id.</summary>
    public string? XRef { get; set; }

    /// <summary>"paper" or an axis id.</summary>
    public string? YRef { get; set; }

    /// <summary>Whether to draw an arrow to the point.</summary>
    public bool? ShowArrow { get; set; }

    /// <summary>"left", "center" or "right".</summary>
    public string? XAnchor { get; set; }

    /// <summary>"top", "middle" or "bottom".</summary>
    public string? YAnchor { get; set; }
}

/// <summary>Figure layout: title, axes (including subplot axes xaxis2, yaxis2, …), size and legend.</summary>
public sealed class Layout
{
    /// <summary>Figure title.</summary>
    public Title? Title { get; set; }

    /// <summary>The first x axis.</summary>
    public Axis? XAxis { get; set; }

    /// <summary>The first y axis.</summary>
    public Axis? YAxis { get; set; }

    /// <summary>Height in pixels; the figure fills its container's width.</summary>
    public int? Height { get; set; }

    /// <summary>Width in pixels; null fills the container.</summary>
    public int? Width { get; set; }

    /// <summary>Whether to draw the legend.</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Margins.</summary>
    public Margin? Margin { get; set; }

    /// <summary>Text annotations (subplot titles).</summary>
    public List<Annotation>? Annotations { get; set; }

    /// <summary>Keeps zoom and legend state across Plotly.react updates while this value is unchanged.</summary>
    public string? UiRevision { get; set; }

    /// <summary>Subplot axes and any other plotly layout attribute not modelled above.</summary>
    [JsonExtensionData]
    public Dictionary<string, object> Extra { get; } = new();

    /// <summary>Sets subplot axis <paramref name="name"/> ("xaxis2", "yaxis3").</summary>
    public Layout SetAxis(string name, Axis axis)
    {
        Extra[name] = axis;
        return this;
    }
}
