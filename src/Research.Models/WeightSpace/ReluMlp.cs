using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.WeightSpace;

/// <summary>
/// A ReLU MLP seen as a point in weight space, with the symmetry that makes weight spaces redundant: permuting the hidden
/// units of a layer — the rows of its weight and bias and the columns of the next layer's weight, all by the same π —
/// leaves the function unchanged, because ReLU acts unit by unit.
/// <code>
///   h_0 = x,  h_l = relu(W_l h_{l−1} + b_l)  (l = 1 … L−1),   f(x) = W_L h_{L−1} + b_L
///   permuting layer l by π (unit i of the new layer is old unit π(i)):
///   W_l ← W_l[π, :],  b_l ← b_l[π],  W_{l+1} ← W_{l+1}[:, π]        ⇒  f unchanged
/// </code>
/// Every network therefore has Π_l n_l! equivalent copies, and averaging the weights of two independently trained networks
/// averages units that do unrelated things unless they are aligned first (<see cref="OptimalTransportFusion"/>).
/// </summary>
public sealed class ReluMlp : Module<Tensor, Tensor>
{
    /// <summary>An MLP sizes[0] → … → sizes[^1] with ReLU between the layers, PyTorch's default initialisation.</summary>
    /// <exception cref="ArgumentException">Fewer than two sizes or a non-positive size.</exception>
    public ReluMlp(long[] sizes, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length < 2) throw new ArgumentException($"an MLP needs at least an input and an output size, got [{string.Join(", ", sizes)}]", nameof(sizes));
        if (sizes.Any(s => s <= 0)) throw new ArgumentException($"layer sizes must be positive, got [{string.Join(", ", sizes)}]", nameof(sizes));
        Sizes = (long[])sizes.Clone();
        Layers = new Linear[sizes.Length - 1];
        for (int l = 0; l < Layers.Length; l++) Layers[l] = new Linear(sizes[l], sizes[l + 1], dtype: dtype, device: device);
    }

    /// <summary>Layer widths, input first and output last.</summary>
    public long[] Sizes { get; }

    /// <summary>W_1 … W_L: the hidden layers, then the output layer.</summary>
    public Linear[] Layers { get; }

    /// <summary>Number of hidden layers (L − 1): the layers whose units can be permuted.</summary>
    public int HiddenLayers => Layers.Length - 1;

    /// <summary>Logits. x: [batch, sizes[0]] → [batch, sizes[^1]].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = x;
        for (int l = 0; l < Layers.Length - 1; l++) h = Layers[l].Forward(h).Relu();
        return scope.Keep(Layers[^1].Forward(h));
    }

    /// <summary>The post-ReLU activations h_1 … h_{L−1} of every hidden layer, each [batch, width].</summary>
    public Tensor[] HiddenActivations(Tensor x)
    {
        using var scope = NewScope();
        var result = new Tensor[HiddenLayers];
        var h = x;
        for (int l = 0; l < HiddenLayers; l++) result[l] = h = Layers[l].Forward(h).Relu();
        scope.Keep(result);
        return result;
    }

    /// <summary>
    /// A new network with the hidden units permuted: <paramref name="permutations"/>[l][i] is the unit of hidden layer l
    /// that becomes unit i. It computes the same function as this one.
    /// </summary>
    /// <exception cref="ArgumentException">Not one permutation of 0 … width−1 per hidden layer.</exception>
    public ReluMlp Permuted(IReadOnlyList<int[]> permutations)
    {
        ValidatePermutations(permutations);
        var result = new ReluMlp(Sizes, Layers[0].Weight.DType, Layers[0].Weight.Device);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var indices = permutations.Select(p => Tensor.From(p.Select(i => (long)i).ToArray()).To(Layers[0].Weight.Device)).ToArray();
        for (int l = 0; l < Layers.Length; l++)
        {
            var w = Layers[l].Weight.Detach();
            var b = Layers[l].Bias!.Detach();
            if (l < HiddenLayers) { w = w.IndexSelect(0, indices[l]); b = b.IndexSelect(0, indices[l]); }   // this layer's units
            if (l > 0) w = w.IndexSelect(1, indices[l - 1]);                                                  // the previous layer's units
            result.Layers[l].Weight.Copy_(w);
            result.Layers[l].Bias!.Copy_(b);
        }
        return result;
    }

    /// <summary>
    /// The network at θ(t) = (1 − t)·θ_a + t·θ_b, parameter by parameter (t = ½: the plain average). t may lie outside [0, 1].
    /// </summary>
    /// <exception cref="ArgumentException">The networks have different sizes, or t is not finite.</exception>
    public static ReluMlp Interpolate(ReluMlp a, ReluMlp b, double t)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Sizes.SequenceEqual(b.Sizes))
            throw new ArgumentException($"cannot interpolate networks of different sizes: [{string.Join(", ", a.Sizes)}] and [{string.Join(", ", b.Sizes)}]", nameof(b));
        if (!double.IsFinite(t)) throw new ArgumentException($"t must be finite, got {t}", nameof(t));
        var result = new ReluMlp(a.Sizes, a.Layers[0].Weight.DType, a.Layers[0].Weight.Device);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        foreach (var ((pa, pb), pr) in a.Parameters().Zip(b.Parameters()).Zip(result.Parameters()))
            pr.Copy_(pa.Detach() * (1 - t) + pb.Detach() * t);
        return result;
    }

    /// <summary>Checks that <paramref name="permutations"/> holds one permutation of 0 … n_l − 1 per hidden layer.</summary>
    /// <exception cref="ArgumentException">A count, a length or a permutation is wrong (the message says which).</exception>
    public void ValidatePermutations(IReadOnlyList<int[]> permutations)
    {
        ArgumentNullException.ThrowIfNull(permutations);
        if (permutations.Count != HiddenLayers)
            throw new ArgumentException($"expected one permutation per hidden layer ({HiddenLayers}), got {permutations.Count}", nameof(permutations));
        for (int l = 0; l < HiddenLayers; l++)
        {
            var p = permutations[l] ?? throw new ArgumentException($"the permutation of hidden layer {l} is null", nameof(permutations));
            if (p.Length != Sizes[l + 1])
                throw new ArgumentException($"hidden layer {l} has {Sizes[l + 1]} units but its permutation has {p.Length} entries", nameof(permutations));
            if (!LinearAssignment.IsPermutation(p))
                throw new ArgumentException($"the entry for hidden layer {l}, [{LinearAssignment.Preview(p)}], is not a permutation of 0 … {p.Length - 1}", nameof(permutations));
        }
    }

    protected override string ExtraRepr() => $"sizes=[{string.Join(", ", Sizes)}]";
}
