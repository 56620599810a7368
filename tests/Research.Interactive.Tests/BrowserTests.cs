using System.Text.Json;
using Microsoft.Playwright;

namespace Research.Interactive.Tests;

/// <summary>One headless Debian Chromium for the browser tests, driven by Playwright (never its own browser download).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = FigureExport.FindChromium(),
            Headless = true,
            Args = FigureExport.ChromiumArguments,
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.CloseAsync();
        Playwright.Dispose();
    }

    /// <summary>A page in a fresh context whose every non-file request is aborted and recorded.</summary>
    public async Task<(IPage page, List<string> blocked)> OfflinePageAsync()
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1000, Height = 800 } });
        var blocked = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            var url = route.Request.Url;
            if (url.StartsWith("file:", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal) || url == "about:blank")
                await route.ContinueAsync();
            else
            {
                lock (blocked) blocked.Add(url);
                await route.AbortAsync();
            }
        });
        return (await context.NewPageAsync(), blocked);
    }
}

/// <summary>
/// A notebook front end in a real page: text/html outputs are inserted with their scripts run (as Jupyter does), and
/// updates of figure outputs are applied from their plotly JSON with Plotly.react.
/// </summary>
internal sealed class PageDisplayTarget(IPage page) : IDisplayTarget
{
    private int _next;
    public int Updates { get; private set; }

    public string Show(object? value)
    {
        var id = $"out{++_next}";
        var bundle = Formatters.ToMimeBundle(value);
        page.EvaluateAsync(@"([id, html]) => {
            const div = document.createElement('div'); div.id = id; document.body.appendChild(div);
            div.innerHTML = html;
            for (const old of div.querySelectorAll('script')) {
                const s = document.createElement('script'); s.textContent = old.textContent; old.replaceWith(s);
            }
        }", new[] { id, bundle.GetText(MimeBundle.Html)! }).GetAwaiter().GetResult();
        return id;
    }

    public void Update(string displayId, object? value)
    {
        var json = Formatters.ToMimeBundle(value).ToJson()[MimeBundle.PlotlyJson]!.ToJsonString();
        page.EvaluateAsync(@"([id, json]) => {
            const fig = JSON.parse(json);
            const gd = document.querySelector('#' + id + ' .research-figure');
            return Plotly.react(gd, fig.data, fig.layout, fig.config).then(() => true);
        }", new[] { displayId, json }).GetAwaiter().GetResult();
        Updates++;
    }
}

[Collection(DisplayCollection.Name)]
public class BrowserTests(BrowserFixture browser)
{
    private const string Gd = "document.querySelector('.research-figure.js-plotly-plot')";

    [Fact]
    public async Task LiveCurveUpdatedNTimesShowsNPoints()
    {
        var (page, blocked) = await browser.OfflinePageAsync();
        await page.SetContentAsync("<!DOCTYPE html><html><body style='font-family:sans-serif'></body></html>");
        const int n = 25;
        var target = new PageDisplayTarget(page);
        int shown = 0;
        await Task.Run(() =>
        {
            {
                Display.Target = target;
                PlotlyJs.ResetNotebook();
                try
                {
                    // Refresh on every point: no throttle, so each Add is one Plotly.react.
                    var curve = new LossCurve("live") { MinRefreshInterval = TimeSpan.Zero, RenderBudget = 1e9 }.Show();
                    for (int i = 0; i < n; i++) curve.Add("loss", i, Math.Exp(-i / 8.0));
                    shown = target.Updates;
                }
                finally { Display.Target = null; PlotlyJs.ResetNotebook(); }
            }
        });
        Assert.Equal(n, shown);
        Assert.Equal(n, await page.EvaluateAsync<int>($"{Gd}.data[0].x.length"));
        Assert.Equal(n, await page.EvaluateAsync<int>($"{Gd}.querySelectorAll('.scatterlayer .trace .points path.point').length"));
        Assert.Equal(2, await page.Locator("body > div").CountAsync());      // plotly.js output + the curve, updated in place
        Assert.Empty(blocked);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ThrottledLiveCurveShowsEveryPointAfterCompleteAndLooksRight()
    {
        var (page, blocked) = await browser.OfflinePageAsync();
        await page.SetContentAsync("<!DOCTYPE html><html><body style='font-family:sans-serif;margin:8px'></body></html>");
        var target = new PageDisplayTarget(page);
        LossCurve? curve = null;
        await Task.Run(() =>
        {
            {
                Display.Target = target;
                PlotlyJs.ResetNotebook();
                try
                {
                    curve = new LossCurve("Training (two runs)") { Smoothing = 0.9, LogY = true }.Show();
                    var rng = new Random(2);
                    for (int step = 0; step < 3000; step++)
                    {
                        foreach (var (run, rate) in new[] { ("lr=1e-3", 400.0), ("lr=3e-4", 900.0) })
                        {
                            curve.Add("train", step, 0.05 + Math.Exp(-step / rate) * (1 + 0.3 * (rng.NextDouble() - 0.5)), run);
                            if (step % 100 == 0) curve.Add("val", step, 0.08 + Math.Exp(-step / rate), run);
                        }
                        if (step % 200 == 0) Thread.Sleep(10);
                    }
                    curve.Complete();
                }
                finally { Display.Target = null; PlotlyJs.ResetNotebook(); }
            }
        });
        Assert.True(target.Updates < 3000, $"{target.Updates} updates for 3000 steps");
        var lengths = await page.EvaluateAsync<int[]>($"{Gd}.data.map(t => t.x.length)");
        Assert.Equal(8, lengths.Length);                                       // 2 runs × 2 series × (raw, smoothed)
        Assert.Equal(1000, lengths[0]);                                        // 3000 train points averaged to 1000
        Assert.Equal(30, lengths[^1]);                                         // every val point
        Assert.Equal("log", await page.EvaluateAsync<string>($"{Gd}._fullLayout.yaxis.type"));
        await page.Locator(".research-figure").ScreenshotAsync(new() { Path = Repo.Artifacts("live-loss-curve.png") });
        Assert.Empty(blocked);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SpectrogramHeatmapAndAudioPlayersRender()
    {
        const int sr = 16000;
        var target = Chirp(sr, 1.0);
        var generated = target.Select((v, i) => v * 0.6f + 0.02f * (float)Math.Sin(i * 0.37)).ToArray();
        var view = new AudioComparison(target, generated, sr, mel: true, title: "Chirp 200→3000 Hz: target vs generated");
        var (page, blocked) = await browser.OfflinePageAsync();
        await page.SetContentAsync(PageOf(view.ToHtml(selfContained: true)));
        await page.WaitForFunctionAsync($"() => {Gd} && {Gd}._fullLayout");
        Assert.Equal(2, await page.EvaluateAsync<int>($"{Gd}.querySelectorAll('.heatmaplayer image').length"));
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('audio')].every(a => a.readyState >= 1)");
        var durations = await page.EvaluateAsync<double[]>("[...document.querySelectorAll('audio')].map(a => a.duration)");
        Assert.Equal(2, durations.Length);
        Assert.All(durations, d => Assert.Equal(1.0, d, 2));
        await page.Locator(".research-audio-comparison").ScreenshotAsync(new() { Path = Repo.Artifacts("spectrogram-comparison.png") });

        // A single linear spectrogram as a figure on its own.
        await page.SetContentAsync(PageOf(SpectrogramView.Linear(target, sr, maxFrequency: 4000).ToHtml(selfContained: true)));
        await page.WaitForFunctionAsync($"() => {Gd} && {Gd}.querySelector('.heatmaplayer image')");
        Assert.Equal("dB", await page.EvaluateAsync<string>($"{Gd}._fullData[0].colorbar.title.text"));
        Assert.Empty(blocked);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SelfContainedHtmlRendersWithTheNetworkBlocked()
    {
        var dir = Directory.CreateTempSubdirectory("research-html-");
        try
        {
            var curve = new LossCurve("saved run");
            for (int i = 0; i < 50; i++) curve.Add("loss", i, 1.0 / (i + 1));
            var path = Path.Combine(dir.FullName, "run", "loss.html");
            curve.SaveHtml(path);
            var (page, blocked) = await browser.OfflinePageAsync();
            var requests = new List<string>();
            page.Request += (_, r) => { lock (requests) requests.Add(r.Url); };
            await page.GotoAsync(new Uri(path).AbsoluteUri);
            await page.WaitForFunctionAsync($"() => {Gd} && {Gd}.querySelector('.scatterlayer .trace path.js-line')");
            Assert.Equal(50, await page.EvaluateAsync<int>($"{Gd}.data[0].x.length"));
            Assert.Empty(blocked);
            Assert.Equal([new Uri(path).AbsoluteUri], requests.Distinct().ToArray()); // the page itself and nothing else
            await page.Context.CloseAsync();
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public async Task PngExportIsNotBlank()
    {
        var figure = SpectrogramView.Mel(Chirp(16000, 1.0), 16000, title: "Mel spectrogram of a chirp");
        var png = await Task.Run(() => FigureExport.ToPng(figure, width: 800, height: 400));
        File.WriteAllBytes(Repo.Artifacts("mel-spectrogram-export.png"), png);
        var (page, _) = await browser.OfflinePageAsync();
        var stats = await page.EvaluateAsync<double[]>(@"async (url) => {
            const img = new Image(); img.src = url; await img.decode();
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let sum = 0, sq = 0, n = d.length / 4;
            for (let i = 0; i < d.length; i += 4) { const l = (d[i] + d[i + 1] + d[i + 2]) / 3; sum += l; sq += l * l; }
            const mean = sum / n;
            return [img.width, img.height, sq / n - mean * mean];
        }", "data:image/png;base64," + Convert.ToBase64String(png));
        Assert.Equal(800, stats[0]);
        Assert.Equal(400, stats[1]);
        Assert.True(stats[2] > 500, $"luminance variance {stats[2]} looks blank");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TensorImagePreviewDecodesInTheBrowser()
    {
        Formatters.Register();
        string html;
        using (var scope = Research.Torch.Torch.NewScope())
        {
            var ramp = Research.Torch.Tensor.Linspace(0, 1, 24 * 32).Reshape(24, 32);
            html = Microsoft.DotNet.Interactive.Formatting.Formatter.ToDisplayString(ramp, "text/html");
        }
        var (page, blocked) = await browser.OfflinePageAsync();
        await page.SetContentAsync(PageOf(html));
        await page.WaitForFunctionAsync("() => document.querySelector('.research-tensor img').complete");
        var size = await page.EvaluateAsync<int[]>("(() => { const i = document.querySelector('.research-tensor img'); return [i.naturalWidth, i.naturalHeight]; })()");
        Assert.Equal([32, 24], size);
        var corners = await page.EvaluateAsync<int[]>(@"(() => {
            const img = document.querySelector('.research-tensor img');
            const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            return [ctx.getImageData(0, 0, 1, 1).data[0], ctx.getImageData(31, 23, 1, 1).data[0]];
        })()");
        Assert.Equal([0, 255], corners);                    // row-major ramp: black top-left, white bottom-right
        await page.Locator(".research-tensor").ScreenshotAsync(new() { Path = Repo.Artifacts("tensor-preview.png") });
        Assert.Empty(blocked);
        await page.Context.CloseAsync();
    }

    private static float[] Chirp(int sr, double seconds)
    {
        int n = (int)(sr * seconds);
        double f0 = 200, f1 = 3000;
        return Enumerable.Range(0, n).Select(i =>
        {
            double t = (double)i / sr;
            double phase = 2 * Math.PI * (f0 * t + (f1 - f0) * t * t / (2 * seconds));
            return (float)(0.4 * Math.Sin(phase) + 0.15 * Math.Sin(2 * phase));
        }).ToArray();
    }

    private static string PageOf(string body) => $"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='font-family:sans-serif;margin:8px;width:960px'>{body}</body></html>";
}

