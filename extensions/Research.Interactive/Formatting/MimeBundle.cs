using System.Text.Json.Nodes;

namespace Research.Interactive;

/// <summary>Values that render themselves as a notebook MIME bundle (Jupyter display_data "data").</summary>
public interface IMimeRenderable
{
    /// <summary>The representations of this value, keyed by MIME type.</summary>
    MimeBundle ToMimeBundle();
}

/// <summary>A Jupyter MIME bundle: text types map to strings, JSON types to JSON nodes.</summary>
public sealed class MimeBundle
{
    /// <summary>text/html.</summary>
    public const string Html = "text/html";

    /// <summary>text/plain.</summary>
    public const string PlainText = "text/plain";

    /// <summary>Plotly's JSON MIME type, rendered natively by JupyterLab's plotly extension.</summary>
    public const string PlotlyJson = "application/vnd.plotly.v1+json";

    private readonly Dictionary<string, object> _data = new();

    /// <summary>Representations by MIME type; values are <see cref="string"/> or <see cref="JsonNode"/>.</summary>
    public IReadOnlyDictionary<string, object> Data => _data;

    /// <summary>Adds a text representation.</summary>
    public MimeBundle Add(string mimeType, string text)
    {
        _data[mimeType] = text;
        return this;
    }

    /// <summary>Adds a JSON representation.</summary>
    public MimeBundle Add(string mimeType, JsonNode json)
    {
        _data[mimeType] = json;
        return this;
    }

    /// <summary>The text for <paramref name="mimeType"/>, or null.</summary>
    public string? GetText(string mimeType) => _data.TryGetValue(mimeType, out var v) ? v as string : null;

    /// <summary>The bundle as the JSON object Jupyter expects in display_data's "data" field.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (mime, value) in _data)
            o[mime] = value is JsonNode node ? node.DeepClone() : JsonValue.Create((string)value);
        return o;
    }
}
