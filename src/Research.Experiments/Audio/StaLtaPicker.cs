namespace Research.Experiments.Audio;

/// <summary>One STA/LTA detector's settings (lengths in samples).</summary>
/// <param name="Short">Short-term average window.</param>
/// <param name="Long">Long-term average window (both end at the current sample).</param>
/// <param name="Threshold">The ratio at which the detector triggers (upward crossing).</param>
/// <param name="Differenced">True: the characteristic function is the energy of the first difference (a high-pass), else of the trace.</param>
/// <param name="Bias">Added to every trigger to give the pick (removes the trigger's systematic lag).</param>
public sealed record StaLtaSettings(int Short, int Long, double Threshold, bool Differenced, int Bias = 0);

/// <summary>
/// The classic STA/LTA picker (Allen, 1978), the baseline PhaseNet is compared with:
/// <code>
///   CF(t) = Σ_c y_c(t)²,   y = x or its first difference x(t) − x(t−1)          characteristic function
///   R(t)  = mean CF[t−n_s+1 … t] / mean CF[t−n_l+1 … t]   for t ≥ n_l − 1 (else 0)
///   P pick = first upward crossing of the threshold by R on the vertical component, + bias
///   S pick = first upward crossing by R on the horizontals (N, E) later than the P trigger + gap, + bias
/// </code>
/// A single-station STA/LTA does not tell P from S; the usual rule (P on the vertical, S on the horizontals after P) does it.
/// </summary>
public static class StaLtaPicker
{
    /// <summary>CF(t) = Σ_c y_c(t)² over <paramref name="components"/> (first difference with y(0) = 0 when <paramref name="differenced"/>).</summary>
    public static double[] CharacteristicFunction(IReadOnlyList<float[]> components, bool differenced)
    {
        int n = components[0].Length;
        var cf = new double[n];
        foreach (var x in components)
            for (int t = 0; t < n; t++)
            {
                double y = differenced ? (t == 0 ? 0 : (double)x[t] - x[t - 1]) : x[t];
                cf[t] += y * y;
            }
        return cf;
    }

    /// <summary>R(t) = STA/LTA with both windows ending at t (cumulative sums); 0 before the long window is full or where LTA is 0.</summary>
    public static double[] Ratio(double[] cf, int shortWindow, int longWindow)
    {
        if (shortWindow < 1 || longWindow <= shortWindow) throw new ArgumentException($"need 1 ≤ short ({shortWindow}) < long ({longWindow})");
        var sum = new double[cf.Length + 1];
        for (int t = 0; t < cf.Length; t++) sum[t + 1] = sum[t] + cf[t];
        var r = new double[cf.Length];
        for (int t = longWindow - 1; t < cf.Length; t++)
        {
            double sta = (sum[t + 1] - sum[t + 1 - shortWindow]) / shortWindow, lta = (sum[t + 1] - sum[t + 1 - longWindow]) / longWindow;
            r[t] = lta > 0 ? sta / lta : 0;
        }
        return r;
    }

    /// <summary>The first t &gt; <paramref name="after"/> with R(t − 1) &lt; threshold ≤ R(t), or −1.</summary>
    public static int FirstCrossing(double[] ratio, double threshold, int after)
    {
        for (int t = Math.Max(1, after + 1); t < ratio.Length; t++)
            if (ratio[t - 1] < threshold && ratio[t] >= threshold) return t;
        return -1;
    }

    /// <summary>The P trigger (no bias; −1: none) of a trace Z, N, E.</summary>
    public static int TriggerP(IReadOnlyList<float[]> zne, StaLtaSettings p) =>
        FirstCrossing(Ratio(CharacteristicFunction([zne[0]], p.Differenced), p.Short, p.Long), p.Threshold, -1);

    /// <summary>The S trigger (no bias; −1: none) after <paramref name="pTrigger"/> + <paramref name="gap"/> (from the start without a P trigger).</summary>
    public static int TriggerS(IReadOnlyList<float[]> zne, StaLtaSettings s, int pTrigger, int gap) =>
        FirstCrossing(Ratio(CharacteristicFunction([zne[1], zne[2]], s.Differenced), s.Short, s.Long), s.Threshold,
            pTrigger < 0 ? -1 : pTrigger + gap);

    /// <summary>The picks (trigger + bias; none where no trigger) of a trace: P, then S.</summary>
    public static (int[] P, int[] S) Pick(IReadOnlyList<float[]> zne, StaLtaSettings p, StaLtaSettings s, int gap)
    {
        int tp = TriggerP(zne, p), ts = TriggerS(zne, s, tp, gap);
        return (tp < 0 ? [] : [tp + p.Bias], ts < 0 ? [] : [ts + s.Bias]);
    }
}
