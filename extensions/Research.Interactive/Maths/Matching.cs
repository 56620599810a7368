namespace Research.Interactive;

/// <summary>One-to-one assignment of rows to columns of a score matrix (e.g. neurons of network A to neurons of network B).</summary>
public static class Matching
{
    /// <summary>
    /// The assignment of rows to distinct columns that maximises the total score (Hungarian algorithm with potentials,
    /// O(n²m)). Requires rows ≤ columns; result[i] is the column matched to row i.
    /// </summary>
    public static int[] Hungarian(double[,] score)
    {
        int n = score.GetLength(0), m = score.GetLength(1);
        if (n > m) throw new ArgumentException($"Hungarian matching needs rows ≤ columns, got {n}×{m}; transpose the matrix.");
        // Minimise cost = -score. 1-based arrays; column 0 is a virtual start.
        var u = new double[n + 1];
        var v = new double[m + 1];
        var rowOfCol = new int[m + 1];
        var way = new int[m + 1];
        for (int i = 1; i <= n; i++)
        {
            rowOfCol[0] = i;
            int j0 = 0;
            var minv = new double[m + 1];
            var used = new bool[m + 1];
            Array.Fill(minv, double.PositiveInfinity);
            do
            {
                used[j0] = true;
                int i0 = rowOfCol[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    double cur = -score[i0 - 1, j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (used[j]) { u[rowOfCol[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            } while (rowOfCol[j0] != 0);
            do
            {
                int j1 = way[j0];
                rowOfCol[j0] = rowOfCol[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var result = new int[n];
        for (int j = 1; j <= m; j++) if (rowOfCol[j] != 0) result[rowOfCol[j] - 1] = j - 1;
        return result;
    }

    /// <summary>Greedy assignment: repeatedly matches the highest remaining score. Fast, not always optimal.</summary>
    public static int[] Greedy(double[,] score)
    {
        int n = score.GetLength(0), m = score.GetLength(1);
        if (n > m) throw new ArgumentException($"greedy matching needs rows ≤ columns, got {n}×{m}; transpose the matrix.");
        var pairs = new List<(double s, int i, int j)>(n * m);
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) pairs.Add((score[i, j], i, j));
        pairs.Sort((a, b) => b.s.CompareTo(a.s));
        var result = new int[n];
        Array.Fill(result, -1);
        var colUsed = new bool[m];
        int left = n;
        foreach (var (_, i, j) in pairs)
        {
            if (result[i] >= 0 || colUsed[j]) continue;
            result[i] = j; colUsed[j] = true;
            if (--left == 0) break;
        }
        return result;
    }

    /// <summary>Total score of an assignment.</summary>
    public static double Total(double[,] score, int[] assignment) =>
        assignment.Select((j, i) => score[i, j]).Sum();
}
