namespace Research.Interactive.Tests;

/// <summary>The reproduction gallery as a reader opens it: offline, in Debian's Chromium.</summary>
[Collection(DisplayCollection.Name)]
public class GalleryBrowserTests(BrowserFixture browser)
{
    private static GalleryCard Card(string id, string family, string verdict, string? narrower = null, string? figure = null) =>
        new(id, family, $"Paper {id}", $"claim of {id}", verdict, narrower, [$"{id} quantity: 0.9 ≥ 0.8 (margin 0.1) ✓"], "smoke", 7.5,
            $"{family}/{id}.html", figure, "0123456789abcdef");

    private const string LineFigure = """{"data":[{"type":"scatter","mode":"lines","x":[0,1,2],"y":[3,1,2]}],"layout":{"title":{"text":"loss"}}}""";

    [Fact]
    public async Task EveryCardIsShownWithItsVerdictAndItsFigureIsDrawnWithoutTheNetwork()
    {
        var cards = new[]
        {
            Card("alpha", "sequence models", "holds", figure: LineFigure),
            Card("beta", "sequence models", "does not hold"),
            Card("gamma", "audio generation", "holds", narrower: "one task only", figure: LineFigure),
            Card("delta", "audio generation", "failed"),
        };
        var path = Path.Combine(Path.GetTempPath(), $"gallery-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(path, GalleryPage.ToHtml(cards, catalogued: 314));
        try
        {
            var (page, blocked) = await browser.OfflinePageAsync();
            await page.GotoAsync(new Uri(path).AbsoluteUri);
            Assert.Equal(["alpha", "beta", "delta", "gamma"],
                (await page.EvaluateAsync<string[]>("[...document.querySelectorAll('article.card')].map(c => c.dataset.id)")).Order());
            Assert.Equal(2, await page.EvaluateAsync<int>("document.querySelectorAll('section.family').length"));
            Assert.Contains("4 of 314 catalogued papers have a notebook. 2 claims hold",
                await page.EvaluateAsync<string>("document.querySelector('.summary').textContent"));
            Assert.Equal("held", await page.EvaluateAsync<string>("document.getElementById('card-alpha').classList[1]"));
            Assert.Contains("narrower than the paper", await page.EvaluateAsync<string>("document.getElementById('card-gamma').textContent"));
            Assert.Contains("does not hold", await page.EvaluateAsync<string>("document.getElementById('card-beta').textContent"));

            // Thumbnails are drawn as cards come into view: scroll each into view and wait for its plot.
            foreach (var id in new[] { "alpha", "gamma" })
            {
                await page.EvaluateAsync($"document.getElementById('card-{id}').scrollIntoView()");
                await page.WaitForFunctionAsync($"() => document.querySelector('#card-{id} .thumb .main-svg .scatterlayer .trace')");
            }
            Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('#card-beta .thumb').length"));
            Assert.Equal("sequence models/alpha.html",
                await page.EvaluateAsync<string>("document.querySelector('#card-alpha .links a').getAttribute('href')"));
            Assert.Empty(blocked);
            await page.Context.CloseAsync();
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>
/// The gallery of this checkout's last notebook run ($NOTEBOOKS_OUT/index.html, else artifacts/notebooks/index.html,
/// written by environment/test.sh and run.sh after the notebooks): a card per executed notebook, drawn offline.
/// environment/test.sh runs it after the notebooks (Category=AfterNotebooks); the main xunit pass leaves it out.
/// </summary>
[Collection(DisplayCollection.Name)]
public class CheckoutGalleryTests(BrowserFixture browser)
{
    [Fact]
    [Trait("Category", "AfterNotebooks")]
    public async Task TheGalleryHasACardForEveryExecutedNotebook()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Research.sln"))) root = Path.GetDirectoryName(root);
        Assert.True(root is not null, "not inside a checkout");
        var notebooks = Environment.GetEnvironmentVariable("NOTEBOOKS_OUT") is { Length: > 0 } o ? o : Path.Combine(root!, "artifacts", "notebooks");
        var gallery = Path.Combine(notebooks, "index.html");
        Assert.True(File.Exists(gallery), $"{gallery} is missing: run environment/test.sh (or notebooks.sh, then `research gallery`) first");
        var executed = Directory.EnumerateFiles(notebooks, "*.ipynb", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).Order().ToArray();
        Assert.NotEmpty(executed);

        var (page, blocked) = await browser.OfflinePageAsync();
        await page.GotoAsync(new Uri(gallery).AbsoluteUri);
        var cards = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('article.card')].map(c => c.dataset.id)");
        Assert.Equal(executed, cards.Order().ToArray());
        var verdicts = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('article.card .verdict')].map(v => v.textContent)");
        Assert.All(verdicts, v => Assert.DoesNotContain("not run", v));      // every executed notebook left its claim record
        var first = cards.Order().First();
        await page.EvaluateAsync($"document.getElementById('card-{first}').scrollIntoView()");
        await page.WaitForFunctionAsync($"() => document.querySelector('#card-{first} .thumb .main-svg')");
        Assert.Empty(blocked);
        await page.Context.CloseAsync();
    }
}
