using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.LocalLearning;

/// <summary>
/// A tanh MLP trainable by Direct Feedback Alignment (Nøkland, 2016; Launay et al., 2020, "Direct Feedback Alignment
/// Scales to Modern Deep Learning Tasks and Architectures") as well as by backprop.
/// <code>
///   a_l = W_l h_{l−1} + b_l,  h_l = tanh(a_l)   (l = 1..L−1),   ŷ = W_L h_{L−1} + b_L,   h_0 = x
///   e   = ∂loss/∂ŷ = (softmax(ŷ) − onehot(y)) / batch           the output error
///   backprop: δa_l = (W_{l+1}ᵀ δa_{l+1}) ⊙ f'(a_l)
///   DFA:      δa_l = (B_l e) ⊙ f'(a_l)          B_l [hidden_l, classes] fixed and random; δa_L = e
///   ∇W_l = δa_lᵀ h_{l−1},  ∇b_l = Σ_batch δa_l
/// </code>
/// The error reaches every layer directly and at once; no weight is transported backwards. Learning then makes
/// the forward weights align with the feedback (the angle between W_Lᵀ and B_{L−1} falls below 90°).
/// </summary>
public sealed class DirectFeedbackAlignment : Module<Tensor, Tensor>
{
    /// <summary>Creates the MLP inputs → hidden[0] → … → classes and one fixed feedback matrix per hidden layer.</summary>
    public DirectFeedbackAlignment(long inputs, long[] hidden, long classes, DType? dtype = null, Device? device = null)
    {
        if (hidden.Length == 0) throw new ArgumentException("DFA needs at least one hidden layer", nameof(hidden));
        var sizes = new[] { inputs }.Concat(hidden).Append(classes).ToArray();
        Layers = new Linear[sizes.Length - 1];
        for (int l = 0; l < Layers.Length; l++) Layers[l] = new Linear(sizes[l], sizes[l + 1], dtype: dtype, device: device);
        Classes = classes;
        for (int l = 0; l < hidden.Length; l++) RegisterBuffer($"feedback_{l}", Tensor.Empty([classes, hidden[l]], dtype, device));
        RedrawFeedback();
    }

    /// <summary>
    /// Draws every feedback matrix afresh, B_l ~ U(−1/√classes, 1/√classes) (the scale of a linear map from the error to
    /// layer l), in place. The constructor calls it once; calling it before every step gives the shuffled-feedback control,
    /// whose updates have DFA's size but no fixed B for the forward weights to align with.
    /// </summary>
    public void RedrawFeedback()
    {
        double bound = 1 / Math.Sqrt(Classes);
        for (int l = 0; l < Layers.Length - 1; l++) Init.Uniform_(Feedback(l), -bound, bound);
    }

    /// <summary>W_1 … W_L: the hidden layers, then the output layer.</summary>
    public Linear[] Layers { get; }

    /// <summary>Number of classes (the size of e).</summary>
    public long Classes { get; }

    /// <summary>The fixed feedback matrix B_l of hidden layer <paramref name="layer"/>, stored as [classes, hidden_l] so that B_l e for a batch of row errors is <c>e.Matmul(Feedback(l))</c>.</summary>
    public Tensor Feedback(int layer) => Buffer($"feedback_{layer}") ?? throw new ArgumentOutOfRangeException(nameof(layer), layer, $"there are {Layers.Length - 1} hidden layers");

    /// <summary>Logits. x: [batch, inputs] → [batch, classes].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = x;
        for (int l = 0; l < Layers.Length - 1; l++) h = Layers[l].Forward(h).Tanh();
        return scope.Keep(Layers[^1].Forward(h));
    }

    /// <summary>
    /// Writes the DFA update into every parameter's <c>.Grad</c> (replacing what was there) for a batch x [batch, inputs]
    /// with int64 labels [batch], and returns the cross-entropy loss. No autograd graph is built.
    /// </summary>
    public Tensor DfaGradients(Tensor x, Tensor labels)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var (inputs, preActivations, logits) = Trace(x);
        var e = OutputError(logits, labels);                                  // [batch, classes]
        for (int l = 0; l < Layers.Length; l++)
        {
            var delta = l == Layers.Length - 1
                ? e                                                            // δa_L = e
                : e.Matmul(Feedback(l)) * (1.0 - preActivations[l].Tanh().Square());   // (B_l e) ⊙ f'(a_l)
            SetGradients(Layers[l], delta, inputs[l]);
        }
        return scope.Keep(F.CrossEntropy(logits, labels));
    }

    /// <summary>
    /// The per-layer error signals δa_l of one batch under DFA and under backprop (for alignment measurements):
    /// two arrays of [batch, hidden_l] tensors, one per hidden layer.
    /// </summary>
    public (Tensor[] Dfa, Tensor[] Backprop) HiddenDeltas(Tensor x, Tensor labels)
    {
        using var scope = NewScope();
        var dfa = new Tensor[Layers.Length - 1];
        var backprop = new Tensor[Layers.Length - 1];
        using (NoGrad())
        {
            var (_, pre, logits) = Trace(x);
            var e = OutputError(logits, labels);
            var delta = e;
            for (int l = Layers.Length - 2; l >= 0; l--)
            {
                var fPrime = 1.0 - pre[l].Tanh().Square();
                dfa[l] = e.Matmul(Feedback(l)) * fPrime;
                delta = delta.Matmul(Layers[l + 1].Weight) * fPrime;        // (W_{l+1}ᵀ δ_{l+1}) ⊙ f'(a_l)
                backprop[l] = delta;
            }
        }
        scope.Keep(dfa);
        scope.Keep(backprop);
        return (dfa, backprop);
    }

    /// <summary>The angle in degrees between two tensors seen as vectors: 0 = same direction, 90 = orthogonal.</summary>
    public static double AngleDegrees(Tensor a, Tensor b)
    {
        using var scope = NewScope();
        var fa = a.Flatten().Double();
        var fb = b.Flatten().Double();
        var cos = (fa.Dot(fb) / (fa.Norm() * fb.Norm())).Item<double>();
        return Math.Acos(Math.Clamp(cos, -1, 1)) * 180 / Math.PI;
    }

    // Inputs h_{l−1} and pre-activations a_l of every layer, and the logits.
    private (Tensor[] Inputs, Tensor[] PreActivations, Tensor Logits) Trace(Tensor x)
    {
        var inputs = new Tensor[Layers.Length];
        var pre = new Tensor[Layers.Length];
        var h = x;
        for (int l = 0; l < Layers.Length; l++)
        {
            inputs[l] = h;
            pre[l] = Layers[l].Forward(h);
            h = pre[l].Tanh();
        }
        return (inputs, pre, pre[^1]);
    }

    // e = ∂ mean CE / ∂ŷ = (softmax(ŷ) − onehot(y)) / batch
    private Tensor OutputError(Tensor logits, Tensor labels) =>
        (logits.Softmax(-1) - F.OneHot(labels, Classes).To(logits.DType)) / logits.Size(0);

    private static void SetGradients(Linear layer, Tensor delta, Tensor input)
    {
        layer.Weight.Grad = delta.T.Matmul(input);                            // ∇W = δᵀ h_{l−1}: [out, in]
        if (layer.Bias is { } bias) bias.Grad = delta.Sum(dim: 0);                // ∇b = Σ_batch δ
    }

    protected override string ExtraRepr() => $"layers={Layers.Length}, classes={Classes}";
}
