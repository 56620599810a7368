using Research.Experiments.Audio;

namespace Research.Experiments.Data;

/// <summary>
/// The timbre of a <see cref="HarmonicNotes.Note"/>: partial k has amplitude k^−<paramref name="Slope"/> (0.5 bright …
/// 2 dull), only odd partials when <paramref name="OddOnly"/> (clarinet-like), a vibrato of ±<paramref name="VibratoDepth"/>
/// (relative) at <paramref name="VibratoRate"/> Hz, random partial phases from <paramref name="PhaseSeed"/>, and a peak
/// amplitude <paramref name="Level"/>.
/// </summary>
public sealed record Timbre(double Slope, bool OddOnly, double VibratoDepth, double VibratoRate, int PhaseSeed, double Level)
{
    /// <summary>A random timbre: slope in [0.6, 1.8], odd-only with probability 1/3, vibrato up to ±0.8 % at 4–6 Hz, level 0.3–0.6.</summary>
    public static Timbre Random(Random random) => new(
        Slope: 0.6 + 1.2 * random.NextDouble(),
        OddOnly: random.Next(3) == 0,
        VibratoDepth: 0.008 * random.NextDouble(),
        VibratoRate: 4 + 2 * random.NextDouble(),
        PhaseSeed: random.Next(),
        Level: 0.3 + 0.3 * random.NextDouble());
}

/// <summary>
/// Pitched notes synthesised in C#: a harmonic stack x(t) = Σ_k a_k sin(k φ(t) + θ_k) with every partial below 0.45 of the
/// sample rate, the fundamental's phase φ carrying a slow vibrato, normalised to the timbre's peak level. Deterministic.
/// </summary>
public static class HarmonicNotes
{
    /// <summary>One note of fundamental <paramref name="pitch"/> Hz and the given timbre.</summary>
    public static AudioClip Note(double pitch, Timbre timbre, double seconds, int sampleRate)
    {
        if (pitch <= 0 || seconds < 0 || sampleRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(pitch), $"need a positive pitch and rate, got {pitch} Hz, {seconds} s at {sampleRate} Hz");
        var phases = new Random(timbre.PhaseSeed);
        var partials = Enumerable.Range(1, Math.Max(1, (int)(0.45 * sampleRate / pitch)))
            .Where(k => !timbre.OddOnly || k % 2 == 1)
            .Select(k => (K: k, Amplitude: Math.Pow(k, -timbre.Slope), Phase: 2 * Math.PI * phases.NextDouble()))
            .ToArray();
        var x = new double[(int)Math.Round(seconds * sampleRate)];
        double phi = 0;
        for (int n = 0; n < x.Length; n++)
        {
            foreach (var (k, a, theta) in partials) x[n] += a * Math.Sin(k * phi + theta);
            double f = pitch * (1 + timbre.VibratoDepth * Math.Sin(2 * Math.PI * timbre.VibratoRate * n / sampleRate));
            phi += 2 * Math.PI * f / sampleRate;
        }
        double peak = x.Length == 0 ? 1 : Math.Max(1e-12, x.Max(Math.Abs));
        return new AudioClip(x.Select(v => (float)(timbre.Level * v / peak)).ToArray(), sampleRate);
    }

    /// <summary><paramref name="count"/> pitches log-spaced over [lowest, highest] Hz at the centres of equal log-frequency bands.</summary>
    public static double[] SpreadPitches(int count, double lowest, double highest) =>
        Enumerable.Range(0, count).Select(j => lowest * Math.Pow(highest / lowest, (j + 0.5) / count)).ToArray();

    /// <summary>
    /// A pitch drawn log-uniformly from [<paramref name="lowest"/>, <paramref name="highest"/>] Hz, redrawn until it is more
    /// than <paramref name="semitones"/> from every pitch in <paramref name="avoid"/> (so held-out pitches stay unseen).
    /// </summary>
    public static double RandomPitch(Random random, double lowest, double highest, IReadOnlyCollection<double> avoid, double semitones)
    {
        for (int attempt = 0; attempt < 10_000; attempt++)
        {
            double pitch = lowest * Math.Pow(highest / lowest, random.NextDouble());
            if (avoid.All(a => Math.Abs(12 * Math.Log2(pitch / a)) > semitones)) return pitch;
        }
        throw new ArgumentException($"no pitch in [{lowest}, {highest}] Hz is more than {semitones} semitones from all of {string.Join(", ", avoid)}");
    }
}
