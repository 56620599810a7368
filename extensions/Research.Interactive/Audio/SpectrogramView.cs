namespace Research.Interactive;

/// <summary>Spectrogram figures of a mono waveform: dB colour scale, time in seconds, frequency in Hz.</summary>
public static class SpectrogramView
{
    /// <summary>Linear-frequency spectrogram (|STFT|² in dB relative to the peak, floored at −<paramref name="topDb"/>).</summary>
    public static Figure Linear(ReadOnlySpan<float> wave, int sampleRate, int nFft = 1024, int? hop = null,
        double topDb = 80, double? maxFrequency = null, string? title = null)
    {
        var spec = Stft.Power(wave, sampleRate, nFft, hop);
        int bins = spec.Frequencies.Length;
        if (maxFrequency is { } fMax) bins = Math.Max(1, spec.Frequencies.Count(f => f <= fMax));
        var power = spec.Power.Select(row => row[..bins]).ToArray();
        var heatmap = SpectrogramHeatmap(Stft.ToDecibels(power, topDb), spec.Times, spec.Frequencies[..bins], topDb);
        return new Figure([heatmap], SpectrogramLayout(title ?? "Spectrogram", "frequency (Hz)"));
    }

    /// <summary>Mel spectrogram: power through <paramref name="nMels"/> triangular mel filters, rows placed at the bands' centre frequencies.</summary>
    public static Figure Mel(ReadOnlySpan<float> wave, int sampleRate, int nMels = 80, int nFft = 1024, int? hop = null,
        double fMin = 0, double? fMax = null, double topDb = 80, string? title = null)
    {
        var (db, times, centers) = MelDecibels(wave, sampleRate, nMels, nFft, hop, fMin, fMax, topDb);
        var heatmap = SpectrogramHeatmap(db, times, centers.Select(MelFilterbank.HzToMel).ToArray(), topDb);
        heatmap.HoverTemplate = "%{x:.3f} s, %{y:.0f} mel: %{z:.1f} dB<extra></extra>";
        var layout = SpectrogramLayout(title ?? "Mel spectrogram", "frequency (Hz, mel scale)");
        layout.YAxis = MelAxis(fMin, fMax ?? sampleRate / 2.0);
        return new Figure([heatmap], layout);
    }

    /// <summary>
    /// Target and generated audio side by side with one shared dB scale (relative to the target's peak), so a missing
    /// harmonic or extra noise shows as a colour difference.
    /// </summary>
    public static Figure Compare(ReadOnlySpan<float> target, ReadOnlySpan<float> generated, int sampleRate, bool mel = true,
        int nMels = 80, int nFft = 1024, int? hop = null, double topDb = 80, string? title = null)
    {
        double[][] tPow, gPow; double[] tTimes, gTimes, freqs;
        var tSpec = Stft.Power(target, sampleRate, nFft, hop);
        var gSpec = Stft.Power(generated, sampleRate, nFft, hop);
        (tTimes, gTimes) = (tSpec.Times, gSpec.Times);
        if (mel)
        {
            var bank = MelFilterbank.Create(nMels, nFft, sampleRate);
            (tPow, gPow, freqs) = (bank.Apply(tSpec.Power), bank.Apply(gSpec.Power), bank.CenterFrequencies.Select(MelFilterbank.HzToMel).ToArray());
        }
        else (tPow, gPow, freqs) = (tSpec.Power, gSpec.Power, tSpec.Frequencies);

        // One reference for both: decibels of the stacked frames, split back.
        var db = Stft.ToDecibels([.. tPow, .. gPow], topDb);
        var left = SpectrogramHeatmap(db[..tPow.Length], tTimes, freqs, topDb);
        var right = SpectrogramHeatmap(db[tPow.Length..], gTimes, freqs, topDb);
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

    /// <summary>Mel power in dB [frame][band] with frame times and band centres.</summary>
    public static (double[][] db, double[] times, double[] centers) MelDecibels(ReadOnlySpan<float> wave, int sampleRate,
        int nMels = 80, int nFft = 1024, int? hop = null, double fMin = 0, double? fMax = null, double topDb = 80)
    {
        var spec = Stft.Power(wave, sampleRate, nFft, hop);
        var bank = MelFilterbank.Create(nMels, nFft, sampleRate, fMin, fMax);
        return (Stft.ToDecibels(bank.Apply(spec.Power), topDb), spec.Times, bank.CenterFrequencies);
    }

    /// <summary>A heatmap with time across and frequency up: transposes [frame][bin] to plotly's [row = bin][column = frame].</summary>
    private static Heatmap SpectrogramHeatmap(double[][] db, double[] times, double[] freqs, double topDb)
    {
        int frames = db.Length, bins = freqs.Length;
        var z = new double[bins][];
        for (int k = 0; k < bins; k++)
        {
            z[k] = new double[frames];
            for (int f = 0; f < frames; f++) z[k][f] = db[f][k];
        }
        return new Heatmap
        {
            Z = z, X = times, Y = freqs,
            ColorScale = "Viridis", ZMin = -topDb, ZMax = 0,
            ColorBar = new ColorBar { Title = "dB" },
            HoverTemplate = "%{x:.3f} s, %{y:.0f} Hz: %{z:.1f} dB<extra></extra>",
        };
    }

    /// <summary>A y axis in mel units whose ticks are labelled in Hz.</summary>
    private static Axis MelAxis(double fMin, double fMax)
    {
        double[] candidates = [0, 100, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000];
        var hz = candidates.Where(f => f >= fMin && f <= fMax).ToArray();
        return new Axis
        {
            Title = "frequency (Hz, mel scale)",
            TickVals = hz.Select(MelFilterbank.HzToMel).ToArray(),
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
