using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>The shape of a <see cref="WaveGlow"/>.</summary>
/// <param name="MelBands">Bands M of the conditioning log-mel spectrogram.</param>
/// <param name="Hop">Audio samples per mel frame (the upsampling factor).</param>
/// <param name="Group">Samples grouped into channels by the first <see cref="Squeeze"/> (8 in the paper).</param>
/// <param name="Flows">Flow steps, each an invertible 1×1 convolution and an affine coupling (12 in the paper).</param>
/// <param name="ResidualChannels">Width of every coupling's WN (512 in the paper).</param>
/// <param name="Layers">Dilated layers of every WN (8 in the paper).</param>
/// <param name="KernelSize">Kernel of the dilated convolutions (3).</param>
public sealed record WaveGlowConfig(int MelBands = 20, int Hop = 64, int Group = 8, int Flows = 6, int ResidualChannels = 32, int Layers = 4,
    int KernelSize = 3);

/// <summary>
/// WaveGlow (Prenger, Valle &amp; Catanzaro, 2019): a Glow-style normalizing flow from audio to Gaussian noise, conditioned
/// on a mel spectrogram and trained only by maximum likelihood.
/// <code>
///   c = ConvTranspose(mel)                                  upsampled to the grouped rate     [batch, M, T/g]
///   x → Squeeze(g) → [InvertibleConv1x1 → AffineCoupling(WN(·, c))] × K → z          [batch, g, T/g]
///   −log p(x | mel) = Σ z²/2σ² + const − Σ log |det|        (<see cref="FlowSequence.BitsPerDimension"/>)
///   generation: x = f⁻¹(σ ε; c), ε ~ N(0, I)               one parallel pass, no loop over samples
/// </code>
/// The paper upsamples the mel to the audio rate and squeezes it with the audio (M·g nearly equal channels per group);
/// here the transposed convolution upsamples straight to the grouped rate (stride hop/g), M channels per group, which
/// costs the couplings' conditioning layers g times less. Not included: the paper's early outputs (channels factored
/// out every 4 flows).
/// </summary>
public sealed class WaveGlow : Module
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public WaveGlow(WaveGlowConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new WaveGlowConfig();
        var c = Config;
        if (c.Group < 2 || c.Group % 2 != 0 || c.Hop % c.Group != 0 || c.Hop / c.Group < 1)
            throw new ArgumentException($"the group must be even and ≥ 2 and divide the hop, got group {c.Group}, hop {c.Hop}", nameof(config));
        Upsample = new ConvTranspose1d(c.MelBands, c.MelBands, 2 * Stride, stride: Stride, dtype: dtype, device: device);
        var layers = new List<FlowLayer> { new Squeeze(c.Group, groupsCondition: false) };
        for (int k = 0; k < c.Flows; k++)
        {
            layers.Add(new InvertibleConv1x1(c.Group, dtype, device));
            layers.Add(new AffineCoupling(c.Group, c.MelBands, c.ResidualChannels, c.Layers, c.KernelSize, dtype: dtype, device: device));
        }
        Flow = new FlowSequence(layers.ToArray());
    }

    /// <summary>The configuration.</summary>
    public WaveGlowConfig Config { get; }

    /// <summary>Grouped time steps per mel frame: hop / g.</summary>
    public int Stride => Config.Hop / Config.Group;

    /// <summary>Transposed convolution from mel frames to the grouped rate (kernel 2·stride, stride hop/g).</summary>
    public ConvTranspose1d Upsample { get; }

    /// <summary>Squeeze, then K × (1×1 convolution, coupling).</summary>
    public FlowSequence Flow { get; }

    /// <summary>
    /// mel [batch, M, F] → c [batch, M, F·hop/g]: grouped step n sees the frames centred within a hop of it (the output of
    /// the transposed convolution, frame f spread over steps f·stride … f·stride + 2·stride − 1, is cropped by one stride).
    /// </summary>
    public Tensor Condition(Tensor mel)
    {
        if (mel.Dim != 3 || mel.Size(1) != Config.MelBands)
            throw new ArgumentException($"WaveGlow: expected mel [batch, {Config.MelBands}, frames], got {mel.ShapeString}", nameof(mel));
        using var scope = NewScope();
        return scope.Keep(Upsample.Forward(mel).Narrow(2, Stride, mel.Size(2) * Stride));
    }

    /// <summary>audio [batch, F·hop], mel [batch, M, F] → (z [batch, g, F·hop/g], log |det ∂z/∂x| [batch]).</summary>
    public (Tensor Z, Tensor LogDet) Forward(Tensor audio, Tensor mel)
    {
        if (audio.Dim != 2 || audio.Size(1) != mel.Size(2) * Config.Hop)
            throw new ArgumentException($"WaveGlow: audio {audio.ShapeString} must be [batch, frames·{Config.Hop}] for mel {mel.ShapeString}", nameof(audio));
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

    /// <summary>−log₂ p(audio | mel) per sample under the prior N(0, σ²), averaged over the batch.</summary>
    public Tensor BitsPerSample(Tensor audio, Tensor mel, double sigma = 1.0)
    {
        using var scope = NewScope();
        var (z, logDet) = Forward(audio, mel);
        return scope.Keep(FlowSequence.BitsPerDimension(z, logDet, sigma));
    }

    /// <summary>Audio [batch, F·hop] for mel [batch, M, F] in one pass: x = f⁻¹(σ ε), ε drawn from libtorch's generator.</summary>
    public Tensor Generate(Tensor mel, double sigma = 0.6)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var z = Tensor.RandN([mel.Size(0), Config.Group, mel.Size(2) * Config.Hop / Config.Group], mel.DType, mel.Device) * sigma;
        return scope.Keep(Inverse(z, mel));
    }
}
