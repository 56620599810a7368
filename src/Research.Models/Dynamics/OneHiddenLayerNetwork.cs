using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Dynamics;

/// <summary>The hidden non-linearity σ of a <see cref="OneHiddenLayerNetwork"/>.</summary>
public enum HiddenActivation
{
    /// <summary>σ(z) = tanh z: odd, saturating on both sides, ≈ z near the origin.</summary>
    Tanh,

    /// <summary>σ(z) = max(z, 0): zero on one side, unbounded on the other.</summary>
    Relu,
}

/// <summary>
/// The network of "Task structure and nonlinearity jointly determine learned representational geometry" (Alleman, Lindsey
/// &amp; Fusi, ICLR 2024): one hidden layer of feature neurons and a linear readout,
/// <code>
///   h = σ(W₁x + b₁)          W₁: [width, inputs]      (the representation whose geometry is studied)
///   y = W₂h + b₂             W₂: [outputs, width]
/// </code>
/// Both layers start from PyTorch's default initialisation, U(±1/√fan_in), multiplied by <see cref="InitScale"/>: a small
/// scale puts training in the feature-learning ("rich") regime, where the hidden weights move far from where they started.
/// Tanh and ReLU networks of the same sizes have the same parameters, so they differ only in σ.
/// </summary>
public sealed class OneHiddenLayerNetwork : Module<Tensor, Tensor>
{
    /// <summary>A network inputs → width → outputs with σ = <paramref name="activation"/>, initial weights and biases scaled by <paramref name="initScale"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or a scale that is not positive and finite.</exception>
    public OneHiddenLayerNetwork(long inputs, long width, long outputs, HiddenActivation activation, double initScale = 1.0, DType? dtype = null,
        Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (!(initScale > 0) || !double.IsFinite(initScale))
            throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "the initialisation scale must be positive and finite");
        Activation = activation;
        InitScale = initScale;
        Features = new Linear(inputs, width, dtype: dtype, device: device);
        Readout = new Linear(width, outputs, dtype: dtype, device: device);
        using var noGrad = NoGrad();
        foreach (var p in Parameters()) p.Mul_(initScale);
    }

    /// <summary>σ.</summary>
    public HiddenActivation Activation { get; }

    /// <summary>The factor on PyTorch's default initialisation of every weight and bias.</summary>
    public double InitScale { get; }

    /// <summary>W₁, b₁: the feature neurons' input weights and biases.</summary>
    public Linear Features { get; }

    /// <summary>W₂, b₂: the linear readout.</summary>
    public Linear Readout { get; }

    /// <summary>h = σ(W₁x + b₁): x [batch, inputs] → [batch, width].</summary>
    public Tensor Hidden(Tensor x)
    {
        using var scope = NewScope();
        var z = Features.Forward(x);
        return scope.Keep(Activation == HiddenActivation.Tanh ? z.Tanh() : z.Relu());
    }

    /// <summary>y = W₂h + b₂: x [batch, inputs] → [batch, outputs].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Readout.Forward(Hidden(x)));
    }
}
