using Research.Torch;

namespace Research.Interactive;

/// <summary>One-to-one assignment of rows to columns of a score matrix (e.g. neurons of network A to neurons of network B).</summary>
public static class Matching
{
    /// <summary>
    /// The assignment of rows to distinct columns that maximises the total score (exact: <see cref="LinearAssignment.Maximize"/>).
    /// Requires rows ≤ columns; result[i] is the column matched to row i.
    /// </summary>
    public static int[] Hungarian(double[,] score) => LinearAssignment.Maximize(score);

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
    public static double Total(double[,] score, int[] assignment) => LinearAssignment.Total(score, assignment);
}
