using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.ImplicitNeural;

/// <summary>
/// B SIRENs of one architecture held as stacked weights and evaluated together with batched matrix products, so that
/// many small networks (one per signal) train at the price of one large one. Layer l of network b computes
/// h_l = sin(ω (W_l[b] h_{l−1} + b_l[b])) as <see cref="Siren"/> does (ω = ω₀ of the first or hidden layers), the
/// last layer is linear. Weights are [B, out, in] and biases [B, out], leaf tensors that require grad; the loss
/// Σ_b L_b(θ_b) gives every network its own gradient, so an element-wise optimiser (SGD, Adam) over the stacked tensors
/// trains the B networks independently.
/// </summary>
public sealed class SirenBatch : IDisposable
{
    /// <summary>Takes ownership of <paramref name="weights"/> [B, out, in] and <paramref name="biases"/> [B, out], first layer first.</summary>
    public SirenBatch(Tensor[] weights, Tensor[] biases, double firstOmega0 = 30, double hiddenOmega0 = 30)
    {
        if (weights.Length < 2 || weights.Length != biases.Length)
            throw new ArgumentException($"need ≥ 2 layers with one bias each, got {weights.Length} weights and {biases.Length} biases");
        for (int l = 0; l < weights.Length; l++)
        {
            if (weights[l].Dim != 3 || biases[l].Dim != 2 || weights[l].Size(0) != weights[0].Size(0) ||
                biases[l].Size(0) != weights[0].Size(0) || biases[l].Size(1) != weights[l].Size(1) ||
                (l > 0 && weights[l].Size(2) != weights[l - 1].Size(1)))
                throw new ArgumentException($"layer {l}: weights {weights[l].ShapeString} and biases {biases[l].ShapeString} do not chain as [B, out, in], [B, out]");
        }
        (Weights, Biases, FirstOmega0, HiddenOmega0) = (weights, biases, firstOmega0, hiddenOmega0);
    }

    /// <summary>W_0 … W_L, each [B, out, in].</summary>
    public Tensor[] Weights { get; }

    /// <summary>b_0 … b_L, each [B, out].</summary>
    public Tensor[] Biases { get; }

    /// <summary>ω₀ of the first layer.</summary>
    public double FirstOmega0 { get; }

    /// <summary>ω₀ of the later sine layers.</summary>
    public double HiddenOmega0 { get; }

    /// <summary>B, the number of networks.</summary>
    public long Count => Weights[0].Size(0);

    /// <summary>Parameters per network.</summary>
    public long ParametersPerNetwork => Weights.Sum(w => w.Size(1) * w.Size(2)) + Biases.Sum(b => b.Size(1));

    /// <summary>The stacked weights and biases, layer by layer (W_0, b_0, W_1, …), for an optimiser.</summary>
    public IEnumerable<Tensor> Parameters()
    {
        for (int l = 0; l < Weights.Length; l++)
        {
            yield return Weights[l];
            yield return Biases[l];
        }
    }

    /// <summary>
    /// <paramref name="count"/> networks, each drawn with <see cref="Siren"/>'s initialisation: W ~ U(±1/n) in the first layer,
    /// U(±√(6/n)/ω₀) after it (the linear output included), biases U(±1/√n), n = fan-in.
    /// </summary>
    public static SirenBatch Initialise(long count, long inFeatures, long hiddenFeatures, int hiddenLayers, long outFeatures,
        double firstOmega0 = 30, double hiddenOmega0 = 30, Device? device = null)
    {
        int layers = hiddenLayers + 2;
        var weights = new Tensor[layers];
        var biases = new Tensor[layers];
        for (int l = 0; l < layers; l++)
        {
            long fanIn = l == 0 ? inFeatures : hiddenFeatures, fanOut = l == layers - 1 ? outFeatures : hiddenFeatures;
            double bound = SineLayer.WeightBound(fanIn, hiddenOmega0, isFirst: l == 0), biasBound = 1 / Math.Sqrt(fanIn);
            weights[l] = Tensor.Empty([count, fanOut, fanIn], device: device).Uniform_(-bound, bound).RequiresGrad_();
            biases[l] = Tensor.Empty([count, fanOut], device: device).Uniform_(-biasBound, biasBound).RequiresGrad_();
        }
        return new SirenBatch(weights, biases, firstOmega0, hiddenOmega0);
    }

    /// <summary><paramref name="count"/> copies of <paramref name="network"/> (independent leaves, e.g. a shared initialisation to adapt per signal).</summary>
    public static SirenBatch Repeat(Siren network, long count) => Stack(Enumerable.Repeat(network, 1).ToArray(), count);

    /// <summary>The networks <paramref name="networks"/> (one architecture) stacked into one batch, as copies.</summary>
    public static SirenBatch Stack(IReadOnlyList<Siren> networks) => Stack(networks, 1);

    private static SirenBatch Stack(IReadOnlyList<Siren> networks, long repeat)
    {
        var linears = networks.Select(LinearsOf).ToArray();
        int layers = linears[0].Length;
        var weights = new Tensor[layers];
        var biases = new Tensor[layers];
        using (NoGrad())
            for (int l = 0; l < layers; l++)
            {
                using var scope = NewScope();
                weights[l] = Copies(linears.Select(n => n[l].Weight).ToArray(), repeat);
                biases[l] = Copies(linears.Select(n => n[l].Bias!).ToArray(), repeat);
            }
        return new SirenBatch(weights, biases, networks[0].Layers[0].Omega0, networks[0].Layers.Length > 1 ? networks[0].Layers[1].Omega0 : 30);
    }

    private static Tensor Copies(Tensor[] tensors, long repeat)
    {
        var stacked = Tensor.Stack(tensors.Select(t => t.Detach()).ToArray());
        var expanded = repeat == 1 ? stacked : stacked.Expand([repeat, .. stacked.Shape.Skip(1)]);
        return expanded.Contiguous().Clone().DetachFromScope().RequiresGrad_();
    }

    private static Linear[] LinearsOf(Siren network) => [.. network.Layers.Select(layer => layer.Linear), network.Output];

    /// <summary>Network <paramref name="index"/> as a stand-alone <see cref="Siren"/> (a copy of its weights).</summary>
    public Siren Network(long index)
    {
        var network = new Siren(Weights[0].Size(2), Weights[0].Size(1), Weights.Length - 2, Weights[^1].Size(1), FirstOmega0, HiddenOmega0,
            device: Weights[0].Device);
        using var noGrad = NoGrad();
        var linears = LinearsOf(network);
        for (int l = 0; l < linears.Length; l++)
        {
            using var scope = NewScope();
            linears[l].Weight.Copy_(Weights[l].Select(0, index));
            linears[l].Bias!.Copy_(Biases[l].Select(0, index));
        }
        return network;
    }

    /// <summary>Coordinates [N, in] (shared) or [B, N, in] (per network) → values [B, N, out].</summary>
    public Tensor Forward(Tensor coordinates)
    {
        using var scope = NewScope();
        var h = coordinates;
        for (int l = 0; l < Weights.Length; l++)
        {
            h = h.Matmul(Weights[l].Transpose(1, 2)) + Biases[l].Unsqueeze(1);     // [B, N, out]
            if (l < Weights.Length - 1) h = (h * (l == 0 ? FirstOmega0 : HiddenOmega0)).Sin();
        }
        return scope.Keep(h);
    }

    /// <summary>Frees the weights and biases.</summary>
    public void Dispose()
    {
        foreach (var t in Weights) t.Dispose();
        foreach (var t in Biases) t.Dispose();
    }
}
