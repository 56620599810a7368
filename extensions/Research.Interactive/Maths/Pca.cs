namespace Research.Interactive;

/// <summary>Principal components of a set of points (rows), with each point's coordinates on them.</summary>
public sealed record PcaResult(double[] Mean, double[][] Components, double[][] Coordinates, double[] ExplainedVariance)
{
    /// <summary>Fraction of the total variance along each returned component.</summary>
    public double[] ExplainedVarianceRatio { get; init; } = [];
}

/// <summary>PCA for few points in many dimensions (weight snapshots): eigenvectors of the T×T Gram matrix of centred points.</summary>
public static class Pca
{
    /// <summary>
    /// The top <paramref name="components"/> principal directions of <paramref name="points"/> (T points of dimension D, T small).
    /// Uses XcXcᵀ = U Λ Uᵀ: direction k is Xcᵀu_k/√λ_k and point t's coordinate on it is √λ_k·u_k[t].
    /// </summary>
    public static PcaResult Fit(IReadOnlyList<float[]> points, int components = 2)
    {
        int t = points.Count;
        if (t < 2) throw new ArgumentException($"PCA needs at least two points, got {t}.", nameof(points));
        int d = points[0].Length;
        foreach (var p in points)
            if (p.Length != d) throw new ArgumentException($"all points must have {d} values; one has {p.Length}.", nameof(points));

        var mean = new double[d];
        foreach (var p in points) for (int i = 0; i < d; i++) mean[i] += p[i];
        for (int i = 0; i < d; i++) mean[i] /= t;

        var centred = new double[t][];
        for (int a = 0; a < t; a++)
        {
            centred[a] = new double[d];
            for (int i = 0; i < d; i++) centred[a][i] = points[a][i] - mean[i];
        }
        var gram = new double[t, t];
        for (int a = 0; a < t; a++)
        for (int b = a; b < t; b++)
        {
            double s = 0;
            for (int i = 0; i < d; i++) s += centred[a][i] * centred[b][i];
            gram[a, b] = gram[b, a] = s;
        }
        var (values, vectors) = SymmetricEigen.Decompose(gram);
        double total = values.Sum(v => Math.Max(v, 0));
        int k = Math.Min(components, t);

        var dirs = new double[k][];
        var coords = new double[t][];
        for (int a = 0; a < t; a++) coords[a] = new double[k];
        var variance = new double[k];
        var ratio = new double[k];
        for (int c = 0; c < k; c++)
        {
            double lambda = Math.Max(values[c], 0), root = Math.Sqrt(lambda);
            variance[c] = lambda / (t - 1);
            ratio[c] = total > 0 ? lambda / total : 0;
            dirs[c] = new double[d];
            if (root > 1e-12 * Math.Sqrt(Math.Max(total, 1e-300)))
            {
                for (int a = 0; a < t; a++)
                {
                    double u = vectors[a, c];
                    for (int i = 0; i < d; i++) dirs[c][i] += centred[a][i] * u / root;
                }
            }
            for (int a = 0; a < t; a++) coords[a][c] = root * vectors[a, c];
        }
        return new PcaResult(mean, dirs, coords, variance) { ExplainedVarianceRatio = ratio };
    }
}
