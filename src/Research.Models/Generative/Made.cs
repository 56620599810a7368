using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Generative;

/// <summary>
/// MADE (Germain et al., 2015): an MLP over D binary variables whose weights are masked so that logit i sees only
/// variables &lt; i, making σ(logits) the conditionals p(x_i = 1 | x_&lt;i) of an autoregressive model in one pass.
/// <code>
///   degrees   m(input i) = i (1 … D),  m(hidden k) = (k mod (D − 1)) + 1,  m(output i) = i
///   masks     hidden ← previous: m(unit) ≥ m(source);   output ← last hidden: m(output) &gt; m(source)
///   h_l = relu((W_l ⊙ M_l) h_{l−1} + b_l),   logits = (W_out ⊙ M_out) h_L + b_out
/// </code>
/// Hidden degrees are assigned cyclically (not drawn at random), so the masks are fixed by the sizes.
/// </summary>
public sealed class Made : Module<Tensor, Tensor>
{
    /// <summary>Creates a MADE over <paramref name="dimension"/> variables with <paramref name="hiddenLayers"/> hidden layers of <paramref name="hidden"/> units.</summary>
    public Made(int dimension, int hidden, int hiddenLayers, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenLayers, 1);
        Dimension = dimension;
        var widths = new[] { dimension }.Concat(Enumerable.Repeat(hidden, hiddenLayers)).Append(dimension).ToArray();
        Layers = new ModuleList<Linear>(widths.Zip(widths.Skip(1), (i, o) => new Linear(i, o, dtype: dtype, device: device)));
        var inputDegrees = Enumerable.Range(1, dimension).ToArray();
        var hiddenDegrees = Enumerable.Range(0, hidden).Select(k => k % (dimension - 1) + 1).ToArray();
        var degrees = new[] { inputDegrees }.Concat(Enumerable.Repeat(hiddenDegrees, hiddenLayers)).Append(inputDegrees).ToArray();
        for (int l = 0; l < Layers.Count; l++)
        {
            bool output = l == Layers.Count - 1;
            int[] to = degrees[l + 1], from = degrees[l];
            var mask = new float[to.Length * from.Length];
            for (int o = 0; o < to.Length; o++)
                for (int i = 0; i < from.Length; i++)
                    mask[o * from.Length + i] = (output ? to[o] > from[i] : to[o] >= from[i]) ? 1 : 0;
            using var m = Tensor.From(mask, to.Length, from.Length);
            RegisterBuffer($"mask{l}", m.To(device ?? Device.CPU, dtype ?? DType.Float32).DetachFromScope(), persistent: false);
        }
    }

    /// <summary>Number of variables D.</summary>
    public int Dimension { get; }

    /// <summary>The masked layers (weights stored unmasked; the mask is applied in every forward pass).</summary>
    public ModuleList<Linear> Layers { get; }

    /// <summary>The mask [out, in] of layer <paramref name="layer"/> (1: connection kept).</summary>
    public Tensor Mask(int layer) => Buffer($"mask{layer}") ?? throw new ArgumentOutOfRangeException(nameof(layer), layer, $"MADE has {Layers.Count} layers");

    /// <summary>x [batch, D] → logits [batch, D] of p(x_i = 1 | x_&lt;i).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 2 || x.Size(1) != Dimension)
            throw new ArgumentException($"MADE over {Dimension} variables expects [batch, {Dimension}], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var h = x;
        for (int l = 0; l < Layers.Count; l++)
        {
            h = F.Linear(h, Layers[l].Weight * Mask(l), Layers[l].Bias);
            if (l < Layers.Count - 1) h = h.Relu();
        }
        return scope.Keep(h);
    }

    /// <summary>Negative log-likelihood in nats per example of binary x [batch, D] (Bernoulli conditionals).</summary>
    public Tensor NegativeLogLikelihood(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(F.BinaryCrossEntropyWithLogits(Forward(x), x, reduction: Reduction.Sum) / x.Size(0));
    }

    /// <summary>
    /// One parallel evaluation of the sampling equations x_i = 1[u_i &lt; σ(logit_i(x_&lt;i))] from an iterate x [batch, D] with
    /// uniforms u [batch, D] fixed up front, so that a sample is a deterministic function of u (the sequential sample is its
    /// unique fixed point).
    /// </summary>
    public Tensor SampleUpdate(Tensor x, Tensor uniforms)
    {
        using var scope = NewScope();
        using var g = NoGrad();
        return scope.Keep((uniforms < Forward(x).Sigmoid()).To(x.DType));
    }
}
