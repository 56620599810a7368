using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Speech;

/// <summary>
/// DCTTS's highway convolution HC(d, k, δ) (Tachibana et al., 2018, §3.1, after Srivastava et al.'s highway networks): one
/// dilated 1-D convolution with 2d outputs, split into a gate H₁ and a candidate H₂,
/// <code>
///   H₁, H₂ = split(conv_{k,δ}(X))          [batch, d, time] each
///   Y      = σ(H₁) ⊙ H₂ + (1 − σ(H₁)) ⊙ X
/// </code>
/// Non-causal ("same" zero padding, the text encoder) or causal (left zero padding only, the audio encoder and decoder:
/// Y[t] sees X[t − (k−1)δ … t]). Channels in = channels out = d. The paper's dropout is left out.
/// </summary>
public sealed class HighwayConv : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer (PyTorch's default convolution initialisation).</summary>
    public HighwayConv(int channels, int kernelSize, int dilation, bool causal, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dilation);
        if (!causal && kernelSize % 2 == 0) throw new ArgumentException($"a non-causal highway convolution needs an odd kernel, got {kernelSize}", nameof(kernelSize));
        (Channels, KernelSize, Dilation, Causal) = (channels, kernelSize, dilation, causal);
        Conv = new Conv1d(channels, 2 * channels, kernelSize, padding: causal ? Padding.Causal : Padding.Same, dilation: dilation, dtype: dtype, device: device);
    }

    /// <summary>Channels d (in and out).</summary>
    public int Channels { get; }

    /// <summary>Kernel size k.</summary>
    public int KernelSize { get; }

    /// <summary>Dilation δ.</summary>
    public int Dilation { get; }

    /// <summary>Whether output t sees inputs up to t only.</summary>
    public bool Causal { get; }

    /// <summary>The convolution d → 2d whose halves are H₁ (gate) and H₂ (candidate).</summary>
    public Conv1d Conv { get; }

    /// <summary>X [batch, d, time] → Y [batch, d, time].</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 3 || x.Size(1) != Channels)
            throw new ArgumentException($"HighwayConv({Channels}) expects [batch, {Channels}, time], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var h = Conv.Forward(x).Chunk(2, 1);
        var gate = h[0].Sigmoid();
        return scope.Keep(gate * h[1] + (1 - gate) * x);
    }

    protected override string ExtraRepr() => $"{Channels}, kernel_size={KernelSize}, dilation={Dilation}, causal={Causal}";
}
