using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Kan;

/// <summary>
/// B-spline bases on per-channel knot vectors, written with tensor ops so that they batch, run on any device and
/// differentiate with autograd (the building block of <see cref="KanLayer"/>; reusable by any spline-based layer).
/// <code>
///   uniform grid of G intervals on [a, b], order k:   t_j = a + (j − k) h,  h = (b − a)/G,  j = 0 … G + 2k
///   Cox–de Boor:  B_{j,0}(x) = 1 if t_j ≤ x &lt; t_{j+1} else 0
///                 B_{j,p}(x) = (x − t_j)/(t_{j+p} − t_j) · B_{j,p−1}(x) + (t_{j+p+1} − x)/(t_{j+p+1} − t_{j+1}) · B_{j+1,p−1}(x)
/// </code>
/// The k extra knots on each side make the G + k basis functions of order k a partition of unity on all of [a, b]
/// (Σ_j B_{j,k}(x) = 1 there); outside [t_0, t_{G+2k}] every basis function is zero.
/// </summary>
public static class BSpline
{
    /// <summary>
    /// A uniform knot grid with <paramref name="gridSize"/> intervals on [lo_i, hi_i] for every channel i, extended by
    /// <paramref name="order"/> knots on each side: [channels, G + 2k + 1].
    /// </summary>
    /// <param name="lo">Lower ends of the grids: [channels].</param>
    /// <param name="hi">Upper ends of the grids: [channels], each above its <paramref name="lo"/>.</param>
    /// <param name="gridSize">G, the number of intervals between lo and hi (≥ 1).</param>
    /// <param name="order">k, the spline order (3 = cubic).</param>
    public static Tensor UniformGrid(Tensor lo, Tensor hi, int gridSize, int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        if (lo.Dim != 1 || hi.Dim != 1 || lo.Size(0) != hi.Size(0))
            throw new ArgumentException($"grid ends must be two vectors of one length, got lo {lo.ShapeString} and hi {hi.ShapeString}");
        using var scope = NewScope();
        if (!(hi > lo).All().Item<bool>()) throw new ArgumentException("every grid needs hi > lo", nameof(hi));
        var steps = Tensor.Arange(-order, gridSize + order + 1, 1, lo.DType, lo.Device) / gridSize;    // (j − k)/G: [G + 2k + 1]
        var width = (hi - lo).Unsqueeze(1);                                                          // [channels, 1]
        return scope.Keep(lo.Unsqueeze(1) + width * steps.Unsqueeze(0));
    }

    /// <summary>The same uniform grid on [<paramref name="lo"/>, <paramref name="hi"/>] for <paramref name="channels"/> channels: [channels, G + 2k + 1].</summary>
    public static Tensor UniformGrid(long channels, double lo, double hi, int gridSize, int order, DType? dtype = null, Device? device = null)
    {
        if (!(hi > lo)) throw new ArgumentException($"the grid needs hi > lo, got [{lo}, {hi}]", nameof(hi));
        using var scope = NewScope();
        var l = Tensor.Full([channels], lo, dtype, device);
        var h = Tensor.Full([channels], hi, dtype, device);
        return scope.Keep(UniformGrid(l, h, gridSize, order));
    }

    /// <summary>
    /// All order-<paramref name="order"/> B-spline basis functions of every channel at x, by the Cox–de Boor recursion:
    /// x [batch, channels], grid [channels, M] (increasing knots, M > k + 1) → [batch, channels, M − 1 − k].
    /// Differentiable in x (the piecewise-constant order-0 indicators carry no gradient; the linear factors do).
    /// </summary>
    public static Tensor Basis(Tensor x, Tensor grid, int order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        if (x.Dim != 2) throw new ArgumentException($"B-spline inputs must be [batch, channels], got {x.ShapeString}", nameof(x));
        if (grid.Dim != 2 || grid.Size(0) != x.Size(1))
            throw new ArgumentException($"the grid must be [channels = {x.Size(1)}, knots], got {grid.ShapeString}", nameof(grid));
        long knots = grid.Size(1);
        if (knots < order + 2) throw new ArgumentException($"order {order} needs at least {order + 2} knots per channel, the grid has {knots}", nameof(grid));

        // Computed as [functions, channels, batch] so that every elementwise op runs over the long batch axis (contiguous,
        // vectorised); the knots broadcast from [functions, channels, 1]. Returned as a [batch, channels, functions] view.
        using var scope = NewScope();
        var xe = x.T.Unsqueeze(0);                                      // [1, channels, batch]
        var t = grid.T.Unsqueeze(-1);                                   // [M, channels, 1]
        var basis = ((xe >= t.Narrow(0, 0, knots - 1)) & (xe < t.Narrow(0, 1, knots - 1))).To(x.DType);   // B_{j,0}: [M − 1, channels, batch]
        for (int p = 1; p <= order; p++)
        {
            // With L_j = (x − t_j)/(t_{j+p} − t_j) for j = 0 … n, the second factor (t_{j+p+1} − x)/(t_{j+p+1} − t_{j+1}) is 1 − L_{j+1}:
            // B_{j,p} = L_j B_{j,p−1} + (1 − L_{j+1}) B_{j+1,p−1} = P_j + B_{j+1,p−1} − P_{j+1} with P = L ⊙ B_{·,p−1}.
            long n = knots - 1 - p;                                     // number of order-p functions
            var inverseSpan = (t.Narrow(0, p, n + 1) - t.Narrow(0, 0, n + 1)).Reciprocal();   // 1/(t_{j+p} − t_j): [n + 1, channels, 1]
            var products = (xe - t.Narrow(0, 0, n + 1)) * inverseSpan * basis;                 // P_j: [n + 1, channels, batch]
            basis = products.Narrow(0, 0, n) + basis.Narrow(0, 1, n) - products.Narrow(0, 1, n);
        }
        return scope.Keep(basis.Permute(2, 1, 0));
    }

    /// <summary>
    /// The splines Σ_j c_{o,i,j} B_j(x_i) for every (output o, channel i) pair: x [batch, channels], grid [channels, M],
    /// coefficients [outputs, channels, M − 1 − k] → [batch, outputs, channels].
    /// </summary>
    public static Tensor Evaluate(Tensor x, Tensor grid, Tensor coefficients, int order)
    {
        using var scope = NewScope();
        var basis = Basis(x, grid, order);
        CheckCoefficients(coefficients, basis);
        return scope.Keep(Tensor.Einsum("bik,oik->boi", basis, coefficients));
    }

    /// <summary>
    /// Least-squares coefficients c [outputs, channels, M − 1 − k] such that Σ_j c_{o,i,j} B_j(x_i) ≈ y_{·,o,i} on the samples
    /// x [batch, channels] with targets y [batch, outputs, channels]; one independent problem per channel, returned in x's dtype.
    /// Solved in float64 through the normal equations (BᵀB + εI) c = Bᵀy with a tiny ridge ε = 10⁻¹² · mean diag(BᵀB), which
    /// sends the coefficients of basis functions that no sample touches to zero. (B-spline bases are well conditioned, so
    /// this loses nothing against torch.linalg.lstsq — and unlike lstsq on this libtorch/LAPACK build, it is bitwise repeatable.)
    /// </summary>
    public static Tensor Fit(Tensor x, Tensor y, Tensor grid, int order)
    {
        if (y.Dim != 3 || y.Size(0) != x.Size(0) || y.Size(2) != x.Size(1))
            throw new ArgumentException($"targets must be [batch = {x.Size(0)}, outputs, channels = {x.Size(1)}], got {y.ShapeString}", nameof(y));
        using var scope = NewScope();
        var a = Basis(x, grid, order).Permute(1, 0, 2).Double();       // [channels, batch, K]
        var b = y.Permute(2, 0, 1).Double();                            // [channels, batch, outputs]
        var gram = a.MT.Matmul(a);                                      // [channels, K, K]
        long k = gram.Size(-1);
        var ridge = gram.Diagonal(0, -2, -1).Mean(-1, keepDim: true).Unsqueeze(-1) * 1e-12 + 1e-300;   // [channels, 1, 1]
        var eye = Tensor.Eye(k, dtype: DType.Float64, device: x.Device);
        var c = Linalg.Solve(gram + eye * ridge, a.MT.Matmul(b));      // [channels, K, outputs]
        return scope.Keep(c.Permute(2, 0, 1).To(x.DType).Contiguous());
    }

    internal static void CheckCoefficients(Tensor coefficients, Tensor basis)
    {
        if (coefficients.Dim != 3 || coefficients.Size(1) != basis.Size(1) || coefficients.Size(2) != basis.Size(2))
            throw new ArgumentException($"coefficients must be [outputs, channels = {basis.Size(1)}, basis functions = {basis.Size(2)}], got {coefficients.ShapeString}", nameof(coefficients));
    }
}
