namespace Research.Interactive.Tests;

public class SpectrogramStripTests
{
    [Fact]
    public void OnePanelPerClipWithTheToneAtItsFrequencyAndOneColourBar()
    {
        const int rate = 8000;
        float[] Tone(double hz) => [.. Enumerable.Range(0, 2048).Select(n => (float)Math.Sin(2 * Math.PI * hz * n / rate))];
        var grid = SpectrogramStrip.Of([("500 Hz", Tone(500)), ("1 kHz", Tone(1000)), ("1.5 kHz", Tone(1500))], rate, maxFrequency: 2000,
            nFft: 256, hop: 128, topDb: 60, title: "strip");
        var json = grid.ToFigure().ToJsonObject();
        var data = json["data"]!.AsArray();
        Assert.Equal(["x", "x2", "x3"], data.Select(t => (string)t!["xaxis"]!).ToArray());
        Assert.Equal([false, false, true], data.Select(t => (bool)t!["showscale"]!).ToArray());
        double[] expected = [500, 1000, 1500];
        for (int p = 0; p < 3; p++)
        {
            var freqs = data[p]!["y"]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.True(freqs[^1] <= 2000);
            var z = data[p]!["z"]!.AsArray().Select(row => row!.AsArray().Select(v => (double)v!).ToArray()).ToArray();   // [bin][frame]
            int loudest = Enumerable.Range(0, z.Length).MaxBy(b => z[b][0]);
            Assert.Equal(expected[p], freqs[loudest], 1e-9);
            Assert.Equal(0, z[loudest].Max(), 6);                                    // dB relative to the clip's own peak
            Assert.True(z.All(row => row.All(v => v >= -60)));
        }
        Assert.Equal("1 kHz", (string)json["layout"]!["annotations"]![1]!["text"]!);
        Assert.Throws<ArgumentException>(() => SpectrogramStrip.Of([], rate, 1000));
    }
}
