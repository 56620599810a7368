using Research.Torch;

namespace Research.Interactive;

/// <summary>
/// Spectrogram figures of a mono waveform (a <see cref="Tensor"/> of shape [T] or [1, T], or a float span): STFT through
/// Research.Torch with a periodic Hann window, dB colour scale, time in seconds, frequency in Hz.
/// </summary>
public static class SpectrogramView
{
    /// <summary>Linear-frequency spectrogram (|STFT|² in dB relative to the peak, floored at −<paramref name="topDb"/>).</summary>
    public static Figure Linear(Tensor wave, int sampleRate, int nFft = 1024, int? hop = null,
        double topDb = 80, double? maxFrequency = null, string? title = null)
    {
        using var scope = Research.Torch.Torch.NewScope();
        using var noGrad = Research.Torch.Torch.NoGrad();
        var (power, times) = Spectrogram.Power(wave, sampleRate, nFft, hop);
        var freqs = Spectrogram.BinFrequencies(nFft, sampleRate);
        int bins = freqs.Length;
        if (maxFrequency is { } fMax) bins = Math.Max(1, freqs.Count(f => f <= fMax));
        var shown = power.Narrow(0, 0, bins);
        var db = Spectrogram.Decibels(shown, Spectrogram.Peak(shown), topDb);
        var heatmap = SpectrogramHeatmap(Spectrogram.Rows(db), times, freqs[..bins], topDb);
        return new Figure([heatmap], SpectrogramLayout(title ?? "Spectrogram", "frequency (Hz)"));
    }

    /// <summary>Linear-frequency spectrogram of samples in a span.</summary>
    public static Figure Linear(ReadOnlySpan<float> wave, int sampleRate, int nFft = 1024, int? hop = null,
        double topDb = 80, double? maxFrequency = null, string? title = null)
    {
        using var scope = Research.Torch.Torch.NewScope();
        return Linear(Tensor.From(wave), sampleRate, nFft, hop, topDb, maxFrequency, title);
    }

    /// <summary>Mel spectrogram: power through <paramref name="nMels"/> triangular mel filters (a matrix product), rows placed at the bands' centre frequencies.</summary>
    public static Figure Mel(Tensor wave, int sampleRate, int nMels = 80, int nFft = 1024, int? hop = null,
        double fMin = 0, double? fMax = null, double topDb = 80, string? title = null)
    {
        var (db, times, centers) = MelBands(wave, sampleRate, nMels, nFft, hop, fMin, fMax, topDb);
        var heatmap = SpectrogramHeatmap(db, times, centers.Select(f => Research.Torch.Audio.Mel.FromHz(f)).ToArray(), topDb);
        heatmap.HoverTemplate = "%{x:.3f} s, %{y:.0f} mel: %{z:.1f} dB<extra></extra>";
        var layout = SpectrogramLayout(title ?? "Mel spectrogram", "frequency (Hz, mel scale)");
        layout.YAxis = MelAxis(fMin, fMax ?? sampleRate / 2.0);
        return new Figure([heatmap], layout);
    }

    /// <summary>Mel spectrogram of samples in a span.</summary>
    public static Figure Mel(ReadOnlySpan<float> wave, int sampleRate, int nMels = 80, int nFft = 1024, int? hop = null,
        double fMin = 0, double? fMax = null, double topDb = 80, string? title = null)
    {
        using var scope = Research.Torch.Torch.NewScope();
        return Mel(Tensor.From(wave), sampleRate, nMels, nFft, hop, fMin, fMax, topDb, title);
    }

    /// <summary>
    /// Target and generated audio side by side with one shared dB scale (relative to the target's peak), so a missing
    /// harmonic or extra noise shows as a colour difference.
    /// </summary>
    public static Figure Compare(Tensor target, Tensor generated, int sampleRate, bool mel = true,
        int nMels = 80, int nFft = 1024, int? hop = null, double topDb = 80, string? title = null)
    {
        double[][] tDb, gDb; double[] tTimes, gTimes, freqs;
        using (Research.Torch.Torch.NewScope())
        using (Research.Torch.Torch.NoGrad())
        {
            var (tPow, tt) = Spectrogram.Power(target, sampleRate, nFft, hop);
            var (gPow, gt) = Spectrogram.Power(generated, sampleRate, nFft, hop);
            (tTimes, gTimes) = (tt, gt);
            if (mel)
            {
                (tPow, gPow) = (Spectrogram.Mel(tPow, sampleRate, nMels), Spectrogram.Mel(gPow, sampleRate, nMels));
                freqs = Spectrogram.MelCenters(sampleRate, nMels).Select(f => Research.Torch.Audio.Mel.FromHz(f)).ToArray();
            }
            else freqs = Spectrogram.BinFrequencies(nFft, sampleRate);
            // One reference for both: the louder of the two peaks.
            double reference = Math.Max(Spectrogram.Peak(tPow), Spectrogram.Peak(gPow));
            (tDb, gDb) = (Spectrogram.Rows(Spectrogram.Decibels(tPow, reference, topDb)), Spectrogram.Rows(Spectrogram.Decibels(gPow, reference, topDb)));
        }
        var left = SpectrogramHeatmap(tDb, tTimes, freqs, topDb);
        var right = SpectrogramHeatmap(gDb, gTimes, freqs, topDb);
        right.XAxis = "x2"; right.YAxis = "y2"; right.ShowScale = false;
        left.Name = "target"; right.Name = "generated";
        var layout = SpectrogramLayout(title ?? "Target vs generated", "frequency (Hz)");
        if (mel) layout.YAxis = MelAxis(0, sampleRate / 2.0);
        layout.XAxis!.Domain = [0, 0.45];
        layout.SetAxis("xaxis2", new Axis { Title = "time (s)", Domain = [0.5, 0.95], Anchor = "y2" });
        layout.SetAxis("yaxis2", new Axis { Anchor = "x2", Matches = "y", TickVals = layout.YAxis!.TickVals, TickText = layout.YAxis.TickText });
        layout.Annotations =
        [
            new Annotation { Text = "target", X = 0.225, Y = 1.0, XRef = "paper", YRef = "paper", ShowArrow = false, XAnchor = "center", YAnchor = "bottom" },
            new Annotation { Text = "generated", X = 0.725, Y = 1.0, XRef = "paper", YRef = "paper", ShowArrow = false, XAnchor = "center", YAnchor = "bottom" },
        ];
        return new Figure([left, right], layout);
    }

    /// <summary>Side-by-side spectrograms of samples in spans.</summary>
    public static Figure Compare(ReadOnlySpan<float> target, ReadOnlySpan<float> generated, int sampleRate, bool mel = true,
        int nMels = 80, int nFft = 1024, int? hop = null, double topDb = 80, string? title = null)
    {
        using var scope = Research.Torch.Torch.NewScope();
        return Compare(Tensor.From(target), Tensor.From(generated), sampleRate, mel, nMels, nFft, hop, topDb, title);
    }

    /// <summary>Mel power in dB [frame][band] with frame times and band centres.</summary>
    public static (double[][] db, double[] times, double[] centers) MelDecibels(Tensor wave, int sampleRate,
        int nMels = 80, int nFft = 1024, int? hop = null, double fMin = 0, double? fMax = null, double topDb = 80)
    {
        var (db, times, centers) = MelBands(wave, sampleRate, nMels, nFft, hop, fMin, fMax, topDb);
        var frames = Enumerable.Range(0, times.Length).Select(f => db.Select(band => band[f]).ToArray()).ToArray();
        return (frames, times, centers);
    }

    /// <summary>Mel power in dB [frame][band] of samples in a span.</summary>
    public static (double[][] db, double[] times, double[] centers) MelDecibels(ReadOnlySpan<float> wave, int sampleRate,
        int nMels = 80, int nFft = 1024, int? hop = null, double fMin = 0, double? fMax = null, double topDb = 80)
    {
        using var scope = Research.Torch.Torch.NewScope();
        return MelDecibels(Tensor.From(wave), sampleRate, nMels, nFft, hop, fMin, fMax, topDb);
    }

    /// <summary>Mel power in dB [band][frame] (plotly's row order).</summary>
    private static (double[][] db, double[] times, double[] centers) MelBands(Tensor wave, int sampleRate,
        int nMels, int nFft, int? hop, double fMin, double? fMax, double topDb)
    {
        using var scope = Research.Torch.Torch.NewScope();
        using var noGrad = Research.Torch.Torch.NoGrad();
        var (power, times) = Spectrogram.Power(wave, sampleRate, nFft, hop);
        var mel = Spectrogram.Mel(power, sampleRate, nMels, fMin, fMax);
        return (Spectrogram.Rows(Spectrogram.Decibels(mel, Spectrogram.Peak(mel), topDb)), times, Spectrogram.MelCenters(sampleRate, nMels, fMin, fMax));
    }

    /// <summary>A heatmap with time across and frequency up: rows are [bin][frame], as plotly's z.</summary>
    private static Heatmap SpectrogramHeatmap(double[][] z, double[] times, double[] freqs, double topDb) => new()
    {
        Z = z, X = times, Y = freqs,
        ColorScale = "Viridis", ZMin = -topDb, ZMax = 0,
        ColorBar = new ColorBar { Title = "dB" },
        HoverTemplate = "%{x:.3f} s, %{y:.0f} Hz: %{z:.1f} dB<extra></extra>",
    };

    /// <summary>A y axis in mel units whose ticks are labelled in Hz.</summary>
    private static Axis MelAxis(double fMin, double fMax)
    {
        double[] candidates = [0, 100, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000];
        var hz = candidates.Where(f => f >= fMin && f <= fMax).ToArray();
        return new Axis
        {
            Title = "frequency (Hz, mel scale)",
            TickVals = hz.Select(f => Research.Torch.Audio.Mel.FromHz(f)).ToArray(),
            TickText = hz.Select(f => f >= 1000 ? $"{f / 1000:0.#}k" : $"{f:0}").ToArray(),
        };
    }

    private static Layout SpectrogramLayout(string title, string yTitle) => new()
    {
        Title = title,
        XAxis = new Axis { Title = "time (s)" },
        YAxis = new Axis { Title = yTitle },
        Height = 360,
        Margin = new Margin { L = 70, R = 20, T = 50, B = 50 },
    };
}
