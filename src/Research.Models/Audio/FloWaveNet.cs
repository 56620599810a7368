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
public sealed class FloWaveNet : Module
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public FloWaveNet(FloWaveNetConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new FloWaveNetConfig();
        var c = Config;
        if (c.Blocks < 1 || c.FlowsPerBlock < 1 || c.Hop % 2 != 0) throw new ArgumentException($"invalid FloWaveNet configuration {c}", nameof(config));
        Upsample = new ConvTranspose1d(c.MelBands, c.MelBands, 2 * c.Hop, stride: c.Hop, dtype: dtype, device: device);
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

    /// <summary>Transposed convolution from mel frames to the audio rate (kernel 2·hop, stride hop).</summary>
    public ConvTranspose1d Upsample { get; }

    /// <summary>The blocks, flattened: per block a squeeze, then (ActNorm, coupling) pairs.</summary>
    public FlowSequence Flow { get; }

    /// <summary>mel [batch, M, F] → c [batch, M, F·hop]; frame f reaches the samples within a hop of its centre f·hop.</summary>
    public Tensor Condition(Tensor mel)
    {
        if (mel.Dim != 3 || mel.Size(1) != Config.MelBands)
            throw new ArgumentException($"FloWaveNet: expected mel [batch, {Config.MelBands}, frames], got {mel.ShapeString}", nameof(mel));
        using var scope = NewScope();
        return scope.Keep(Upsample.Forward(mel).Narrow(2, Config.Hop, mel.Size(2) * Config.Hop));
    }

    /// <summary>audio [batch, F·hop], mel [batch, M, F] → (z [batch, 2^B, F·hop/2^B], log |det ∂z/∂x| [batch]).</summary>
    public (Tensor Z, Tensor LogDet) Forward(Tensor audio, Tensor mel)
    {
        if (audio.Dim != 2 || audio.Size(1) != mel.Size(2) * Config.Hop)
            throw new ArgumentException($"FloWaveNet: audio {audio.ShapeString} must be [batch, frames·{Config.Hop}] for mel {mel.ShapeString}", nameof(audio));
        using var scope = NewScope();
        var (z, logDet) = Flow.Forward(audio.Unsqueeze(1), Condition(mel));
        scope.Keep(z, logDet);
        return (z, logDet);
    }

    /// <summary>z and mel → audio [batch, T], the exact inverse of <see cref="Forward"/>.</summary>
    public Tensor Inverse(Tensor z, Tensor mel)
    {
        using var scope = NewScope();
        return scope.Keep(Flow.Inverse(z, Condition(mel)).Squeeze(1));
    }

    /// <summary>−log₂ p(audio | mel) per sample, averaged over the batch (the first call initialises every ActNorm from this batch).</summary>
    public Tensor BitsPerSample(Tensor audio, Tensor mel)
    {
        using var scope = NewScope();
        var (z, logDet) = Forward(audio, mel);
        return scope.Keep(FlowSequence.BitsPerDimension(z, logDet));
    }

    /// <summary>Audio [batch, F·hop] for mel [batch, M, F] in one parallel pass: x = f⁻¹(τ ε), ε from libtorch's generator.</summary>
    public Tensor Generate(Tensor mel, double temperature = 0.7)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        int g = Config.Group;
        var z = Tensor.RandN([mel.Size(0), g, mel.Size(2) * Config.Hop / g], mel.DType, mel.Device) * temperature;
        return scope.Keep(Inverse(z, mel));
    }
}
