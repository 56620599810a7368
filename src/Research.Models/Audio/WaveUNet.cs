using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>The shape of a <see cref="WaveUNet"/>.</summary>
/// <param name="Levels">L: downsampling blocks (the paper uses 12 at 22 kHz).</param>
/// <param name="BaseChannels">F_c: level i has F_c·i channels, the bottleneck F_c·(L + 1) (the paper uses 24).</param>
/// <param name="DownKernel">f_d: taps of the downsampling blocks' and the bottleneck's convolutions (paper: 15).</param>
/// <param name="UpKernel">f_u: taps of the upsampling blocks' convolutions (paper: 5).</param>
/// <param name="Sources">K: sources the mixture is split into; the network predicts K − 1 and the last is the rest.</param>
/// <param name="Resample">True: decimate after every downsampling block and interpolate before every upsampling block (the
/// Wave-U-Net). False: the control, the same layers and weights at the full sample rate throughout.</param>
/// <param name="Normalize">Divide each mixture by its RMS before the network and multiply the predicted sources back (as
/// Demucs does; not in the paper): the separation does not depend on the mixture's level, and quiet audio does not leave
/// the first layers dominated by their biases.</param>
public sealed record WaveUNetConfig(int Levels = 5, int BaseChannels = 12, int DownKernel = 15, int UpKernel = 5, int Sources = 2,
    bool Resample = true, bool Normalize = true)
{
    /// <summary>Channels of downsampling block i = 1 … L (index 0: the mono input).</summary>
    public int Channels(int level) => level == 0 ? 1 : BaseChannels * level;

    /// <summary>The number of learned parameters (weights and biases of every convolution).</summary>
    public long ParameterCount
    {
        get
        {
            long conv(long i, long o, long k) => i * o * k + o;
            long n = conv(Channels(Levels), BaseChannels * (Levels + 1), DownKernel);                   // bottleneck
            for (int i = 1; i <= Levels; i++)
            {
                n += conv(Channels(i - 1), Channels(i), DownKernel);                                     // down block i
                long below = i == Levels ? BaseChannels * (Levels + 1) : Channels(i + 1);
                n += conv(below + Channels(i), Channels(i), UpKernel);                                   // up block i
            }
            return n + conv(Channels(1) + 1, Sources - 1, 1);                                            // output layer
        }
    }
}

/// <summary>
/// Wave-U-Net (Stoller, Ewert &amp; Dixon, 2018): a U-Net over raw waveforms that separates a mono mixture m into K sources.
/// <code>
///   h_0 = m                                                                  [batch, 1, T]
///   down i = 1 … L:  s_i = LReLU(conv_{f_d}(h_{i−1})),   h_i = s_i[:, :, ::2]   decimation: [batch, F·i, T/2^i]
///   bottleneck:      u_L = LReLU(conv_{f_d}(h_L))                               [batch, F·(L+1), T/2^L]
///   up i = L … 1:    u_{i−1} = LReLU(conv_{f_u}([interp_2(u_i) ; s_i]))          linear interpolation, skip concat
///   output:          ŝ_k = conv_1([u_0 ; m])_k  for k &lt; K,   ŝ_K = m − Σ_{k&lt;K} ŝ_k   (the sources sum to the mixture)
/// </code>
/// With <see cref="WaveUNetConfig.Normalize"/> the network runs on m / RMS(m) and ŝ_k (k &lt; K) are multiplied by RMS(m).
/// Every convolution is zero-padded ("same") so the output is as long as the input; an input whose length is not a
/// multiple of 2^L is zero-padded at the end and the output cropped back. With <see cref="WaveUNetConfig.Resample"/> false
/// the decimation and interpolation are skipped: the same weights run at the full rate (the control without multi-scale).
/// </summary>
public sealed class WaveUNet : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/> (default: 5 levels of 12·i channels).</summary>
    public WaveUNet(WaveUNetConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new WaveUNetConfig();
        var c = Config;
        if (c.Levels < 1 || c.BaseChannels < 1 || c.Sources < 2 || c.DownKernel % 2 == 0 || c.UpKernel % 2 == 0)
            throw new ArgumentException($"invalid Wave-U-Net configuration {c} (levels ≥ 1, sources ≥ 2, odd kernels)", nameof(config));
        Down = new ModuleList<Conv1d>(Enumerable.Range(1, c.Levels)
            .Select(i => new Conv1d(c.Channels(i - 1), c.Channels(i), c.DownKernel, padding: Padding.Same, dtype: dtype, device: device)));
        Bottleneck = new Conv1d(c.Channels(c.Levels), c.BaseChannels * (c.Levels + 1), c.DownKernel, padding: Padding.Same, dtype: dtype, device: device);
        Up = new ModuleList<Conv1d>(Enumerable.Range(1, c.Levels).Select(i =>
        {
            long below = i == c.Levels ? c.BaseChannels * (c.Levels + 1) : c.Channels(i + 1);
            return new Conv1d(below + c.Channels(i), c.Channels(i), c.UpKernel, padding: Padding.Same, dtype: dtype, device: device);
        }));
        Output = new Conv1d(c.Channels(1) + 1, c.Sources - 1, 1, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public WaveUNetConfig Config { get; }

    /// <summary>Down[i − 1]: the convolution of downsampling block i.</summary>
    public ModuleList<Conv1d> Down { get; }

    /// <summary>The convolution between the deepest downsampling and upsampling blocks.</summary>
    public Conv1d Bottleneck { get; }

    /// <summary>Up[i − 1]: the convolution of upsampling block i (input: the block below, interpolated, and skip s_i).</summary>
    public ModuleList<Conv1d> Up { get; }

    /// <summary>1×1 convolution from [u_0 ; m] to the first K − 1 sources.</summary>
    public Conv1d Output { get; }

    /// <summary>The input length the network runs on for <paramref name="length"/> samples: the next multiple of 2^L.</summary>
    public long PaddedLength(long length)
    {
        long block = 1L << Config.Levels;
        return (length + block - 1) / block * block;
    }

    /// <summary>Separates mixtures [batch, 1, T] (or [batch, T]) into sources [batch, K, T] that sum to the mixture.</summary>
    public override Tensor Forward(Tensor mixture)
    {
        if (mixture.Dim == 2) mixture = mixture.Unsqueeze(1);
        if (mixture.Dim != 3 || mixture.Size(1) != 1)
            throw new ArgumentException($"Wave-U-Net expects mono mixtures [batch, 1, time] or [batch, time], got {mixture.ShapeString}", nameof(mixture));
        using var scope = NewScope();
        long length = mixture.Size(2);
        var level = Config.Normalize ? mixture.Square().Mean([2], keepDim: true).Sqrt() + 1e-8 : null;  // RMS(m): [batch, 1, 1]
        var m = (level is null ? mixture : mixture / level).Pad([0, PaddedLength(length) - length]);  // [batch, 1, T']
        var skips = new Tensor[Config.Levels];
        var h = m;
        for (int i = 0; i < Config.Levels; i++)
        {
            skips[i] = Down[i].Forward(h).LeakyRelu(0.2);                                                // s_{i+1}: [batch, F·(i+1), T'/2^i]
            h = Config.Resample ? Decimate(skips[i]) : skips[i];
        }
        h = Bottleneck.Forward(h).LeakyRelu(0.2);                                                        // [batch, F·(L+1), T'/2^L]
        for (int i = Config.Levels - 1; i >= 0; i--)
        {
            var up = Config.Resample ? Interpolate(h) : h;
            h = Up[i].Forward(Tensor.Cat([up, skips[i]], 1)).LeakyRelu(0.2);                             // [batch, F·(i+1), T'/2^i]
        }
        var first = Output.Forward(Tensor.Cat([h, m], 1)).Narrow(2, 0, length);                          // ŝ_1 … ŝ_{K−1}: [batch, K−1, T]
        if (level is not null) first = first * level;
        var last = mixture - first.Sum(dim: 1, keepDim: true);                                           // ŝ_K = m − Σ ŝ_k
        return scope.Keep(Tensor.Cat([first, last], 1));                                                 // [batch, K, T]
    }

    /// <summary>Decimation by 2: every other sample, starting with the first ([batch, C, T] → [batch, C, T/2]).</summary>
    public static Tensor Decimate(Tensor x) => x.Slice(2, 0, null, 2);

    /// <summary>
    /// Linear-interpolation upsampling by 2 ([batch, C, T] → [batch, C, 2T]), the inverse of <see cref="Decimate"/>'s
    /// sampling grid: out[2t] = x[t], out[2t + 1] = (x[t] + x[t + 1]) / 2, the last value repeated at the end (as the
    /// paper's resize with aligned corners; torch's align_corners=False would shift every level by half a sample).
    /// </summary>
    public static Tensor Interpolate(Tensor x)
    {
        using var scope = NewScope();
        long n = x.Size(2);
        var next = Tensor.Cat([x.Narrow(2, 1, n - 1), x.Narrow(2, n - 1, 1)], 2);                     // x[t + 1], clamped
        var pairs = Tensor.Stack([x, (x + next) * 0.5], 3);                                            // [batch, C, T, 2]
        return scope.Keep(pairs.Reshape(x.Size(0), x.Size(1), 2 * n));
    }

    protected override string ExtraRepr() => $"levels={Config.Levels}, resample={Config.Resample}";
}
