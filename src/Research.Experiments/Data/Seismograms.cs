using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// How <see cref="Seismograms"/> draws a trace (times in samples at <see cref="SampleRate"/> Hz, ranges uniform).
/// </summary>
/// <param name="Length">Samples per trace.</param>
/// <param name="SampleRate">Samples per second (PhaseNet's stations: 100 Hz).</param>
/// <param name="PFrequency">Peak frequency range of the P Ricker wavelet (Hz).</param>
/// <param name="SFrequency">Peak frequency range of the S Ricker wavelet (Hz): lower than P's.</param>
/// <param name="SAmplitude">Range of the S peak amplitude relative to the P peak on the vertical (1): S is larger.</param>
/// <param name="PHorizontal">Range of P's amplitude on the horizontal plane relative to its vertical amplitude (1).</param>
/// <param name="SVertical">Range of S's amplitude on the vertical relative to its horizontal amplitude (S's peak amplitude).</param>
/// <param name="PArrival">Range of the P arrival as a fraction of <see cref="Length"/>.</param>
/// <param name="SMinusP">Range of the S − P interval as a fraction of <see cref="Length"/> (positive: S after P).</param>
/// <param name="SnrDb">Range of the SNR: 20·log10(P peak on the vertical / noise RMS on every component).</param>
/// <param name="NoiseCorrelation">ρ of the AR(1) ("red") noise, the same on every component.</param>
/// <param name="CodaWavelets">Scattered wavelets after each phase (its coda).</param>
/// <param name="CodaAmplitude">Coda wavelet amplitude at the arrival relative to the phase's peak.</param>
/// <param name="CodaDecay">Range of the coda's exponential decay time (s).</param>
public sealed record SeismogramSettings(int Length = 1024, double SampleRate = 100,
    (double Min, double Max)? PFrequency = null, (double Min, double Max)? SFrequency = null,
    (double Min, double Max)? SAmplitude = null, (double Min, double Max)? PHorizontal = null,
    (double Min, double Max)? SVertical = null, (double Min, double Max)? PArrival = null,
    (double Min, double Max)? SMinusP = null, (double Min, double Max)? SnrDb = null,
    double NoiseCorrelation = 0.9, int CodaWavelets = 20, double CodaAmplitude = 0.3, (double Min, double Max)? CodaDecay = null)
{
    /// <summary>P peak frequency (Hz); default 6–12.</summary>
    public (double Min, double Max) PFrequencyRange => PFrequency ?? (6, 12);

    /// <summary>S peak frequency (Hz); default 2.5–5.</summary>
    public (double Min, double Max) SFrequencyRange => SFrequency ?? (2.5, 5);

    /// <summary>S / P peak amplitude; default 1.5–3.</summary>
    public (double Min, double Max) SAmplitudeRange => SAmplitude ?? (1.5, 3);

    /// <summary>P horizontal / vertical amplitude; default 0.2–0.5.</summary>
    public (double Min, double Max) PHorizontalRange => PHorizontal ?? (0.2, 0.5);

    /// <summary>S vertical / horizontal amplitude; default 0.1–0.3.</summary>
    public (double Min, double Max) SVerticalRange => SVertical ?? (0.1, 0.3);

    /// <summary>P arrival / length; default 0.05–0.5.</summary>
    public (double Min, double Max) PArrivalRange => PArrival ?? (0.05, 0.5);

    /// <summary>(S − P) / length; default 0.05–0.4.</summary>
    public (double Min, double Max) SMinusPRange => SMinusP ?? (0.05, 0.4);

    /// <summary>SNR (dB); default 0–20.</summary>
    public (double Min, double Max) SnrRange => SnrDb ?? (0, 20);

    /// <summary>Coda decay time (s); default 0.5–1.5.</summary>
    public (double Min, double Max) CodaDecayRange => CodaDecay ?? (0.5, 1.5);
}

/// <summary>
/// One synthetic 3-component seismogram: <see cref="Z"/> (vertical), <see cref="N"/>, <see cref="E"/> and its arrivals
/// (samples; −1 on a noise-only trace). The arrival is the wavelet's onset: its centre lies one period (1/f) later.
/// </summary>
public sealed record Seismogram(float[] Z, float[] N, float[] E, int P, int S, double SnrDb, double PFrequency, double SFrequency,
    double SAmplitude)
{
    /// <summary>True for a trace without an event.</summary>
    public bool NoiseOnly => P < 0;

    /// <summary>The components in the order Z, N, E.</summary>
    public float[][] Components => [Z, N, E];
}

/// <summary>
/// Synthetic seismograms for phase picking (PhaseNet's task without a seismic network's archive):
/// <code>
///   x_c(t) = a_c^P·r(t − t_P − 1/f_P; f_P) + a_c^S·r(t − t_S − 1/f_S; f_S) + coda_c(t) + σ·n_c(t),   c ∈ {Z, N, E}
///   r(t; f) = (1 − 2π²f²t²)·exp(−π²f²t²)                                  Ricker wavelet, peak 1 at t = 0
///   a^P = ±(1, h cos φ, h sin φ),  a^S = A·(±v, cos ψ, sin ψ)                 P mostly vertical, S larger and horizontal
///   coda: K wavelets per phase at t_phase + d_k, d_k ~ Exp(τ), amplitude c·A_phase·e^{−d_k/τ}·g_kc, g ~ N(0, 1)
///   n_c: AR(1) noise n[t] = ρ n[t−1] + √(1 − ρ²) w[t], unit variance, power spectrum (1 − ρ²)/(1 + ρ² − 2ρ cos ω)
///   σ = 10^(−SNR/20)                                                             P's vertical peak is 1
/// </code>
/// The wavelet is negligible (|r| &lt; 10⁻³) more than one period before its centre, so nothing of an event precedes its
/// arrival t_P or t_S. Every draw comes from one <see cref="Random"/>: a seed gives the same traces on every machine.
/// </summary>
public static class Seismograms
{
    /// <summary>The Ricker wavelet r(t; f) = (1 − 2π²f²t²)·exp(−π²f²t²) (t in seconds, f the peak frequency in Hz).</summary>
    public static double Ricker(double t, double f)
    {
        double a = Math.PI * Math.PI * f * f * t * t;
        return (1 - 2 * a) * Math.Exp(-a);
    }

    /// <summary>
    /// Unit-variance AR(1) noise n[t] = ρ n[t−1] + √(1 − ρ²) w[t] (n[0] ~ N(0, 1), stationary from the first sample); its
    /// power spectrum is (1 − ρ²)/(1 + ρ² − 2ρ cos ω): red (more power at low frequencies) for ρ &gt; 0.
    /// </summary>
    public static double[] RedNoise(Random random, int length, double rho)
    {
        var x = new double[length];
        double scale = Math.Sqrt(1 - rho * rho);
        for (int t = 0; t < length; t++) x[t] = t == 0 ? Gaussian(random) : rho * x[t - 1] + scale * Gaussian(random);
        return x;
    }

    /// <summary>The power spectral density of <see cref="RedNoise"/> at angular frequency ω (radians per sample).</summary>
    public static double RedNoiseSpectrum(double omega, double rho) => (1 - rho * rho) / (1 + rho * rho - 2 * rho * Math.Cos(omega));

    /// <summary>Draws one trace: an event with noise, or (<paramref name="noiseOnly"/>) noise alone; <paramref name="noise"/> false omits the noise.</summary>
    public static Seismogram Generate(SeismogramSettings s, Random random, bool noiseOnly = false, bool noise = true)
    {
        int n = s.Length;
        double fs = s.SampleRate;
        double snr = Uniform(random, s.SnrRange);
        var x = new double[3][];
        for (int c = 0; c < 3; c++) x[c] = new double[n];
        int p = -1, sArrival = -1;
        double fP = double.NaN, fS = double.NaN, aS = double.NaN;
        if (!noiseOnly)
        {
            p = (int)Math.Round(Uniform(random, s.PArrivalRange) * n);
            sArrival = p + Math.Max(1, (int)Math.Round(Uniform(random, s.SMinusPRange) * n));
            fP = Uniform(random, s.PFrequencyRange);
            fS = Uniform(random, s.SFrequencyRange);
            aS = Uniform(random, s.SAmplitudeRange);
            double h = Uniform(random, s.PHorizontalRange), phi = 2 * Math.PI * random.NextDouble();
            double polarityP = random.Next(2) == 0 ? -1 : 1;
            double v = Uniform(random, s.SVerticalRange), psi = 2 * Math.PI * random.NextDouble();
            double polarityS = random.Next(2) == 0 ? -1 : 1;
            double[] aP = [polarityP, polarityP * h * Math.Cos(phi), polarityP * h * Math.Sin(phi)];
            double[] aSv = [aS * polarityS * v, aS * Math.Cos(psi), aS * Math.Sin(psi)];
            AddPhase(x, p / fs, fP, aP, 1.0, s, random);
            AddPhase(x, sArrival / fs, fS, aSv, aS, s, random);
        }
        if (noise)
        {
            double sigma = Math.Pow(10, -snr / 20);
            for (int c = 0; c < 3; c++)
            {
                var w = RedNoise(random, n, s.NoiseCorrelation);
                for (int t = 0; t < n; t++) x[c][t] += sigma * w[t];
            }
        }
        float[] F(double[] v) => v.Select(d => (float)d).ToArray();
        return new Seismogram(F(x[0]), F(x[1]), F(x[2]), p, sArrival, snr, fP, fS, aS);
    }

    /// <summary>
    /// <paramref name="count"/> traces from <paramref name="seed"/>; the last round(<paramref name="noiseFraction"/>·count)
    /// are noise-only.
    /// </summary>
    public static Seismogram[] Draw(SeismogramSettings s, int seed, int count, double noiseFraction = 0)
    {
        var random = new Random(seed);
        int noiseOnly = (int)Math.Round(noiseFraction * count);
        return Enumerable.Range(0, count).Select(i => Generate(s, random, noiseOnly: i >= count - noiseOnly)).ToArray();
    }

    /// <summary>The traces as one tensor [n, 3 (Z, N, E), length].</summary>
    public static Tensor Stack(IReadOnlyList<Seismogram> traces, Device? device = null)
    {
        int length = traces[0].Z.Length;
        var data = new float[traces.Count * 3 * length];
        for (int i = 0; i < traces.Count; i++)
        {
            var comps = traces[i].Components;
            for (int c = 0; c < 3; c++) Array.Copy(comps[c], 0, data, (i * 3 + c) * length, length);
        }
        using var t = Tensor.From(data, traces.Count, 3, length);
        return t.To(device ?? Device.CPU).DetachFromScope();
    }

    // One phase: its direct wavelet with amplitudes a (per component) and K coda wavelets after it.
    private static void AddPhase(double[][] x, double arrival, double f, double[] a, double peak, SeismogramSettings s, Random random)
    {
        AddWavelet(x, arrival, f, a, s.SampleRate);
        double tau = Uniform(random, s.CodaDecayRange);
        for (int k = 0; k < s.CodaWavelets; k++)
        {
            double d = -tau * Math.Log(1 - random.NextDouble());
            double envelope = s.CodaAmplitude * peak * Math.Exp(-d / tau);
            AddWavelet(x, arrival + d, f, [envelope * Gaussian(random), envelope * Gaussian(random), envelope * Gaussian(random)], s.SampleRate);
        }
    }

    // a_c·r(t − onset − 1/f; f) on every component, over the wavelet's support (onset … onset + 2/f).
    private static void AddWavelet(double[][] x, double onset, double f, double[] a, double fs)
    {
        int n = x[0].Length;
        double centre = onset + 1 / f;
        int first = Math.Max(0, (int)Math.Ceiling(onset * fs)), last = Math.Min(n - 1, (int)Math.Floor((centre + 1 / f) * fs));
        for (int t = first; t <= last; t++)
        {
            double r = Ricker(t / fs - centre, f);
            for (int c = 0; c < 3; c++) x[c][t] += a[c] * r;
        }
    }

    private static double Uniform(Random random, (double Min, double Max) range) => range.Min + (range.Max - range.Min) * random.NextDouble();

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
