namespace Research.Interactive;

/// <summary>Correlations between units of two networks, measured on the same inputs.</summary>
public static class Correlation
{
    /// <summary>
    /// Pearson correlation [i, j] between unit i of <paramref name="a"/> and unit j of <paramref name="b"/>, where each is
    /// indexed [sample][unit]. A constant unit correlates 0 with everything.
    /// </summary>
    public static double[,] Pearson(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        int samples = a.Count;
        if (samples != b.Count) throw new ArgumentException($"a has {samples} samples but b has {b.Count}; measure both on the same inputs.");
        if (samples < 2) throw new ArgumentException("correlation needs at least two samples.");
        var (za, na) = Standardise(a);
        var (zb, nb) = Standardise(b);
        var r = new double[na, nb];
        for (int s = 0; s < samples; s++)
        {
            var ra = za[s]; var rb = zb[s];
            for (int i = 0; i < na; i++)
            {
                double x = ra[i];
                if (x == 0) continue;
                for (int j = 0; j < nb; j++) r[i, j] += x * rb[j];
            }
        }
        for (int i = 0; i < na; i++) for (int j = 0; j < nb; j++) r[i, j] /= samples;
        return r;
    }

    private static (double[][] z, int units) Standardise(IReadOnlyList<float[]> x)
    {
        int n = x.Count, units = x[0].Length;
        var mean = new double[units];
        var sq = new double[units];
        foreach (var row in x)
        {
            if (row.Length != units) throw new ArgumentException($"every sample must have {units} units; one has {row.Length}.");
            for (int i = 0; i < units; i++) mean[i] += row[i];
        }
        for (int i = 0; i < units; i++) mean[i] /= n;
        foreach (var row in x) for (int i = 0; i < units; i++) { double d = row[i] - mean[i]; sq[i] += d * d; }
        var inv = sq.Select(s => s > 0 ? 1 / Math.Sqrt(s / n) : 0).ToArray();
        var z = new double[n][];
        for (int s = 0; s < n; s++)
        {
            z[s] = new double[units];
            for (int i = 0; i < units; i++) z[s][i] = (x[s][i] - mean[i]) * inv[i];
        }
        return (z, units);
    }
}
