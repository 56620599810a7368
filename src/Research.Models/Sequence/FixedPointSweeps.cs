using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// Evaluates all T equations of a feed-forward computation at once from an iterate: given x [rows, T, …] it returns
/// f(x) [rows, T, …] whose position t depends only on positions &lt; t of x (the causal structure). <paramref name="rows"/>
/// [rows] (int64) names the batch rows being updated, for updates that carry per-row data (sampling noise, inputs).
/// </summary>
public delegate Tensor CausalUpdate(Tensor iterate, Tensor rows);

/// <summary>
/// A solution found by fixed-point sweeps: <see cref="Solution"/> [batch, T, …]; per batch row, <see cref="Sweeps"/> (the
/// sweeps after which the row stopped changing: its fixed point) and <see cref="Evaluations"/> (the parallel evaluations of
/// the update spent on it, the stopping test included).
/// </summary>
public sealed record SweepSolution(Tensor Solution, int[] Sweeps, int[] Evaluations);

/// <summary>
/// Song et al. (2021), "Accelerating Feedforward Computation via Parallel Nonlinear Equation Solving": a feed-forward or
/// autoregressive computation x_t = f_t(x_&lt;t), t = 1 … T, is a triangular system of T nonlinear equations, solved by
/// fixed-point sweeps along dimension 1 (the positions) from an initial iterate x⁰:
/// <code>
///   sequential     x_t = f_t(x_&lt;t) for t = 1 … T                       T evaluations, one position each
///   Jacobi         x^{k+1} = f(x^k), every position at once            stop when x^{k+1} = x^k
///   GS–Jacobi      blocks of b positions in order, Jacobi inside each   b = 1: sequential; b = T: Jacobi
/// </code>
/// After k Jacobi sweeps the first k positions equal the sequential answer (induction on t), so Jacobi reaches the
/// sequential result exactly in at most T sweeps, and usually in far fewer when f_t depends weakly on distant positions.
/// Every solver here evaluates the update on whole iterates (all positions), so a position is computed by the same
/// arithmetic whichever solver asks. Rows that have converged are left out of later sweeps.
/// </summary>
public static class FixedPointSweeps
{
    /// <summary>The sequential computation: T evaluations, the t-th fixes position t. x0: [batch, T, …].</summary>
    public static Tensor Sequential(CausalUpdate update, Tensor x0)
    {
        var x = x0.Clone();
        using var scope = NewScope();
        var rows = Tensor.Arange(x.Size(0), DType.Int64, x.Device);
        for (long t = 0; t < x.Size(1); t++)
        {
            using var step = NewScope();
            x.Narrow(1, t, 1).Copy_(update(x, rows).Narrow(1, t, 1));
        }
        return x;
    }

    /// <summary>
    /// Jacobi sweeps x^{k+1} = f(x^k) from <paramref name="x0"/> [batch, T, …]: a row stops when a sweep changes none of its
    /// entries by more than <paramref name="tolerance"/> (0: exactly its fixed point), and after T sweeps at the latest (then
    /// it is exact). <paramref name="afterSweep"/> sees the sweep number and the whole iterate [batch, T, …] after each sweep.
    /// </summary>
    public static SweepSolution Jacobi(CausalUpdate update, Tensor x0, double tolerance = 0, Action<int, Tensor>? afterSweep = null) =>
        GaussSeidelJacobi(update, x0, (int)x0.Size(1), tolerance, afterSweep);

    /// <summary>
    /// The Gauss–Seidel–Jacobi hybrid: blocks of <paramref name="blockSize"/> positions solved in order, each by Jacobi sweeps
    /// that update only its positions (at most blockSize sweeps, then it is exact). Sweeps and evaluations are summed over
    /// blocks; blockSize = T is <see cref="Jacobi"/>, blockSize = 1 costs T evaluations like the sequential computation.
    /// </summary>
    public static SweepSolution GaussSeidelJacobi(CausalUpdate update, Tensor x0, int blockSize, double tolerance = 0,
        Action<int, Tensor>? afterSweep = null)
    {
        if (x0.Dim < 2) throw new ArgumentException($"expected an iterate [batch, T, …], got {x0.ShapeString}", nameof(x0));
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);
        int batch = (int)x0.Size(0), positions = (int)x0.Size(1);
        var sweeps = new int[batch];
        var evaluations = new int[batch];
        var x = x0.Clone();
        int sweep = 0;
        for (int start = 0; start < positions; start += blockSize)
        {
            int length = Math.Min(blockSize, positions - start);
            var active = Enumerable.Range(0, batch).ToList();
            for (int k = 1; k <= length && active.Count > 0; k++)
            {
                using var scope = NewScope();
                var rows = Tensor.From(active.Select(r => (long)r).ToArray(), active.Count).To(x.Device);
                var current = x.IndexSelect(0, rows);
                var proposal = update(current, rows);
                var block = proposal.Narrow(1, start, length);
                var change = (block - current.Narrow(1, start, length)).Abs().Flatten(1).Amax([1]).Double().ToArray<double>();
                current.Narrow(1, start, length).Copy_(block);
                x[rows] = current;
                afterSweep?.Invoke(++sweep, x);
                var still = new List<int>();
                for (int i = 0; i < active.Count; i++)
                {
                    int r = active[i];
                    evaluations[r]++;
                    if (change[i] <= tolerance) { sweeps[r] += k - 1; continue; }
                    if (k == length) sweeps[r] += k;
                    else still.Add(r);
                }
                active = still;
            }
        }
        return new SweepSolution(x, sweeps, evaluations);
    }
}
