namespace Research.Interactive;

/// <summary>Counts of values in equal-width bins over [<see cref="Min"/>, <see cref="Max"/>].</summary>
public sealed record HistogramCounts(double Min, double Max, long[] Counts, long Below, long Above)
{
    /// <summary>Width of one bin.</summary>
    public double BinWidth => (Max - Min) / Counts.Length;

    /// <summary>Centre of each bin.</summary>
    public double[] Centers => Enumerable.Range(0, Counts.Length).Select(i => Min + (i + 0.5) * BinWidth).ToArray();

    /// <summary>
    /// Bins <paramref name="values"/> into <paramref name="bins"/> bins over [min, max] (default: the data's range). Bins are
    /// half-open [a, b) except the last, which includes max; values outside are counted in <see cref="Below"/>/<see cref="Above"/>, NaNs are skipped.
    /// </summary>
    public static HistogramCounts Compute(ReadOnlySpan<float> values, int bins, double? min = null, double? max = null)
    {
        if (bins <= 0) throw new ArgumentOutOfRangeException(nameof(bins), bins, "need at least one bin");
        double lo = min ?? double.PositiveInfinity, hi = max ?? double.NegativeInfinity;
        if (min is null || max is null)
        {
            foreach (var v in values)
            {
                if (float.IsNaN(v)) continue;
                if (min is null) lo = Math.Min(lo, v);
                if (max is null) hi = Math.Max(hi, v);
            }
            if (double.IsInfinity(lo) || double.IsInfinity(hi)) { lo = 0; hi = 1; }
        }
        if (hi <= lo) { lo -= 0.5; hi += 0.5; }
        var counts = new long[bins];
        long below = 0, above = 0;
        double scale = bins / (hi - lo);
        foreach (var v in values)
        {
            if (float.IsNaN(v)) continue;
            if (v < lo) { below++; continue; }
            if (v > hi) { above++; continue; }
            int i = (int)((v - lo) * scale);
            counts[Math.Min(i, bins - 1)]++;
        }
        return new HistogramCounts(lo, hi, counts, below, above);
    }
}
