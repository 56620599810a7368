using System.Globalization;
using System.Net;
using System.Text;

namespace Research.Interactive;

/// <summary>
/// The gallery of reproductions (<c>artifacts/notebooks/index.html</c>): a summary line, then one card per reproduction
/// grouped by family — paper, claim, verdict (held, did not hold, narrower than the paper), the measured conditions with
/// their margins, scale and time, a thumbnail of the key figure and a link to the notebook's report. One self-contained
/// offline page: plotly.js is inlined once and thumbnails are drawn as static plots when they scroll into view.
/// </summary>
public static class GalleryPage
{
    /// <summary>The page for <paramref name="cards"/>, out of <paramref name="catalogued"/> papers in the catalogue.</summary>
    public static string ToHtml(IReadOnlyList<GalleryCard> cards, int catalogued, string title = "Reproductions")
    {
        ArgumentNullException.ThrowIfNull(cards);
        var body = new StringBuilder();
        body.Append($"<h1>{Encode(title)}</h1>\n<p class=\"summary\">{Encode(Summary(cards, catalogued))}</p>\n");
        foreach (var family in cards.GroupBy(c => c.Family).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
        {
            body.Append($"<section class=\"family\"><h2>{Encode(family.Key)} ({family.Count()})</h2>\n<div class=\"cards\">\n");
            foreach (var card in family.OrderBy(c => c.Id, StringComparer.Ordinal)) AppendCard(body, card);
            body.Append("</div></section>\n");
        }
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{Encode(title)}</title>
            <style>{Style}</style>
            {PlotlyHtml.LibraryScript()}
            </head>
            <body>
            {body}
            <script type="text/javascript">{DrawThumbnails}</script>
            </body>
            </html>
            """;
    }

    /// <summary>
    /// The summary line: how many of the catalogued papers have a notebook, how many held at their scale (and how many
    /// of those are narrower than the paper), did not hold, failed or were not run.
    /// </summary>
    public static string Summary(IReadOnlyList<GalleryCard> cards, int catalogued)
    {
        int held = cards.Count(c => c.Verdict == "holds"), narrower = cards.Count(c => c.Verdict == "holds" && c.Narrower is not null);
        int notHeld = cards.Count(c => c.Verdict == "does not hold"), failed = cards.Count(c => c.Verdict == "failed");
        int notRun = cards.Count - held - notHeld - failed;
        var scales = string.Join(", ", cards.Where(c => c.Scale is not null).GroupBy(c => c.Scale!).OrderBy(g => g.Key)
            .Select(g => $"{g.Count()} at {g.Key}"));
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{cards.Count} of {catalogued} catalogued papers have a notebook. {held} claims hold at the scale run ({narrower} of them narrower than the paper), {notHeld} do not hold, {failed} failed, {notRun} not run");
        return text + (scales.Length > 0 ? $" ({scales})." : ".");
    }

    private static void AppendCard(StringBuilder sb, GalleryCard card)
    {
        string verdictClass = card.Verdict switch { "holds" => "held", "does not hold" => "not-held", "failed" => "failed", _ => "not-run" };
        sb.Append($"<article class=\"card {verdictClass}\" id=\"card-{Encode(card.Id)}\" data-id=\"{Encode(card.Id)}\">\n");
        sb.Append($"<h3>{Encode(card.Title)}</h3>\n<p class=\"id\"><code>{Encode(card.Id)}</code>");
        if (card.Scale is not null) sb.Append($" · {Encode(card.Scale)} scale");
        if (card.Seconds is { } s) sb.Append(string.Create(CultureInfo.InvariantCulture, $" · {Duration(s)}"));
        sb.Append("</p>\n");
        sb.Append($"<p class=\"verdict\">{Encode(VerdictText(card.Verdict))}");
        if (card.Narrower is not null) sb.Append(" · <span class=\"narrower\">narrower than the paper</span>");
        sb.Append("</p>\n");
        if (card.FigureJson is not null)
            sb.Append("<div class=\"thumb\"></div><script type=\"application/json\" class=\"figure\">")
              .Append(card.FigureJson.Replace("</", "<\\/", StringComparison.Ordinal)).Append("</script>\n");
        sb.Append($"<p class=\"claim\">{Encode(card.Claim)}</p>\n");
        if (card.Narrower is not null) sb.Append($"<p class=\"narrower-text\">Narrower: {Encode(card.Narrower)}.</p>\n");
        if (card.Conditions.Count > 0)
        {
            sb.Append("<ul class=\"conditions\">");
            foreach (var c in card.Conditions) sb.Append($"<li>{Encode(c)}</li>");
            sb.Append("</ul>\n");
        }
        var links = new List<string>();
        if (card.Report is not null) links.Add($"<a href=\"{Encode(card.Report)}\">report</a>");
        if (card.Commit is not null) links.Add($"commit <code>{Encode(card.Commit[..Math.Min(10, card.Commit.Length)])}</code>");
        if (links.Count > 0) sb.Append($"<p class=\"links\">{string.Join(" · ", links)}</p>\n");
        sb.Append("</article>\n");
    }

    private static string VerdictText(string verdict) => verdict switch
    {
        "holds" => "✓ claim holds",
        "does not hold" => "✗ claim does not hold",
        "failed" => "✗ the experiment failed",
        _ => "not run",
    };

    private static string Duration(double seconds) => seconds < 90
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F0} s")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F1} min");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private const string Style = """
        body { font-family: sans-serif; margin: 16px 24px; color: #222; }
        .summary { font-size: 1.05em; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px; }
        .card { border: 1px solid #ccc; border-left: 6px solid #999; border-radius: 4px; padding: 8px 12px; background: #fff; }
        .card.held { border-left-color: #2ca02c; } .card.not-held { border-left-color: #d62728; } .card.failed { border-left-color: #7f0000; }
        .card h3 { font-size: 1em; margin: 4px 0; } .card p { margin: 4px 0; font-size: 0.9em; }
        .id, .links { color: #555; } .verdict { font-weight: bold; } .narrower { color: #b26b00; }
        .narrower-text { color: #6b4a00; } .conditions { font-size: 0.8em; padding-left: 18px; margin: 4px 0; }
        .thumb { width: 100%; height: 200px; }
        """;

    // Each card's figure is drawn once, as a static plot, when the card scrolls into view (hundreds of cards stay cheap).
    private const string DrawThumbnails = """
        (function () {
          function draw(card) {
            var thumb = card.querySelector('.thumb'), data = card.querySelector('script.figure');
            if (!thumb || !data || thumb.dataset.drawn) return;
            thumb.dataset.drawn = '1';
            try {
              var figure = JSON.parse(data.textContent), layout = figure.layout || {};
              layout.width = thumb.clientWidth || 320; layout.height = 200; layout.title = undefined; layout.showlegend = false;
              layout.margin = { l: 30, r: 10, t: 10, b: 25 }; layout.font = { size: 8 };
              window.Plotly.newPlot(thumb, figure.data || [], layout, { staticPlot: true, displayModeBar: false });
            } catch (e) { thumb.textContent = 'figure could not be drawn: ' + e; }
          }
          var cards = document.querySelectorAll('article.card');
          if (!('IntersectionObserver' in window)) { cards.forEach(draw); return; }
          var seen = new IntersectionObserver(function (entries) {
            entries.forEach(function (e) { if (e.isIntersecting) { draw(e.target); seen.unobserve(e.target); } });
          }, { rootMargin: '200px' });
          cards.forEach(function (c) { seen.observe(c); });
        })();
        """;
}
