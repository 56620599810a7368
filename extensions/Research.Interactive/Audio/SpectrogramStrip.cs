using Research.Torch;

namespace Research.Interactive;

/// <summary>
/// A row of linear spectrograms of short clips (e.g. one sample at successive denoising steps) on one frequency axis: one
/// panel per clip, each in dB relative to its own peak and floored at −topDb (Viridis: dark = quiet), time in seconds.
/// </summary>
public static class SpectrogramStrip
{
    /// <summary>
    /// The strip of <paramref name="clips"/> (caption, samples), frequencies up to <paramref name="maxFrequency"/> Hz, as a
    /// <see cref="PanelGrid"/> with one panel per clip.
    /// </summary>
    public static PanelGrid Of(IReadOnlyList<(string Caption, float[] Wave)> clips, int sampleRate, double maxFrequency,
        int nFft = 256, int? hop = null, double topDb = 60, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(clips);
        if (clips.Count == 0) throw new ArgumentException("a strip needs at least one clip", nameof(clips));
        var grid = new PanelGrid(1, clips.Count, title) { SharedY = true, XTitle = "time (s)", YTitle = "frequency (Hz)", ShowLegend = false };
        var freqs = Spectrogram.BinFrequencies(nFft, sampleRate);
        int bins = Math.Max(1, freqs.Count(f => f <= maxFrequency));
        for (int p = 0; p < clips.Count; p++)
        {
            using var scope = Research.Torch.Torch.NewScope();
            using var noGrad = Research.Torch.Torch.NoGrad();
            var (power, times) = Spectrogram.Power(Tensor.From(clips[p].Wave), sampleRate, nFft, hop);
            var shown = power.Narrow(0, 0, bins);
            var db = Spectrogram.Decibels(shown, Spectrogram.Peak(shown), topDb);
            grid.Add(p, new Heatmap
            {
                Z = Spectrogram.Rows(db), X = times, Y = freqs[..bins], ColorScale = "Viridis", ZMin = -topDb, ZMax = 0,
                ShowScale = p == clips.Count - 1, ColorBar = new ColorBar { Title = "dB" },
                HoverTemplate = "%{x:.3f} s, %{y:.0f} Hz: %{z:.1f} dB<extra></extra>",
            });
            grid.Title(p, clips[p].Caption);
        }
        return grid;
    }
}
