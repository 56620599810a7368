using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Dynamics;

/// <summary>
/// Comparing the units of two networks by their activations on the same inputs (Li et al., ICLR 2016, "Convergent Learning"):
/// the Pearson correlation of every unit of A with every unit of B, then a one-to-one (bipartite) matching of A's units to B's
/// that maximises the summed correlation, and the semi-matching that lets each unit of A pick its best partner freely.
/// <code>
///   r[i, j] = E[(a_i − μ_i)(b_j − μ_j)] / (σ_i σ_j)           over samples (the same inputs fed to both)
///   σ* = argmax_σ Σ_i r[i, σ(i)]   over permutations        (bipartite matching, exact: <see cref="LinearAssignment"/>)
///   semi-matching: max_j r[i, j]                           (each unit's best partner, partners may repeat)
/// </code>
/// </summary>
public static class UnitMatching
{
    /// <summary>Pearson correlations [unit of A, unit of B] of activations [samples, units]; a constant unit correlates 0 with everything.</summary>
    /// <exception cref="ArgumentException">The activations are not [samples, units] with the same number of samples.</exception>
    public static double[,] Correlations(Tensor ha, Tensor hb)
    {
        ArgumentNullException.ThrowIfNull(ha);
        ArgumentNullException.ThrowIfNull(hb);
        if (ha.Dim != 2 || hb.Dim != 2 || ha.Size(0) != hb.Size(0))
            throw new ArgumentException($"expected activations [samples, units] on the same samples, got {ha.ShapeString} and {hb.ShapeString}");
        using var scope = NewScope();
        Tensor Standardise(Tensor h)
        {
            var c = h.Double() - h.Double().Mean(0, keepDim: true);
            var sd = c.Square().Mean(0, keepDim: true).Sqrt();
            return c / sd.Clamp(min: 1e-12);
        }
        return (Standardise(ha).T.Matmul(Standardise(hb)) / (double)ha.Size(0)).Cpu().Contiguous().ToArray2D<double>();
    }

    /// <summary>The one-to-one matching with the largest summed correlation: result[i] is the unit of B matched to unit i of A (rows ≤ columns).</summary>
    public static int[] Match(double[,] correlation) => LinearAssignment.Maximize(correlation);

    /// <summary>r[i, match[i]] for every unit i of A: the correlation of each unit with its matched partner.</summary>
    /// <exception cref="ArgumentException">The matching has another length than the matrix's rows.</exception>
    public static double[] MatchedCorrelations(double[,] correlation, int[] match)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        ArgumentNullException.ThrowIfNull(match);
        if (match.Length != correlation.GetLength(0))
            throw new ArgumentException($"the matching has {match.Length} entries but the matrix {correlation.GetLength(0)} rows", nameof(match));
        return match.Select((j, i) => correlation[i, j]).ToArray();
    }

    /// <summary>max_j r[i, j] for every unit i of A: each unit's best partner in B, partners allowed to repeat (semi-matching).</summary>
    public static double[] BestCorrelations(double[,] correlation)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        int rows = correlation.GetLength(0), columns = correlation.GetLength(1);
        return Enumerable.Range(0, rows).Select(i => Enumerable.Range(0, columns).Max(j => correlation[i, j])).ToArray();
    }

    /// <summary>
    /// The matrix with its columns reordered by <paramref name="match"/> (column i holds B's unit match[i]) and then the
    /// rows and columns together sorted by the matched correlation, highest first: the matched pairs on the diagonal,
    /// the most convergent units top left — the paper's sorted correlation matrix. Unmatched columns follow in their order.
    /// </summary>
    public static double[][] SortedByMatch(double[,] correlation, int[] match)
    {
        var matched = MatchedCorrelations(correlation, match);
        var rows = Enumerable.Range(0, matched.Length).OrderByDescending(i => matched[i]).ToArray();
        var columns = rows.Select(i => match[i]).Concat(Enumerable.Range(0, correlation.GetLength(1)).Except(match)).ToArray();
        return rows.Select(i => columns.Select(j => correlation[i, j]).ToArray()).ToArray();
    }

    /// <summary>The matrix as rows [unit of A][unit of B] in the given order of A's units (B's in its own order).</summary>
    public static double[][] Rows(double[,] correlation, IEnumerable<int>? rowOrder = null)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        int columns = correlation.GetLength(1);
        return (rowOrder ?? Enumerable.Range(0, correlation.GetLength(0)))
            .Select(i => Enumerable.Range(0, columns).Select(j => correlation[i, j]).ToArray()).ToArray();
    }
}
