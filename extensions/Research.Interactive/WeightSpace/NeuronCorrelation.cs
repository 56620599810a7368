namespace Research.Interactive;

/// <summary>How units of network B are ordered against network A's in a correlation view.</summary>
public enum NeuronOrder
{
    /// <summary>B's units in their own order.</summary>
    None,

    /// <summary>B's units greedily matched to A's by highest correlation.</summary>
    Greedy,

    /// <summary>B's units matched to A's maximising the summed correlation (Hungarian algorithm).</summary>
    Hungarian,
}

/// <summary>
/// Correlation between the units of two networks on the same inputs (Li et al. 2016, "Convergent Learning"), with B's
/// units optionally reordered by a one-to-one matching so corresponding units sit on the diagonal.
/// </summary>
public static class NeuronCorrelation
{
    /// <summary>
    /// Correlations [unit of A, unit of B] from activations indexed [sample][unit], and the order of B's units shown
    /// (order[i] is the B unit placed in column i: matched to A's unit i first, then the unmatched ones).
    /// </summary>
    public static (double[,] correlation, int[] order) Compute(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b, NeuronOrder order = NeuronOrder.Hungarian)
    {
        var r = Correlation.Pearson(a, b);
        int na = r.GetLength(0), nb = r.GetLength(1);
        if (order == NeuronOrder.None || na > nb) return (r, Enumerable.Range(0, nb).ToArray());
        var match = order == NeuronOrder.Greedy ? Matching.Greedy(r) : Matching.Hungarian(r);
        var columns = match.Concat(Enumerable.Range(0, nb).Except(match)).ToArray();
        return (r, columns);
    }

    /// <summary>Heatmap of the correlations with B's columns in the matched order, on a −1…1 diverging scale.</summary>
    public static Figure Plot(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b, NeuronOrder order = NeuronOrder.Hungarian, string? title = null)
    {
        var (r, columns) = Compute(a, b, order);
        int na = r.GetLength(0);
        var z = new double[na][];
        for (int i = 0; i < na; i++) z[i] = columns.Select(j => r[i, j]).ToArray();
        double diagonal = Enumerable.Range(0, Math.Min(na, columns.Length)).Average(i => r[i, columns[i]]);
        return new Figure(
            [new Heatmap
            {
                Z = z, X = Enumerable.Range(0, columns.Length).Select(i => (double)i).ToArray(), Y = Enumerable.Range(0, na).Select(i => (double)i).ToArray(),
                ColorScale = "RdBu", ReverseScale = true, ZMin = -1, ZMax = 1, ZMid = 0, ColorBar = new ColorBar { Title = "r" },
                HoverTemplate = "A unit %{y}, B column %{x}: r=%{z:.3f}<extra></extra>",
            }],
            new Layout
            {
                Title = title ?? $"Unit correlation, B ordered by {order.ToString().ToLowerInvariant()} matching (mean diagonal r = {diagonal:F3})",
                XAxis = new Axis { Title = order == NeuronOrder.None ? "unit of B" : "unit of B (matched order)" },
                YAxis = new Axis { Title = "unit of A", AutoRange = "reversed", ScaleAnchor = "x" },
                Height = 500,
            });
    }
}
