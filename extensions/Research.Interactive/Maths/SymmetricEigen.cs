namespace Research.Interactive;

/// <summary>Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (O(n³) per sweep; fine to a few hundred).</summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues in descending order and the matching unit eigenvectors as columns of <c>vectors</c> (vectors[i, k] is
    /// component i of eigenvector k). <paramref name="a"/> is not modified.
    /// </summary>
    public static (double[] values, double[,] vectors) Decompose(double[,] a, int maxSweeps = 100)
    {
        int n = a.GetLength(0);
        if (a.GetLength(1) != n) throw new ArgumentException($"matrix must be square, got {n}×{a.GetLength(1)}.");
        var m = (double[,])a.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;

        for (int sweep = 0; sweep < maxSweeps; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += m[i, i] * m[i, i];
                for (int j = i + 1; j < n; j++) off += m[i, j] * m[i, j];
            }
            if (off <= 1e-30 * Math.Max(diag, 1e-300)) break;

            for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++)
            {
                double apq = m[p, q];
                if (Math.Abs(apq) < 1e-300) continue;
                double theta = (m[q, q] - m[p, p]) / (2 * apq);
                double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                if (theta == 0) t = 1;
                double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++)
                {
                    double mkp = m[k, p], mkq = m[k, q];
                    m[k, p] = c * mkp - s * mkq;
                    m[k, q] = s * mkp + c * mkq;
                }
                for (int k = 0; k < n; k++)
                {
                    double mpk = m[p, k], mqk = m[q, k];
                    m[p, k] = c * mpk - s * mqk;
                    m[q, k] = s * mpk + c * mqk;
                }
                for (int k = 0; k < n; k++)
                {
                    double vkp = v[k, p], vkq = v[k, q];
                    v[k, p] = c * vkp - s * vkq;
                    v[k, q] = s * vkp + c * vkq;
                }
            }
        }

        var order = Enumerable.Range(0, n).OrderByDescending(i => m[i, i]).ToArray();
        var values = order.Select(i => m[i, i]).ToArray();
        var vectors = new double[n, n];
        for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++) vectors[i, k] = v[i, order[k]];
        return (values, vectors);
    }
}
