using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Kan;

/// <summary>
/// One Kolmogorov–Arnold layer (Liu et al., 2024, "KAN: Kolmogorov-Arnold Networks"): every edge i → o carries its own
/// learnable univariate function and the nodes only sum,
/// <code>
///   φ_{o,i}(x) = w^b_{o,i} · silu(x) + w^s_{o,i} · Σ_j c_{o,i,j} B_j(x)        (B_j: order-k B-splines on input i's grid)
///   y_o = Σ_i φ_{o,i}(x_i)
/// </code>
/// Initialisation (as in the authors' code): c ~ N(0, σ²) with σ = <c>splineInitScale</c> (0.1), so every spline starts
/// near zero; w^s = 1; w^b = 1/√in + U(−ε, ε) with ε = <c>baseInitNoise</c> (0.1), so every node starts as nearly the same
/// even mix of its inputs and sparsification decides which inputs it keeps. Each input has its own grid (a buffer), uniform on [lo, hi] with G intervals and k extra
/// knots on each side; <see cref="Regrid"/> moves it to a finer grid or to the range the inputs actually take, refitting
/// the coefficients by least squares so that the layer computes (nearly) the same function — the paper's grid extension.
/// Changing the grid changes parameter shapes, so <see cref="Regrid"/> and <see cref="Select"/> return a new layer.
/// </summary>
public sealed class KanLayer : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with uniform grids of <paramref name="gridSize"/> intervals on [<paramref name="lo"/>, <paramref name="hi"/>].</summary>
    public KanLayer(long inFeatures, long outFeatures, int gridSize = 5, int order = 3, double lo = -1, double hi = 1,
        double splineInitScale = 0.1, double baseInitNoise = 0.1, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        GridSize = gridSize;
        Order = order;
        RegisterBuffer("grid", BSpline.UniformGrid(inFeatures, lo, hi, gridSize, order, dtype, device));
        Coefficients = NewParameter([outFeatures, inFeatures, gridSize + order], dtype, device);
        Init.Normal_(Coefficients, 0, splineInitScale);
        BaseWeight = NewParameter([outFeatures, inFeatures], dtype, device);
        Init.Uniform_(BaseWeight, 1 / Math.Sqrt(inFeatures) - baseInitNoise, 1 / Math.Sqrt(inFeatures) + baseInitNoise);
        SplineWeight = NewParameter([outFeatures, inFeatures], dtype, device);
        Init.Ones_(SplineWeight);
    }

    // A layer from given tensors (copied): what Regrid and Select build.
    private KanLayer(Tensor grid, Tensor coefficients, Tensor baseWeight, Tensor splineWeight, int order)
    {
        InFeatures = coefficients.Size(1);
        OutFeatures = coefficients.Size(0);
        Order = order;
        GridSize = (int)grid.Size(1) - 2 * order - 1;
        using var scope = NewScope();
        RegisterBuffer("grid", grid.Detach().Clone());
        Coefficients = new Parameter(coefficients.Detach().Clone());
        BaseWeight = new Parameter(baseWeight.Detach().Clone());
        SplineWeight = new Parameter(splineWeight.Detach().Clone());
    }

    /// <summary>Number of inputs.</summary>
    public long InFeatures { get; }

    /// <summary>Number of outputs.</summary>
    public long OutFeatures { get; }

    /// <summary>G: grid intervals per input.</summary>
    public int GridSize { get; }

    /// <summary>k: the spline order (3 = cubic).</summary>
    public int Order { get; }

    /// <summary>Spline coefficients c: [out, in, G + k].</summary>
    public Parameter Coefficients { get; }

    /// <summary>w^b, the weight of the silu base term of every edge: [out, in].</summary>
    public Parameter BaseWeight { get; }

    /// <summary>w^s, the weight of the spline term of every edge: [out, in].</summary>
    public Parameter SplineWeight { get; }

    /// <summary>The knots of every input: [in, G + 2k + 1]; the spline part is supported on [Grid[i, 0], Grid[i, ^1]].</summary>
    public Tensor Grid => Buffer("grid")!;

    /// <summary>Lower and upper ends [in] of the grids' core intervals (where the bases are a partition of unity).</summary>
    public (Tensor Lo, Tensor Hi) Range => (Grid.Select(1, Order), Grid.Select(1, Order + GridSize));

    /// <summary>Number of edges (in × out).</summary>
    public long Edges => InFeatures * OutFeatures;

    /// <summary>y_o = Σ_i φ_{o,i}(x_i). x: [batch, in] → [batch, out].</summary>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var basis = BSpline.Basis(x, Grid, Order).Flatten(1);                                 // [batch, in·K]
        var splineMatrix = (Coefficients * SplineWeight.Unsqueeze(-1)).Flatten(1);             // [out, in·K]
        var y = x.Silu().Matmul(BaseWeight.T) + basis.Matmul(splineMatrix.T);
        return scope.Keep(y);
    }

    /// <summary>Every edge's value φ_{o,i}(x_i): x [batch, in] → [batch, out, in] (its sum over the last axis is <see cref="Forward"/>).</summary>
    public Tensor EdgeActivations(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var spline = BSpline.Evaluate(x, Grid, Coefficients, Order);                           // [batch, out, in]
        var phi = spline * SplineWeight + x.Silu().Unsqueeze(1) * BaseWeight;
        return scope.Keep(phi);
    }

    /// <summary>
    /// A new layer on grids of <paramref name="gridSize"/> intervals that computes (nearly) the same edge functions on the
    /// samples x [batch, in]: the new coefficients are the least-squares fit of the current spline terms at x (w^b, w^s are kept).
    /// With <paramref name="fitRangeToSamples"/> each input's grid spans [min x_i, max x_i] (the paper's grid update from
    /// samples); otherwise it keeps its current range (grid extension: refining a uniform grid G → mG reproduces the spline
    /// exactly on that range, because the coarse knots are fine knots). The samples should cover the range densely
    /// (at least G + k distinct values per input).
    /// </summary>
    public KanLayer Regrid(Tensor x, int gridSize, bool fitRangeToSamples = false)
    {
        CheckInput(x);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var target = BSpline.Evaluate(x, Grid, Coefficients, Order);                         // [batch, out, in]
        var (lo, hi) = fitRangeToSamples ? (x.Amin([0]), x.Amax([0])) : Range;
        if (fitRangeToSamples)
        {
            var degenerate = (hi - lo) < 1e-6;                                                // a constant input: keep a unit-width grid around it
            lo = Tensor.Where(degenerate, lo - 0.5, lo);
            hi = Tensor.Where(degenerate, hi + 0.5, hi);
        }
        var grid = BSpline.UniformGrid(lo, hi, gridSize, Order);
        var coefficients = BSpline.Fit(x, target, grid, Order);
        return new KanLayer(grid, coefficients, BaseWeight, SplineWeight, Order);
    }

    /// <summary>
    /// The paper's grid update, in place: every input's grid (same G) moves to [min x_i, max x_i] of the samples x [batch, in]
    /// and the coefficients are refitted so that the edge functions stay (nearly) the same on the samples. The parameters
    /// keep their identity and shape, so an optimizer over them can go on.
    /// </summary>
    public void UpdateGrid(Tensor x)
    {
        using var scope = NewScope();
        using var regridded = Regrid(x, GridSize, fitRangeToSamples: true);
        using var noGrad = NoGrad();
        Grid.Copy_(regridded.Grid);
        Coefficients.Copy_(regridded.Coefficients);
    }

    /// <summary>A new layer with only the given inputs and outputs (what pruning keeps), in the given order.</summary>
    public KanLayer Select(long[] inputs, long[] outputs)
    {
        if (inputs.Length == 0 || outputs.Length == 0) throw new ArgumentException("a layer needs at least one input and one output");
        if (inputs.Any(i => i < 0 || i >= InFeatures)) throw new ArgumentOutOfRangeException(nameof(inputs), $"inputs must be in [0, {InFeatures})");
        if (outputs.Any(o => o < 0 || o >= OutFeatures)) throw new ArgumentOutOfRangeException(nameof(outputs), $"outputs must be in [0, {OutFeatures})");
        using var scope = NewScope();
        var ins = Tensor.From(inputs).To(Grid.Device);
        var outs = Tensor.From(outputs).To(Grid.Device);
        Tensor Pick(Tensor t) => t.IndexSelect(0, outs).IndexSelect(1, ins);
        return new KanLayer(Grid.IndexSelect(0, ins), Pick(Coefficients), Pick(BaseWeight), Pick(SplineWeight), Order);
    }

    private void CheckInput(Tensor x)
    {
        if (x.Dim != 2 || x.Size(1) != InFeatures)
            throw new ArgumentException($"KanLayer({InFeatures} → {OutFeatures}) expects input [batch, {InFeatures}], got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, grid={GridSize}, order={Order}";
}
