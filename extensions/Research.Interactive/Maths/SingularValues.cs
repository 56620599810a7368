namespace Research.Interactive;

/// <summary>Singular values of a weight matrix from the eigenvalues of its smaller Gram matrix (WᵀW or WWᵀ).</summary>
public static class SingularValues
{
    /// <summary>Singular values of <paramref name="w"/> [rows, cols] in descending order (min(rows, cols) of them).</summary>
    public static double[] Compute(float[,] w)
    {
        int rows = w.GetLength(0), cols = w.GetLength(1);
        bool byCols = cols <= rows;
        int n = byCols ? cols : rows;
        var gram = new double[n, n];
        for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
        {
            double s = 0;
            if (byCols) for (int r = 0; r < rows; r++) s += (double)w[r, i] * w[r, j];
            else for (int c = 0; c < cols; c++) s += (double)w[i, c] * w[j, c];
            gram[i, j] = gram[j, i] = s;
        }
        var (values, _) = SymmetricEigen.Decompose(gram);
        return values.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
    }
}
