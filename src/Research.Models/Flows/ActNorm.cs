using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// Activation normalisation (Glow, Kingma &amp; Dhariwal, 2018): a per-channel affine map
/// <code>
///   y[c, t] = (x[c, t] + b_c) · exp(s_c),      log |det ∂y/∂x| = T · Σ_c s_c
/// </code>
/// initialised from data: the first <see cref="Forward"/> sets b = −mean and s = −log std over batch and time, so the
/// first batch leaves with zero mean and unit variance per channel; afterwards b and s are ordinary parameters.
/// </summary>
public sealed class ActNorm : FlowLayer
{
    /// <summary>Creates the layer for <paramref name="channels"/> channels (identity until its data-dependent initialisation).</summary>
    public ActNorm(long channels, DType? dtype = null, Device? device = null)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "need at least one channel");
        Channels = channels;
        Bias = new Parameter(Tensor.Zeros([1, channels, 1], dtype ?? DType.Float32, device));
        LogScale = new Parameter(Tensor.Zeros([1, channels, 1], dtype ?? DType.Float32, device));
    }

    /// <summary>Channels C.</summary>
    public long Channels { get; }

    /// <summary>b: [1, C, 1].</summary>
    public Parameter Bias { get; }

    /// <summary>s = log scale: [1, C, 1].</summary>
    public Parameter LogScale { get; }

    /// <summary>Whether b and s have been set from a batch (the first <see cref="Forward"/>, or <see cref="MarkInitialized"/>).</summary>
    public bool Initialized { get; private set; }

    /// <summary>Treats the current b and s as initialised (after loading a checkpoint).</summary>
    public void MarkInitialized() => Initialized = true;

    /// <inheritdoc />
    public override (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null)
    {
        if (x.Dim != 3 || x.Size(1) != Channels)
            throw new ArgumentException($"ActNorm: expected x [batch, {Channels}, time], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        if (!Initialized) Initialize(x);
        var y = (x + Bias) * LogScale.Exp();                                            // [batch, C, T]
        var logDet = (LogScale.Sum() * x.Size(2)).Expand(x.Size(0));                    // [batch]
        scope.Keep(y, logDet);
        return (y, logDet);
    }

    /// <inheritdoc />
    public override Tensor Inverse(Tensor y, Tensor? condition = null)
    {
        using var scope = NewScope();
        return scope.Keep(y * (-LogScale).Exp() - Bias);
    }

    private void Initialize(Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var mean = x.Mean([0, 2], keepDim: true);                                       // [1, C, 1]
        var std = (x - mean).Square().Mean([0, 2], keepDim: true).Sqrt();
        Bias.Copy_(-mean);
        LogScale.Copy_(-(std + 1e-6).Log());
        Initialized = true;
    }

    protected override string ExtraRepr() => $"channels={Channels}, initialized={Initialized}";
}
