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
public sealed class WaveGlow : MelConditionedFlow
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public WaveGlow(WaveGlowConfig? config = null, DType? dtype = null, Device? device = null)
        : this(Checked(config ?? new WaveGlowConfig()), dtype, device, validated: true)
    {
    }

    private WaveGlow(WaveGlowConfig c, DType? dtype, Device? device, bool validated)
        : base("WaveGlow", c.MelBands, c.Hop, stride: c.Hop / c.Group, c.Group, defaultTemperature: 0.6, dtype, device)
    {
        Config = c;
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

    private static WaveGlowConfig Checked(WaveGlowConfig c) =>
        c.Group < 2 || c.Group % 2 != 0 || c.Hop % c.Group != 0 || c.Hop / c.Group < 1
            ? throw new ArgumentException($"the group must be even and ≥ 2 and divide the hop, got group {c.Group}, hop {c.Hop}", "config")
            : c;
}
