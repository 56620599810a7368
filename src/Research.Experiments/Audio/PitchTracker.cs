namespace Research.Experiments.Audio;

/// <summary>
/// A frame-wise autocorrelation pitch tracker. Frame f covers the <see cref="WindowLength"/> samples centred on
/// f·hop + hop/2 (zeros outside the signal). Within it, after removing the mean, the normalised autocorrelation
/// <code>
///   r(τ) = Σ_n x[n] x[n+τ] / sqrt(Σ_n x[n]² · Σ_n x[n+τ]²)      n over the window, τ ∈ [N_s/f_max, N_s/f_min]
/// </code>
/// is computed; the frame is voiced when max r ≥ <see cref="VoicingThreshold"/> and its energy is at least
/// <see cref="SilenceRatio"/> of the loudest frame's. F0 = N_s / τ* for the <b>shortest</b> lag τ* whose local peak reaches
/// <see cref="OctaveTolerance"/> × max r (so a period's multiples do not win), refined by a parabola through r(τ*−1 … τ*+1).
/// Unvoiced frames get F0 = 0.
/// </summary>
/// <param name="SampleRate">Sample rate N_s in Hz.</param>
/// <param name="Hop">Samples between frames.</param>
/// <param name="MinF0">Lowest F0 searched (Hz).</param>
/// <param name="MaxF0">Highest F0 searched (Hz).</param>
/// <param name="VoicingThreshold">Smallest peak r of a voiced frame.</param>
/// <param name="SilenceRatio">Smallest frame energy of a voiced frame, relative to the loudest frame.</param>
/// <param name="OctaveTolerance">A shorter lag wins when its peak is at least this fraction of the best.</param>
public sealed record PitchTracker(int SampleRate, int Hop, double MinF0 = 60, double MaxF0 = 400, double VoicingThreshold = 0.5,
    double SilenceRatio = 1e-3, double OctaveTolerance = 0.85)
{
    /// <summary>Longest lag searched, in samples.</summary>
    public int MaxLag => (int)Math.Ceiling(SampleRate / MinF0);

    /// <summary>Shortest lag searched, in samples.</summary>
    public int MinLag => Math.Max(2, (int)Math.Floor(SampleRate / MaxF0));

    /// <summary>Samples per analysis window: two of the longest periods.</summary>
    public int WindowLength => 2 * MaxLag;

    /// <summary>F0 in Hz of every frame of <paramref name="wave"/> (length / hop frames; 0 = unvoiced).</summary>
    public double[] Track(ReadOnlySpan<float> wave)
    {
        int frames = wave.Length / Hop, w = WindowLength;
        var f0 = new double[frames];
        var energy = new double[frames];
        var best = new (double R, double Lag)[frames];
        var x = new double[w];
        for (int f = 0; f < frames; f++)
        {
            int start = f * Hop + Hop / 2 - w / 2;
            double mean = 0;
            for (int n = 0; n < w; n++) mean += x[n] = start + n >= 0 && start + n < wave.Length ? wave[start + n] : 0;
            mean /= w;
            for (int n = 0; n < w; n++) { x[n] -= mean; energy[f] += x[n] * x[n]; }
            best[f] = BestLag(x);
        }
        double loudest = energy.Length == 0 ? 0 : energy.Max();
        for (int f = 0; f < frames; f++)
            if (loudest > 0 && energy[f] >= SilenceRatio * loudest && best[f].R >= VoicingThreshold)
                f0[f] = SampleRate / best[f].Lag;
        return f0;
    }

    /// <summary>The peak normalised autocorrelation and its (interpolated) lag, or (0, 0) for a silent window.</summary>
    private (double R, double Lag) BestLag(double[] x)
    {
        int maxLag = Math.Min(MaxLag, x.Length / 2);
        var r = new double[maxLag + 2];
        for (int lag = MinLag - 1; lag <= maxLag + 1 && lag < x.Length; lag++)
        {
            double xy = 0, xx = 0, yy = 0;
            for (int n = 0; n + lag < x.Length; n++)
            {
                xy += x[n] * x[n + lag];
                xx += x[n] * x[n];
                yy += x[n + lag] * x[n + lag];
            }
            r[lag] = xx > 0 && yy > 0 ? xy / Math.Sqrt(xx * yy) : 0;
        }
        double peak = 0;
        for (int lag = MinLag; lag <= maxLag; lag++) peak = Math.Max(peak, IsLocalPeak(r, lag) ? r[lag] : 0);
        if (peak <= 0) return (0, 0);
        for (int lag = MinLag; lag <= maxLag; lag++)
            if (IsLocalPeak(r, lag) && r[lag] >= OctaveTolerance * peak)
            {
                double a = r[lag - 1], b = r[lag], c = r[lag + 1], curvature = a - 2 * b + c;
                double shift = curvature < 0 ? 0.5 * (a - c) / curvature : 0;
                return (peak, lag + Math.Clamp(shift, -0.5, 0.5));
            }
        return (0, 0);
    }

    private static bool IsLocalPeak(double[] r, int lag) => r[lag] > 0 && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1];

    /// <summary>
    /// Gross pitch error: the fraction of frames voiced in <paramref name="reference"/> where <paramref name="estimate"/> is
    /// unvoiced or off by more than <paramref name="tolerance"/> (relative); NaN when no reference frame is voiced.
    /// </summary>
    public static double GrossPitchError(IReadOnlyList<double> reference, IReadOnlyList<double> estimate, double tolerance = 0.2)
    {
        if (reference.Count != estimate.Count)
            throw new ArgumentException($"{reference.Count} reference frames but {estimate.Count} estimated frames", nameof(estimate));
        int voiced = 0, errors = 0;
        for (int f = 0; f < reference.Count; f++)
        {
            if (reference[f] <= 0) continue;
            voiced++;
            if (estimate[f] <= 0 || Math.Abs(estimate[f] / reference[f] - 1) > tolerance) errors++;
        }
        return voiced == 0 ? double.NaN : (double)errors / voiced;
    }
}
