namespace Research.Interactive.Tests;

/// <summary>The panel views drawn by plotly.js in Debian's Chromium: what a reader sees, not only the JSON.</summary>
[Collection(DisplayCollection.Name)]
public class PanelViewBrowserTests(BrowserFixture browser)
{
    private const string Gd = "document.querySelector('.research-figure.js-plotly-plot')";

    [Fact]
    public async Task ImageGridDrawsLowValuesDarkWithRowZeroOnTop()
    {
        // Row 0 holds the low value, the last row the high one: the top of the drawn image must be dark, the bottom light.
        double[][] pixels = Enumerable.Range(0, 8).Select(r => Enumerable.Repeat(r < 4 ? 0.0 : 1.0, 8).ToArray()).ToArray();
        var figure = new ImageGrid("grey scale") { Min = 0, Max = 1 }.Add("low on top", pixels).ToFigure();
        var (page, blocked) = await browser.OfflinePageAsync();
        await page.SetContentAsync("<!DOCTYPE html><html><body>" + figure.ToHtml(selfContained: true) + "</body></html>");
        await page.WaitForFunctionAsync($"() => {Gd} && {Gd}.querySelector('.hm image')");
        var luminance = await page.EvaluateAsync<double[]>($@"async () => {{
            const el = {Gd}.querySelector('.hm image'), box = el.getBoundingClientRect();
            const img = new Image(); img.src = el.getAttribute('href') || el.getAttribute('xlink:href'); await img.decode();
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const at = (x, y) => {{ const d = ctx.getImageData(x, y, 1, 1).data; return (d[0] + d[1] + d[2]) / 3; }};
            return [at(img.width / 2, img.height * 0.1), at(img.width / 2, img.height * 0.9), box.width / box.height];
        }}");
        Assert.True(luminance[0] < 60, $"the low value (top) should be drawn dark, luminance {luminance[0]}");
        Assert.True(luminance[1] > 200, $"the high value (bottom) should be drawn light, luminance {luminance[1]}");
        Assert.InRange(luminance[2], 0.9, 1.1);                         // square pixels
        Assert.Empty(blocked);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task PanelGridDrawsEveryPanelWithOneLegendEntryPerSeries()
    {
        var grid = new PanelGrid(2, 2, "four panels") { SharedX = true, XTitle = "step" };
        for (int p = 0; p < 4; p++)
        {
            grid.Line(p, "model A", [0, 1, 2], [p, p + 1, p + 2]).Line(p, "model B", [0, 1, 2], [2, 1, 0]);
            grid.Title(p, $"panel {p}");
        }
        var (page, _) = await browser.OfflinePageAsync();
        await page.SetContentAsync("<!DOCTYPE html><html><body>" + grid.ToFigure().ToHtml(selfContained: true) + "</body></html>");
        await page.WaitForFunctionAsync($"() => {Gd} && {Gd}.querySelectorAll('.scatterlayer .trace').length === 8");
        Assert.Equal(4, await page.EvaluateAsync<int>($"{Gd}.querySelectorAll('.cartesianlayer .subplot').length"));
        Assert.Equal(2, await page.EvaluateAsync<int>($"{Gd}.querySelectorAll('.legend .traces').length"));
        var colours = await page.EvaluateAsync<string[]>($"{Gd}.data.map(t => t.line.color)");
        Assert.Equal(2, colours.Distinct().Count());
        await page.Context.CloseAsync();
    }
}
