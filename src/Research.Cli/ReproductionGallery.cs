using System.Text.Json;
using System.Text.Json.Nodes;
using Research.Experiments;
using Research.Interactive;

namespace Research.Cli;

/// <summary>
/// Builds the gallery's cards from what a notebook run leaves behind: the executed notebooks and their HTML reports
/// (<c>artifacts/notebooks/&lt;family&gt;/&lt;id&gt;.ipynb</c>, <c>times.json</c>), the runs' claim records
/// (<see cref="ClaimRecord"/>) and the catalogue. Nothing is parsed from printed text.
/// </summary>
public static class ReproductionGallery
{
    /// <summary>The MIME type of plotly figures in notebook outputs.</summary>
    public const string PlotlyMime = "application/vnd.plotly.v1+json";

    /// <summary>The cell tag that marks a notebook's key figure (else its last figure is taken).</summary>
    public const string FigureTag = "figure";

    /// <summary>Figures larger than this (bytes of JSON) are not used as thumbnails.</summary>
    public const int MaxFigureBytes = 400_000;

    /// <summary>
    /// One card per executed notebook under <paramref name="notebooks"/>, with the latest record of its experiment under
    /// <paramref name="runs"/>; report links are relative to <paramref name="pageDirectory"/>.
    /// </summary>
    public static IReadOnlyList<GalleryCard> Cards(string notebooks, string runs, IReadOnlyDictionary<string, CatalogueEntry> catalogue,
        string pageDirectory)
    {
        var records = ClaimRecord.Latest(runs);
        var times = Times(Path.Combine(notebooks, "times.json"));
        var cards = new List<GalleryCard>();
        foreach (var path in Directory.EnumerateFiles(notebooks, "*.ipynb", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            records.TryGetValue(id, out var record);
            catalogue.TryGetValue(id, out var entry);
            var experiment = ExperimentRegistry.Find(id);
            var (seconds, ok) = times.TryGetValue(id, out var t) ? t : ((double?)null, true);
            var verdict = !ok ? "failed" : record?.Verdict ?? "not run";
            var html = Path.ChangeExtension(path, ".html");
            cards.Add(new GalleryCard(id, entry?.Family ?? record?.Family ?? experiment?.Family ?? "uncatalogued",
                entry?.Title ?? record?.Title ?? experiment?.Title ?? id, record?.Claim ?? experiment?.Claim ?? "",
                verdict, record?.Narrower ?? experiment?.Narrower, record?.Conditions.Select(c => c.Text).ToArray() ?? [],
                record?.Scale, seconds ?? record?.Seconds, File.Exists(html) ? Path.GetRelativePath(pageDirectory, html) : null,
                KeyFigure(path), record?.Commit));
        }
        return cards;
    }

    /// <summary>
    /// The key figure of an executed notebook as compact plotly JSON: the first figure of the cell tagged
    /// <see cref="FigureTag"/>, else the last figure of the notebook; null when it has none (or only oversized ones).
    /// </summary>
    public static string? KeyFigure(string notebookPath)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(notebookPath)); }
        catch (JsonException) { return null; }
        var cells = root?["cells"]?.AsArray().OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code").ToArray() ?? [];
        static IEnumerable<string> Figures(JsonObject cell) =>
            (cell["outputs"]?.AsArray().OfType<JsonObject>() ?? [])
                .Select(o => o["data"]?[PlotlyMime])
                .Where(f => f is not null)
                .Select(f => f!.ToJsonString())
                .Where(json => json.Length <= MaxFigureBytes);
        var tagged = cells.FirstOrDefault(c => c["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == FigureTag) == true);
        return (tagged is null ? null : Figures(tagged).FirstOrDefault()) ?? cells.SelectMany(Figures).LastOrDefault();
    }

    // times.json of run_notebooks.py: {"notebooks/<family>/<id>.ipynb": {"ok": bool, "seconds": s}}, keyed here by id.
    private static Dictionary<string, (double? Seconds, bool Ok)> Times(string path)
    {
        var times = new Dictionary<string, (double?, bool)>(StringComparer.Ordinal);
        if (!File.Exists(path)) return times;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            double? seconds = p.Value.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : null;
            bool ok = !p.Value.TryGetProperty("ok", out var o) || o.ValueKind != JsonValueKind.False;
            times[Path.GetFileNameWithoutExtension(p.Name)] = (seconds, ok);
        }
        return times;
    }
}
