namespace Research.Interactive;

/// <summary>
/// An F0 contour drawn over a linear-frequency spectrogram (<see cref="SpectrogramView.Linear(Research.Torch.Tensor, int, int, int?, double, double?, string?)"/>):
/// one line per voiced run (F0 &gt; 0), so unvoiced frames leave gaps, all in one legend entry.
/// </summary>
public static class PitchContour
{
    /// <summary>
    /// The voiced runs of <paramref name="f0"/> (Hz, 0 = unvoiced) at <paramref name="times"/> (s) as (times, Hz) pairs, in order;
    /// every run multiplied by <paramref name="harmonic"/> (2: the contour of the second harmonic).
    /// </summary>
    public static List<(double[] Times, double[] Hz)> VoicedRuns(IReadOnlyList<double> times, IReadOnlyList<double> f0, int harmonic = 1)
    {
        if (times.Count != f0.Count) throw new ArgumentException($"{times.Count} times but {f0.Count} F0 values", nameof(f0));
        var runs = new List<(double[], double[])>();
        for (int start = 0; start < f0.Count;)
        {
            if (f0[start] <= 0) { start++; continue; }
            int end = start;
            while (end < f0.Count && f0[end] > 0) end++;
            runs.Add((Enumerable.Range(start, end - start).Select(i => times[i]).ToArray(),
                Enumerable.Range(start, end - start).Select(i => harmonic * f0[i]).ToArray()));
            start = end;
        }
        return runs;
    }

    /// <summary>Adds the contour to <paramref name="spectrogram"/> as lines named <paramref name="name"/> and returns the figure.</summary>
    public static Figure Overlay(Figure spectrogram, IReadOnlyList<double> times, IReadOnlyList<double> f0, string name = "F0",
        string color = "white", int harmonic = 1)
    {
        bool first = true;
        foreach (var (t, hz) in VoicedRuns(times, f0, harmonic))
        {
            spectrogram.Data.Add(new Scatter
            {
                X = t, Y = hz, Mode = "lines", Name = name, LegendGroup = name, ShowLegend = first,
                Line = new Line { Color = color, Width = 1.5, Dash = harmonic == 1 ? null : "dot" },
            });
            first = false;
        }
        return spectrogram;
    }
}
