using System.Reflection;
using System.Text.Json.Nodes;

namespace Research.Interactive;

/// <summary>
/// A Plotly.NET <c>GenericChart</c> drawn like this extension's own figures: offline, with the plotly.js the extension
/// ships, as text/html plus <c>application/vnd.plotly.v1+json</c>. The figure JSON comes from Plotly.NET's own public
/// <c>GenericChart.toFigureJson</c>, found by reflection, so this library does not reference Plotly.NET (whose FSharp.Core
/// would then be forced on every notebook).
/// </summary>
public sealed class PlotlyNetChart : IMimeRenderable, IUsesPlotly
{
    private const string ChartType = "Plotly.NET.GenericChart";

    private PlotlyNetChart(JsonObject figure) => Figure = figure;

    /// <summary>The figure: <c>data</c>, <c>layout</c> and <c>config</c> as plotly.js takes them.</summary>
    public JsonObject Figure { get; }

    /// <summary>The chart as a renderable figure, or null when <paramref name="value"/> is not a Plotly.NET chart.</summary>
    public static PlotlyNetChart? From(object? value)
    {
        if (value is null || ToFigureJson(value.GetType()) is not { } toJson) return null;
        var json = (string)toJson.Invoke(null, new[] { value })!;
        return new PlotlyNetChart(JsonNode.Parse(json)!.AsObject());
    }

    private static MethodInfo? ToFigureJson(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.FullName == ChartType)
                return t.GetMethod("toFigureJson", BindingFlags.Public | BindingFlags.Static, new[] { t });
        return null;
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle()
    {
        var layout = Figure["layout"] as JsonObject;
        var height = layout?["height"]?.GetValue<double>() is { } h ? (int)h : Research.Interactive.Figure.DefaultHeight;
        var width = layout?["width"]?.GetValue<double>() is { } w ? $"{(int)w}px" : "100%";
        var json = Figure.ToJsonString(FigureJson.Options);
        var traces = (Figure["data"] as JsonArray)?.Count ?? 0;
        return new MimeBundle()
            .Add(MimeBundle.Html, PlotlyHtml.Fragment(json, width, height, selfContained: PlotlyJs.SentToNotebook.TryClaim()))
            .Add(MimeBundle.PlotlyJson, Figure.DeepClone())
            .Add(MimeBundle.PlainText, $"Plotly.NET chart ({traces} trace{(traces == 1 ? "" : "s")})");
    }
}
