using System.Text.Json;
using System.Text.Json.Nodes;

namespace Research.Interactive;

/// <summary>
/// A plotly figure, <c>{data: [traces], layout: {...}, config: {...}}</c>, the shape plotly.js and Plotly.NET use.
/// Renders to JSON, to an HTML div with its script, or to a self-contained HTML page that works offline.
/// </summary>
public sealed class Figure : IMimeRenderable, IUsesPlotly
{
    /// <summary>Creates an empty figure.</summary>
    public Figure() { }

    /// <summary>Creates a figure from traces and a layout.</summary>
    public Figure(IEnumerable<Trace> data, Layout? layout = null)
    {
        Data.AddRange(data);
        if (layout is not null) Layout = layout;
    }

    /// <summary>The traces, drawn in order.</summary>
    public List<Trace> Data { get; } = new();

    /// <summary>Title, axes, size and other layout attributes.</summary>
    public Layout Layout { get; set; } = new();

    /// <summary>Plotly config (interaction options); responsive and without the plotly logo by default.</summary>
    public Dictionary<string, object> Config { get; } = new() { ["responsive"] = true, ["displaylogo"] = false };

    /// <summary>Height in pixels used for the HTML container when the layout sets none.</summary>
    public const int DefaultHeight = 450;

    /// <summary>The figure as plotly JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new FigureDocument(Data, Layout, Config), FigureJson.Options);

    /// <summary>The serialised shape: traces, layout, config.</summary>
    private sealed record FigureDocument(List<Trace> Data, Layout Layout, Dictionary<string, object> Config);

    /// <summary>The figure as a JSON object (the value of the application/vnd.plotly.v1+json MIME type).</summary>
    public JsonObject ToJsonObject() => new()
    {
        ["data"] = JsonSerializer.SerializeToNode(Data, FigureJson.Options),
        ["layout"] = JsonSerializer.SerializeToNode(Layout, FigureJson.Options),
        ["config"] = JsonSerializer.SerializeToNode(Config, FigureJson.Options),
    };

    /// <summary>
    /// An HTML fragment: a div and the script that draws into it. With <paramref name="selfContained"/> the
    /// plotly.js bundle is embedded (≈4.8 MB) so the fragment needs no network; otherwise it waits for
    /// <c>window.Plotly</c> to be defined by an earlier output or page script.
    /// </summary>
    public string ToHtml(bool selfContained = false) => PlotlyHtml.Fragment(this, ToJson(), selfContained);

    /// <summary>A complete HTML page with plotly.js embedded, viewable offline.</summary>
    public string ToHtmlPage(string? title = null) => PlotlyHtml.Page(ToHtml(selfContained: true), title ?? Layout.Title?.Text ?? "Figure");

    /// <summary>Writes <see cref="ToHtmlPage"/> to <paramref name="path"/>, creating its directory.</summary>
    public void SaveHtml(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToHtmlPage());
    }

    /// <summary>
    /// The notebook output: text/html (embedding plotly.js if this process has not yet sent it to the notebook)
    /// and application/vnd.plotly.v1+json for front ends with a plotly renderer.
    /// </summary>
    public MimeBundle ToMimeBundle()
    {
        var json = ToJson();
        return new MimeBundle()
            .Add(MimeBundle.Html, PlotlyHtml.Fragment(this, json, selfContained: PlotlyJs.SentToNotebook.TryClaim()))
            .Add(MimeBundle.PlotlyJson, JsonNode.Parse(json)!)
            .Add(MimeBundle.PlainText, $"Figure({Data.Count} traces{(Layout.Title?.Text is { } t ? ", " + t : "")})");
    }

    /// <inheritdoc />
    public override string ToString() => $"Figure({Data.Count} traces)";
}
