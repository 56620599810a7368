using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>The shape of a <see cref="FloWaveNet"/>.</summary>
/// <param name="MelBands">Bands M of the conditioning log-mel spectrogram.</param>
/// <param name="Hop">Audio samples per mel frame (the upsampling factor).</param>
/// <param name="Blocks">Context blocks, each opening with a squeeze by 2 (8 in the paper).</param>
/// <param name="FlowsPerBlock">ActNorm + affine coupling pairs per block (6 in the paper).</param>
/// <param name="ResidualChannels">Width of every coupling's non-causal WaveNet (256 in the paper).</param>
/// <param name="Layers">Dilated layers of every coupling's WaveNet (2 in the paper).</param>
/// <param name="KernelSize">Kernel of the dilated convolutions (3).</param>
public sealed record FloWaveNetConfig(int MelBands = 16, int Hop = 64, int Blocks = 3, int FlowsPerBlock = 2, int ResidualChannels = 16,
    int Layers = 3, int KernelSize = 3)
{
    /// <summary>Samples per channel of z: 2^Blocks.</summary>
    public int Group => 1 << Blocks;
}

/// <summary>
/// FloWaveNet (Kim, Lee, Song, Kim &amp; Yoon, 2019): a normalizing flow on raw audio built from context blocks,
/// <code>
///   c = ConvTranspose(mel)                                   upsampled to the audio rate        [batch, M, T]
///   block b: Squeeze(2) on x and c → [ActNorm → AffineCoupling(non-causal WaveNet(·, c)) → swap halves] × n
///   z = blocks(x)                                            [batch, 2^B, T / 2^B]
///   loss: −log p(x | mel) exactly, Σ z²/2 + const − Σ log |det|                 (<see cref="FlowSequence.BitsPerDimension"/>)
/// </code>
/// Each squeeze doubles the channels and halves the time axis, so later blocks see wider context at the same cost;
/// generation inverts every layer once, in parallel over time. Not included: the paper's optional multi-scale split.
/// </summary>
public sealed class FloWaveNet : MelConditionedFlow
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public FloWaveNet(FloWaveNetConfig? config = null, DType? dtype = null, Device? device = null)
        : this(Checked(config ?? new FloWaveNetConfig()), dtype, device, validated: true)
    {
    }

    private FloWaveNet(FloWaveNetConfig c, DType? dtype, Device? device, bool validated)
        : base("FloWaveNet", c.MelBands, c.Hop, stride: c.Hop, c.Group, defaultTemperature: 0.7, dtype, device)
    {
        Config = c;
        var layers = new List<FlowLayer>();
        for (int b = 0; b < c.Blocks; b++)
        {
            long channels = 2L << b;
            layers.Add(new Squeeze(2));
            for (int f = 0; f < c.FlowsPerBlock; f++)
            {
                layers.Add(new ActNorm(channels, dtype, device));
                layers.Add(new AffineCoupling(channels, c.MelBands * channels, c.ResidualChannels, c.Layers, c.KernelSize, swapHalves: true,
                    dtype: dtype, device: device));
            }
        }
        Flow = new FlowSequence(layers.ToArray());
    }

    /// <summary>The configuration.</summary>
    public FloWaveNetConfig Config { get; }

    private static FloWaveNetConfig Checked(FloWaveNetConfig c) =>
        c.Blocks < 1 || c.FlowsPerBlock < 1 || c.Hop % 2 != 0 ? throw new ArgumentException($"invalid FloWaveNet configuration {c}", "config") : c;
}
