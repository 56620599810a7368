using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Hypernetworks;

/// <summary>
/// An MLP without parameters of its own: the layout of its weights in one flat vector θ, and the forward pass that
/// reads them from a θ per condition. This is the primary network of a hypernetwork (and the shape of a point in
/// weight space).
/// <code>
///   θ = [W_1 (row-major, [n_1, n_0]), b_1, W_2, b_2, …, W_L, b_L]        ParameterCount = Σ n_l (n_{l−1} + 1)
///   h_0 = x,  h_l = act(W_l h_{l−1} + b_l) for l &lt; L,  f(x; θ) = W_L h_{L−1} + b_L
/// </code>
/// The layout is the order of <c>nn.Sequential(Linear, act, …, Linear).parameters()</c>, so a θ of
/// <see cref="Flatten"/> and the equivalent <see cref="Research.Torch.NN.Linear"/> stack compute the same function.
/// </summary>
public sealed class FunctionalMlp
{
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>An MLP sizes[0] → … → sizes[^1] with <paramref name="activation"/> between layers (tanh if null).</summary>
    /// <exception cref="ArgumentException">Fewer than two sizes or a non-positive size.</exception>
    public FunctionalMlp(long[] sizes, Func<Tensor, Tensor>? activation = null)
    {
        if (sizes.Length < 2) throw new ArgumentException($"an MLP needs at least an input and an output size, got [{string.Join(", ", sizes)}]", nameof(sizes));
        if (sizes.Any(s => s <= 0)) throw new ArgumentException($"layer sizes must be positive, got [{string.Join(", ", sizes)}]", nameof(sizes));
        Sizes = (long[])sizes.Clone();
        _activation = activation ?? (x => x.Tanh());
        var layers = new (long WeightOffset, long BiasOffset, long Out, long In)[sizes.Length - 1];
        long offset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            long fanIn = sizes[l], fanOut = sizes[l + 1];
            layers[l] = (offset, offset + fanOut * fanIn, fanOut, fanIn);
            offset += fanOut * (fanIn + 1);
        }
        Layers = layers;
        ParameterCount = offset;
    }

    /// <summary>Layer widths, input first.</summary>
    public long[] Sizes { get; }

    /// <summary>Where each layer's W_l [Out, In] and b_l [Out] sit in θ.</summary>
    public IReadOnlyList<(long WeightOffset, long BiasOffset, long Out, long In)> Layers { get; }

    /// <summary>The length P of θ.</summary>
    public long ParameterCount { get; }

    /// <summary>Input features.</summary>
    public long InFeatures => Sizes[0];

    /// <summary>Output features.</summary>
    public long OutFeatures => Sizes[^1];

    /// <summary>
    /// Layer <paramref name="layer"/>'s weight and bias as views of θ: θ [B, P] gives W [B, out, in] and b [B, out];
    /// a single θ [P] gives W [out, in] and b [out].
    /// </summary>
    public (Tensor Weight, Tensor Bias) Layer(Tensor theta, int layer)
    {
        CheckTheta(theta);
        if (layer < 0 || layer >= Layers.Count) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the MLP has {Layers.Count} layers");
        var (w, b, o, i) = Layers[layer];
        using var scope = NewScope();
        if (theta.Dim == 1) return (scope.Keep(theta.Narrow(0, w, o * i).View(o, i)), scope.Keep(theta.Narrow(0, b, o)));
        long batch = theta.Size(0);
        return (scope.Keep(theta.Narrow(1, w, o * i).View(batch, o, i)), scope.Keep(theta.Narrow(1, b, o)));
    }

    /// <summary>
    /// f(x; θ). Per condition: θ [B, P] with x [B, N, in] (or [B, in]) → [B, N, out] (or [B, out]).
    /// Shared: θ [P] with x [..., in] → [..., out].
    /// </summary>
    /// <exception cref="ArgumentException">θ is not [P] or [B, P], or x does not fit.</exception>
    public Tensor Forward(Tensor x, Tensor theta)
    {
        CheckTheta(theta);
        using var scope = NewScope();
        var h = x;
        for (int l = 0; l < Layers.Count; l++)
        {
            var (weight, bias) = Layer(theta, l);
            h = GeneratedLinear.Forward(h, weight, bias);
            if (l < Layers.Count - 1) h = _activation(h);
        }
        return scope.Keep(h);
    }

    /// <summary>
    /// Per-entry standard deviation [P] of PyTorch's default Linear initialisation, U(±1/√fan_in) for weights and
    /// biases alike: 1/√(3 fan_in).
    /// </summary>
    public Tensor InitStd(DType? dtype = null, Device? device = null)
    {
        var std = new float[ParameterCount];
        foreach (var (w, _, o, i) in Layers) Array.Fill(std, (float)(1 / Math.Sqrt(3.0 * i)), (int)w, (int)(o * (i + 1)));
        using var t = Tensor.From(std);
        return t.To(device ?? Device.CPU, dtype ?? DType.Float32);
    }

    /// <summary>A θ [P] drawn from PyTorch's default Linear initialisation (what a fresh nn.Sequential would hold).</summary>
    public Tensor DefaultInitialization(DType? dtype = null, Device? device = null)
    {
        using var scope = NewScope();
        var bound = InitStd(dtype, device) * Math.Sqrt(3.0);
        var u = Tensor.Rand([ParameterCount], dtype, device) * 2.0 - 1.0;
        return scope.Keep(u * bound);
    }

    /// <summary>θ [P] from weights [out, in] and biases [out] given layer by layer (e.g. of a Linear stack).</summary>
    /// <exception cref="ArgumentException">The number or shapes of the tensors do not match the layout.</exception>
    public Tensor Flatten(IReadOnlyList<(Tensor Weight, Tensor Bias)> layers)
    {
        if (layers.Count != Layers.Count) throw new ArgumentException($"expected {Layers.Count} layers, got {layers.Count}", nameof(layers));
        using var scope = NewScope();
        var parts = new List<Tensor>();
        for (int l = 0; l < layers.Count; l++)
        {
            var (w, b) = layers[l];
            var (_, _, o, i) = Layers[l];
            if (!w.Shape.SequenceEqual([o, i]) || !b.Shape.SequenceEqual([o]))
                throw new ArgumentException($"layer {l}: expected weight [{o}, {i}] and bias [{o}], got {w.ShapeString} and {b.ShapeString}", nameof(layers));
            parts.Add(w.Reshape(-1));
            parts.Add(b);
        }
        return scope.Keep(Tensor.Cat(parts.ToArray(), 0));
    }

    private void CheckTheta(Tensor theta)
    {
        if (theta.Dim is not (1 or 2) || theta.Size(-1) != ParameterCount)
            throw new ArgumentException($"θ must be [{ParameterCount}] or [batch, {ParameterCount}] for the MLP {string.Join(" → ", Sizes)}, got {theta.ShapeString}", nameof(theta));
    }
}
