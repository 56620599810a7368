namespace Research.Interactive;

/// <summary>
/// Colours for series that must stay apart: 20 distinct hues (the 10 of plotly/matplotlib's default cycle, then 10
/// more of different hue or lightness), cycling after that. <c>Palette.Color(i)</c> for the i-th series.
/// </summary>
public static class Palette
{
    /// <summary>The colours, in the order they are handed out.</summary>
    public static IReadOnlyList<string> Colors { get; } =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#000080", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#3b3b3b", "#808000", "#9edae5",
    ];

    /// <summary>The colour of the <paramref name="index"/>-th series (cycles after <see cref="Colors"/>).</summary>
    public static string Color(int index) => Colors[((index % Colors.Count) + Colors.Count) % Colors.Count];
}
