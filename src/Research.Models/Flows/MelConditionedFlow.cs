using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// A flow over one audio channel conditioned on a log-mel spectrogram (WaveGlow, FloWaveNet): a transposed convolution
/// upsamples the mel to the flow's conditioning rate, <see cref="Flow"/> maps audio [batch, 1, T] to z [batch, g, T/g]
/// with its log-determinant, and generation inverts it in one parallel pass.
/// </summary>
public abstract class MelConditionedFlow : Module
{
    private readonly string _name;

    /// <summary>
    /// The upsampler for <paramref name="melBands"/> bands at <paramref name="stride"/> conditioning steps per mel frame of
    /// <paramref name="hop"/> audio samples; <paramref name="group"/> is z's channel count (samples per flow step);
    /// <paramref name="defaultTemperature"/> scales the prior's noise when <see cref="Generate"/> is given none.
    /// </summary>
    protected MelConditionedFlow(string name, int melBands, int hop, int stride, int group, double defaultTemperature, DType? dtype,
        Device? device)
    {
        DefaultTemperature = defaultTemperature;
        _name = name;
        MelBands = melBands;
        Hop = hop;
        Stride = stride;
        Group = group;
        Upsample = new ConvTranspose1d(melBands, melBands, 2 * stride, stride: stride, dtype: dtype, device: device);
    }

    /// <summary>The noise scale <see cref="Generate"/> uses when given none.</summary>
    public double DefaultTemperature { get; }

    /// <summary>Mel bands of the conditioning.</summary>
    public int MelBands { get; }

    /// <summary>Audio samples per mel frame.</summary>
    public int Hop { get; }

    /// <summary>Conditioning steps per mel frame.</summary>
    public int Stride { get; }

    /// <summary>Channels of z: audio samples per flow step.</summary>
    public int Group { get; }

    /// <summary>Transposed convolution from mel frames to the conditioning rate (kernel 2·stride).</summary>
    public ConvTranspose1d Upsample { get; }

    /// <summary>The invertible layers, set by the model's constructor.</summary>
    public FlowSequence Flow { get; protected init; } = null!;

    /// <summary>
    /// mel [batch, M, F] → c [batch, M, F·stride]: step n sees the frames centred within a hop of it (the transposed
    /// convolution spreads frame f over steps f·stride … f·stride + 2·stride − 1; the output is cropped by one stride).
    /// </summary>
    public Tensor Condition(Tensor mel)
    {
        if (mel.Dim != 3 || mel.Size(1) != MelBands)
            throw new ArgumentException($"{_name}: expected mel [batch, {MelBands}, frames], got {mel.ShapeString}", nameof(mel));
        using var scope = NewScope();
        return scope.Keep(Upsample.Forward(mel).Narrow(2, Stride, mel.Size(2) * Stride));
    }

    /// <summary>audio [batch, F·hop], mel [batch, M, F] → (z [batch, g, F·hop/g], log |det ∂z/∂x| [batch]).</summary>
    public (Tensor Z, Tensor LogDet) Forward(Tensor audio, Tensor mel)
    {
        if (audio.Dim != 2 || audio.Size(1) != mel.Size(2) * Hop)
            throw new ArgumentException($"{_name}: audio {audio.ShapeString} must be [batch, frames·{Hop}] for mel {mel.ShapeString}", nameof(audio));
        using var scope = NewScope();
        var (z, logDet) = Flow.Forward(audio.Unsqueeze(1), Condition(mel));
        scope.Keep(z, logDet);
        return (z, logDet);
    }

    /// <summary>z [batch, g, T/g] and mel → audio [batch, T], the exact inverse of <see cref="Forward"/>.</summary>
    public Tensor Inverse(Tensor z, Tensor mel)
    {
        using var scope = NewScope();
        return scope.Keep(Flow.Inverse(z, Condition(mel)).Squeeze(1));
    }

    /// <summary>
    /// −log₂ p(audio | mel) per sample under the prior N(0, σ²), averaged over the batch (a first call initialises any
    /// ActNorm from this batch).
    /// </summary>
    public Tensor BitsPerSample(Tensor audio, Tensor mel, double sigma = 1.0)
    {
        using var scope = NewScope();
        var (z, logDet) = Forward(audio, mel);
        return scope.Keep(FlowSequence.BitsPerDimension(z, logDet, sigma));
    }

    /// <summary>Audio [batch, F·hop] for mel [batch, M, F] in one pass: x = f⁻¹(τ ε), ε drawn from libtorch's generator.</summary>
    public Tensor Generate(Tensor mel, double? temperature = null)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var z = Tensor.RandN([mel.Size(0), Group, mel.Size(2) * Hop / Group], mel.DType, mel.Device) * (temperature ?? DefaultTemperature);
        return scope.Keep(Inverse(z, mel));
    }
}
