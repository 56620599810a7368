using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Kan;

/// <summary>
/// The values inside a <see cref="KanNetwork"/> for one batch: per layer l its inputs [batch, n_l] and every edge's value
/// φ_{l,o,i}(x_i) [batch, n_{l+1}, n_l]; the output is the last layer's edge values summed over inputs.
/// </summary>
/// <param name="Inputs">Inputs of every layer.</param>
/// <param name="Edges">Edge values of every layer.</param>
/// <param name="Output">The network's output [batch, n_L].</param>
public sealed record KanTrace(Tensor[] Inputs, Tensor[] Edges, Tensor Output);

/// <summary>
/// A Kolmogorov–Arnold network (Liu et al., 2024): <see cref="KanLayer"/>s of widths [n_0, n_1, …, n_L] stacked,
/// KAN(x) = (Φ_{L−1} ∘ … ∘ Φ_0)(x), every edge a learnable spline plus silu term and every node a sum. Besides training
/// by gradient descent, the paper's tools: the sparsity regulariser (<see cref="Regularization"/>), pruning of
/// unimportant hidden nodes (<see cref="Prune"/>) and grid extension (<see cref="Refine"/>), both of which return a new network.
/// </summary>
public sealed class KanNetwork : Module<Tensor, Tensor>
{
    /// <summary>Creates layers n_0 → n_1 → … → n_L with uniform grids of <paramref name="gridSize"/> intervals on [lo, hi] (initialisation: see <see cref="KanLayer"/>).</summary>
    public KanNetwork(long[] widths, int gridSize = 5, int order = 3, double lo = -1, double hi = 1, double splineInitScale = 0.1,
        double baseInitNoise = 0.1, DType? dtype = null, Device? device = null)
        : this(Build(widths, gridSize, order, lo, hi, splineInitScale, baseInitNoise, dtype, device))
    {
    }

    /// <summary>A network made of the given layers (it takes ownership); consecutive widths must match.</summary>
    public KanNetwork(KanLayer[] layers)
    {
        if (layers.Length == 0) throw new ArgumentException("a KAN needs at least one layer", nameof(layers));
        for (int l = 1; l < layers.Length; l++)
            if (layers[l].InFeatures != layers[l - 1].OutFeatures)
                throw new ArgumentException($"layer {l} reads {layers[l].InFeatures} inputs but layer {l - 1} gives {layers[l - 1].OutFeatures}", nameof(layers));
        Layers = layers;
    }

    private static KanLayer[] Build(long[] widths, int gridSize, int order, double lo, double hi, double splineInitScale, double baseInitNoise,
        DType? dtype, Device? device)
    {
        if (widths.Length < 2) throw new ArgumentException($"a KAN needs at least an input and an output width, got [{string.Join(", ", widths)}]", nameof(widths));
        return Enumerable.Range(0, widths.Length - 1)
            .Select(l => new KanLayer(widths[l], widths[l + 1], gridSize, order, lo, hi, splineInitScale, baseInitNoise, dtype, device)).ToArray();
    }

    /// <summary>The layers Φ_0 … Φ_{L−1}.</summary>
    public KanLayer[] Layers { get; }

    /// <summary>The widths [n_0, …, n_L].</summary>
    public long[] Widths => Layers.Select(l => l.InFeatures).Append(Layers[^1].OutFeatures).ToArray();

    /// <summary>Grid intervals of the first layer (all layers share G unless built otherwise).</summary>
    public int GridSize => Layers[0].GridSize;

    /// <summary>x [batch, n_0] → [batch, n_L].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = x;
        foreach (var layer in Layers) h = layer.Forward(h);
        return scope.Keep(h);
    }

    /// <summary>The forward pass keeping every layer's inputs and edge values (for the regulariser, pruning and plots).</summary>
    public KanTrace Trace(Tensor x)
    {
        using var scope = NewScope();
        var inputs = new Tensor[Layers.Length];
        var edges = new Tensor[Layers.Length];
        var h = x;
        for (int l = 0; l < Layers.Length; l++)
        {
            inputs[l] = h;
            edges[l] = Layers[l].EdgeActivations(h);
            h = edges[l].Sum(-1);
        }
        if (ReferenceEquals(inputs[0], x)) inputs[0] = x.Alias();
        scope.Keep(inputs);
        scope.Keep(edges);
        return new KanTrace(inputs, edges, scope.Keep(h));
    }

    /// <summary>
    /// Edge importance |φ|₁ = mean over the batch of |φ(x)|, per layer: [n_{l+1}, n_l] (the paper's L1 norm of an activation).
    /// </summary>
    public static Tensor[] EdgeNorms(KanTrace trace) => trace.Edges.Select(e => e.Abs().Mean(0)).ToArray();

    /// <summary>
    /// The paper's sparsity regulariser (Sec. 2.5.1): Σ_l μ₁ |Φ_l|₁ + μ₂ S(Φ_l), with |Φ_l|₁ = Σ_{o,i} |φ_{l,o,i}|₁ and the
    /// entropy S(Φ_l) = −Σ_{o,i} p log p of p = |φ_{l,o,i}|₁ / |Φ_l|₁. Add λ times it to the prediction loss.
    /// </summary>
    public static Tensor Regularization(KanTrace trace, double mu1 = 1, double mu2 = 1)
    {
        using var scope = NewScope();
        Tensor? total = null;
        foreach (var norms in EdgeNorms(trace))
        {
            var l1 = norms.Sum();
            var p = norms / (l1 + 1e-12);
            var entropy = -(p * (p + 1e-12).Log()).Sum();
            var term = l1 * mu1 + entropy * mu2;
            total = total is null ? term : total + term;
        }
        return scope.Keep(total!);
    }

    /// <summary>
    /// The nodes of every hidden layer to keep (paper Sec. 2.5.1): hidden node i of layer l stays when both its largest incoming
    /// |φ|₁ and its largest outgoing |φ|₁ on the batch x exceed <paramref name="threshold"/>. One index array per hidden layer.
    /// </summary>
    public long[][] ImportantNodes(Tensor x, double threshold = 1e-2)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var norms = EdgeNorms(Trace(x));
        var kept = new long[Layers.Length - 1][];
        for (int l = 0; l < kept.Length; l++)
        {
            var incoming = norms[l].Amax([1]).ToArray<double>();                // [n_{l+1}]: max over the node's inputs
            var outgoing = norms[l + 1].Amax([0]).ToArray<double>();        // [n_{l+1}]: max over the node's outputs
            kept[l] = Enumerable.Range(0, incoming.Length).Where(i => incoming[i] > threshold && outgoing[i] > threshold).Select(i => (long)i).ToArray();
        }
        return kept;
    }

    /// <summary>
    /// A new network without the unimportant hidden nodes (see <see cref="ImportantNodes"/>), and the kept node indices per
    /// hidden layer. A hidden layer keeps at least its single most important node, so the network stays connected.
    /// </summary>
    public (KanNetwork Pruned, long[][] Kept) Prune(Tensor x, double threshold = 1e-2)
    {
        var kept = ImportantNodes(x, threshold);
        using var scope = NewScope();
        for (int l = 0; l < kept.Length; l++)
            if (kept[l].Length == 0)
            {
                using var noGrad = NoGrad();
                var norms = EdgeNorms(Trace(x));
                var score = norms[l].Amax([1]).Minimum(norms[l + 1].Amax([0]));
                kept[l] = [score.ArgMax().Item<long>()];
            }
        var layers = new KanLayer[Layers.Length];
        for (int l = 0; l < Layers.Length; l++)
        {
            long[] ins = l == 0 ? Range(Layers[0].InFeatures) : kept[l - 1];
            long[] outs = l == Layers.Length - 1 ? Range(Layers[^1].OutFeatures) : kept[l];
            layers[l] = Layers[l].Select(ins, outs);
        }
        return (new KanNetwork(layers), kept);
    }

    /// <summary>
    /// Grid extension: a new network whose layers use <paramref name="gridSize"/> intervals, fitted by least squares to the
    /// current edge functions on the inputs each layer sees for the samples x [batch, n_0]. With
    /// <paramref name="fitRangeToSamples"/> every grid also moves to the range its inputs take (the paper's grid update).
    /// </summary>
    public KanNetwork Refine(Tensor x, int gridSize, bool fitRangeToSamples = false)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var layers = new KanLayer[Layers.Length];
        var h = x;
        for (int l = 0; l < Layers.Length; l++)
        {
            layers[l] = Layers[l].Regrid(h, gridSize, fitRangeToSamples);
            h = Layers[l].Forward(h);
        }
        return new KanNetwork(layers);
    }

    /// <summary>
    /// The grid update in place (<see cref="KanLayer.UpdateGrid"/>): every layer's grids move to the range of the inputs it
    /// sees for the samples x [batch, n_0], with the edge functions refitted; parameters keep their identity.
    /// </summary>
    public void UpdateGrids(Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var h = x;
        foreach (var layer in Layers)
        {
            var next = layer.Forward(h);                 // the inputs of the next layer, before this one changes
            layer.UpdateGrid(h);
            h = next;
        }
    }

    private static long[] Range(long n) => Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();

    protected override string ExtraRepr() => $"widths=[{string.Join(", ", Widths)}], grid={GridSize}, order={Layers[0].Order}";
}
