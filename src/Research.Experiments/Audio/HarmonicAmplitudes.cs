namespace Research.Experiments.Audio;

/// <summary>
/// The amplitude of every harmonic of a known F0 over time, and how far two such patterns lie apart in dB. Frame f is the
/// <c>window</c> samples from f·hop, Hann-windowed (w); harmonic k's amplitude is the windowed DFT at exactly k·F0,
/// <code>
///   a_k,f = 2 |Σ_n w[n] x[f·hop + n] e^{−2πi k F0 n / N_s}| / Σ_n w[n]
/// </code>
/// which is the amplitude a of a steady sine a·sin(2π k F0 t + θ) (up to the leakage of the other harmonics, small when the
/// window spans several periods).
/// </summary>
public static class HarmonicAmplitudes
{
    /// <summary>a_k,f [frames][harmonics] of <paramref name="wave"/> for harmonics k = 1 … <paramref name="harmonics"/> of <paramref name="f0"/> Hz.</summary>
    public static double[][] Measure(float[] wave, double f0, int sampleRate, int harmonics, int window = 1024, int hop = 512)
    {
        if (f0 <= 0 || harmonics < 1 || window < 2 || hop < 1) throw new ArgumentException($"need F0 > 0, harmonics ≥ 1, window ≥ 2, hop ≥ 1; got {f0}, {harmonics}, {window}, {hop}");
        var w = Enumerable.Range(0, window).Select(n => 0.5 - 0.5 * Math.Cos(2 * Math.PI * n / window)).ToArray();
        double norm = w.Sum();
        int frames = wave.Length < window ? 0 : (wave.Length - window) / hop + 1;
        var result = new double[frames][];
        for (int f = 0; f < frames; f++)
        {
            result[f] = new double[harmonics];
            for (int k = 1; k <= harmonics; k++)
            {
                double omega = 2 * Math.PI * k * f0 / sampleRate, re = 0, im = 0;
                for (int n = 0; n < window; n++)
                {
                    double v = w[n] * wave[f * hop + n];
                    re += v * Math.Cos(omega * n);
                    im -= v * Math.Sin(omega * n);
                }
                result[f][k - 1] = 2 * Math.Sqrt(re * re + im * im) / norm;
            }
        }
        return result;
    }

    /// <summary>
    /// The harmonic pattern of every frame in dB: 10 log10(a_k² / Σ_k' a_k'²), floored at <paramref name="floorDb"/>, so a
    /// pattern does not depend on the frame's overall level.
    /// </summary>
    public static double[][] PatternDb(double[][] amplitudes, double floorDb = -60) => amplitudes.Select(frame =>
    {
        double total = frame.Sum(a => a * a) + 1e-20;
        return frame.Select(a => Math.Max(floorDb, 10 * Math.Log10(a * a / total + 1e-20))).ToArray();
    }).ToArray();

    /// <summary>
    /// Per harmonic, the mean over frames of |pattern_k,f(estimate) − pattern_k,f(target)| in dB (the frames both signals have;
    /// frames where the target is silent, below <paramref name="silenceDb"/> of its loudest frame, are skipped).
    /// </summary>
    public static double[] PatternErrorDb(double[][] target, double[][] estimate, double floorDb = -60, double silenceDb = -40)
    {
        int frames = Math.Min(target.Length, estimate.Length), harmonics = target.Length > 0 ? target[0].Length : 0;
        var energy = target.Take(frames).Select(f => f.Sum(a => a * a)).ToArray();
        double loudest = energy.Length > 0 ? energy.Max() : 0;
        var kept = Enumerable.Range(0, frames).Where(f => energy[f] > 0 && 10 * Math.Log10(energy[f] / loudest) >= silenceDb).ToArray();
        var t = PatternDb(target, floorDb);
        var e = PatternDb(estimate, floorDb);
        return Enumerable.Range(0, harmonics).Select(k => kept.Length == 0 ? double.NaN : kept.Average(f => Math.Abs(e[f][k] - t[f][k]))).ToArray();
    }
}
