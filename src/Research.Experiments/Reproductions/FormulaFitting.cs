using Research.Models.Kan;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// How well the dominant hidden node of a trained [2, n, 1] KAN matches the structure of f(x, y) = exp(sin(πx) + y²):
/// Pearson correlations of its edge functions with the true parts, measured on dense grids.
/// </summary>
/// <param name="Node">The hidden node with the largest outgoing |φ|₁ (the one the function flows through).</param>
/// <param name="OutgoingShare">Its share of the output layer's total |φ|₁ (1 when it is the only node left).</param>
/// <param name="XSine">corr(φ_{node,x}(x), sin(πx)) for x on a grid in [−1, 1].</param>
/// <param name="YSquare">corr(φ_{node,y}(y), y²) for y on a grid in [−1, 1].</param>
/// <param name="OutputExp">corr(Φ_node(h), exp(h / a)) for h on a grid over the node's values on the data, with a the slope of φ_x on sin(πx): if φ_x = a sin(πx) + b and φ_y = a y² + b′, the output edge must be exp((h − b − b′)/a).</param>
/// <param name="XLinear">corr(φ_{node,x}(x), x): what a merely monotone x-edge would score (for contrast; 0.78 for sin(πx) itself).</param>
/// <param name="Scale">a, the least-squares slope of φ_x on sin(πx).</param>
public sealed record KanEdgeStructure(int Node, double OutgoingShare, double XSine, double YSquare, double OutputExp, double XLinear, double Scale)
{
    /// <summary>True when |corr| of the x-edge with sin(πx) and of the y-edge with y², and corr of the output edge with exp, are all ≥ <paramref name="threshold"/>.</summary>
    public bool Matches(double threshold) => Math.Abs(XSine) >= threshold && Math.Abs(YSquare) >= threshold && OutputExp >= threshold;
}

/// <summary>
/// The formula-fitting task of the KAN experiment (Liu et al., 2024, Sec. 3.1): f(x, y) = exp(sin(πx) + y²) on [−1, 1]²,
/// MLP baselines of a given parameter budget, and the check of the learned edge functions against the formula.
/// </summary>
public static class FormulaFitting
{
    /// <summary>The formula's name as printed.</summary>
    public const string Formula = "exp(sin(πx) + y²)";

    /// <summary>f(x, y) = exp(sin(πx) + y²) for points [N, 2] → [N, 1].</summary>
    public static Tensor Target(Tensor xy)
    {
        if (xy.Dim != 2 || xy.Size(1) != 2) throw new ArgumentException($"points must be [N, 2], got {xy.ShapeString}", nameof(xy));
        using var scope = NewScope();
        var inner = (xy.Select(1, 0) * Math.PI).Sin() + xy.Select(1, 1).Square();
        return scope.Keep(inner.Exp().Unsqueeze(1));
    }

    /// <summary><paramref name="n"/> points uniform in [−1, 1]² (from libtorch's generator) and their targets.</summary>
    public static (Tensor X, Tensor Y) Sample(int n, Device? device = null)
    {
        using var scope = NewScope();
        var x = Tensor.Rand([n, 2], device: device) * 2 - 1;
        return (scope.Keep(x), scope.Keep(Target(x)));
    }

    /// <summary>Root mean squared error of <paramref name="model"/> on (x, y), without gradients.</summary>
    public static double Rmse(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return (model.Forward(x) - y).Square().Mean().Sqrt().Item<float>();
    }

    /// <summary>Parameters of an MLP 2 → width × depth → 1 (weights and biases).</summary>
    public static long MlpParameters(int depth, int width) => 3L * width + (depth - 1L) * (width * (long)width + width) + width + 1;

    /// <summary>The width whose 2 → width × depth → 1 MLP has the parameter count closest to <paramref name="parameters"/>.</summary>
    public static int WidthFor(int depth, long parameters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        int best = 1;
        for (int w = 1; MlpParameters(depth, w) <= 4 * parameters + 10; w++)
            if (Math.Abs(MlpParameters(depth, w) - parameters) < Math.Abs(MlpParameters(depth, best) - parameters)) best = w;
        return best;
    }

    /// <summary>An MLP 2 → width × depth → 1 with "tanh" or "silu" activations and PyTorch's default initialisation.</summary>
    public static Sequential Mlp(int depth, int width, string activation, Device? device = null)
    {
        Module<Tensor, Tensor> Activation() => activation switch
        {
            "tanh" => new Tanh(),
            "silu" => new SiLU(),
            _ => throw new ArgumentException($"activation must be tanh or silu, not '{activation}'", nameof(activation)),
        };
        var layers = new List<Module<Tensor, Tensor>> { new Linear(2, width, device: device), Activation() };
        for (int d = 1; d < depth; d++) layers.AddRange([new Linear(width, width, device: device), Activation()]);
        layers.Add(new Linear(width, 1, device: device));
        return new Sequential(layers.ToArray());
    }

    /// <summary>Pearson's correlation of two equally long series.</summary>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count || a.Count < 2) throw new ArgumentException("need two series of the same length ≥ 2");
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>
    /// The edge functions of one hidden node on a grid: the node's x-edge and y-edge on <paramref name="points"/> values in
    /// [−1, 1], and its output edge on <paramref name="points"/> values spanning what the node takes on <paramref name="data"/>.
    /// </summary>
    public static (double[] T, double[] XEdge, double[] YEdge, double[] H, double[] OutputEdge) NodeCurves(KanNetwork kan, int node, Tensor data, int points = 201)
    {
        CheckShape(kan);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var layer0 = kan.Layers[0];
        var layer1 = kan.Layers[1];
        var t = Tensor.Linspace(-1, 1, points, layer0.Coefficients.DType, layer0.Coefficients.Device);
        var first = layer0.EdgeActivations(Tensor.Stack([t, t], 1));                 // [P, n, 2]
        var hidden = layer0.Forward(data).Select(1, node);                           // the node's values on the data
        var h = Tensor.Linspace(hidden.Min().Item<float>(), hidden.Max().Item<float>(), points, t.DType, t.Device);
        var input = Tensor.Zeros([points, layer1.InFeatures], t.DType, t.Device);
        input.Select(1, node).Copy_(h);                                               // edges are univariate: other columns do not matter
        var second = layer1.EdgeActivations(input);                                   // [P, 1, n]
        return (t.ToArray<double>(), first.Select(1, node).Select(1, 0).ToArray<double>(), first.Select(1, node).Select(1, 1).ToArray<double>(),
            h.ToArray<double>(), second.Select(1, 0).Select(1, node).ToArray<double>());
    }

    /// <summary>
    /// Every edge function of <paramref name="kan"/> on <paramref name="points"/> values spanning that edge's inputs on
    /// <paramref name="data"/>, with its importance |φ|₁ on the data: [layer][out][in].
    /// </summary>
    public static KanEdgeCurve[][][] EdgeCurves(KanNetwork kan, Tensor data, int points = 121)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var trace = kan.Trace(data);
        var norms = KanNetwork.EdgeNorms(trace).Select(n => n.Double().ToArray2D<double>()).ToArray();
        var curves = new KanEdgeCurve[kan.Layers.Length][][];
        for (int l = 0; l < kan.Layers.Length; l++)
        {
            var inputs = trace.Inputs[l];
            var (lo, hi) = (inputs.Amin([0]), inputs.Amax([0]));
            var steps = Tensor.Linspace(0, 1, points, inputs.DType, inputs.Device).Unsqueeze(1);
            var grid = lo.Unsqueeze(0) + (hi - lo).Unsqueeze(0) * steps;                // [P, in]
            var edges = kan.Layers[l].EdgeActivations(grid).Double();                      // [P, out, in]
            var x = grid.Double().ToArray2D<double>();
            var y = edges.ToArray<double>();
            int layer = l, outs = (int)edges.Size(1), ins = (int)edges.Size(2);
            curves[l] = [.. Enumerable.Range(0, (int)kan.Layers[l].OutFeatures).Select(o => Enumerable.Range(0, (int)kan.Layers[layer].InFeatures)
                .Select(i => new KanEdgeCurve(Enumerable.Range(0, points).Select(p => x[p, i]).ToArray(),
                    Enumerable.Range(0, points).Select(p => y[(p * outs + o) * ins + i]).ToArray(), norms[layer][o, i])).ToArray())];
        }
        return curves;
    }

    /// <summary>Finds the dominant hidden node of a [2, n, 1] KAN on <paramref name="data"/> and correlates its edges with the formula's parts.</summary>
    public static KanEdgeStructure EdgeStructure(KanNetwork kan, Tensor data, int points = 201)
    {
        CheckShape(kan);
        double[] outgoing;
        using (NewScope())
        using (NoGrad())
            outgoing = KanNetwork.EdgeNorms(kan.Trace(data))[1].Reshape(-1).ToArray<double>();
        int node = Array.IndexOf(outgoing, outgoing.Max());
        var (t, xEdge, yEdge, h, outputEdge) = NodeCurves(kan, node, data, points);
        var sine = t.Select(v => Math.Sin(Math.PI * v)).ToArray();
        var square = t.Select(v => v * v).ToArray();
        double a = Slope(xEdge, sine);
        double outputExp = Pearson(outputEdge, h.Select(v => Math.Exp(v / a)).ToArray());
        return new KanEdgeStructure(node, outgoing[node] / outgoing.Sum(), Pearson(xEdge, sine), Pearson(yEdge, square), outputExp, Pearson(xEdge, t), a);
    }

    // The least-squares slope of y on x.
    private static double Slope(IReadOnlyList<double> y, IReadOnlyList<double> x)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Count; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        return sxy / sxx;
    }

    private static void CheckShape(KanNetwork kan)
    {
        var w = kan.Widths;
        if (w.Length != 3 || w[0] != 2 || w[2] != 1)
            throw new ArgumentException($"the structure check needs a [2, n, 1] KAN, got [{string.Join(", ", w)}]", nameof(kan));
    }
}
