using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>The shape of a <see cref="PhaseNet"/>.</summary>
/// <param name="Levels">Downsampling stages (the paper: 4).</param>
/// <param name="BaseChannels">Channels at the top level; level i has round(BaseChannels·√2^i) (paper: 8, 11, 16, 22, 32).</param>
/// <param name="Kernel">Taps of every convolution (paper: 7), odd.</param>
/// <param name="Stride">Down- and upsampling factor per level (paper: 4).</param>
/// <param name="Skips">True: the U-Net's skip connections. False: the control, an encoder-decoder without them.</param>
/// <param name="Components">Input channels (Z, N, E).</param>
/// <param name="Classes">Output classes (P, S, noise).</param>
public sealed record PhaseNetConfig(int Levels = 4, int BaseChannels = 8, int Kernel = 7, int Stride = 4, bool Skips = true,
    int Components = 3, int Classes = 3)
{
    /// <summary>Channels at level i = 0 … Levels.</summary>
    public int Channels(int level) => (int)Math.Round(BaseChannels * Math.Pow(2, level / 2.0));

    /// <summary>Input lengths must be a multiple of Stride^Levels.</summary>
    public int Block => (int)Math.Pow(Stride, Levels);

    /// <summary>The number of learned parameters (convolutions, transposed convolutions and batch-norm scales and shifts).</summary>
    public long ParameterCount
    {
        get
        {
            long conv(long i, long o) => i * o * Kernel + o + 2 * o;                                  // + batch norm γ, β
            long n = conv(Components, Channels(0));                                                   // input block
            for (int i = 0; i < Levels; i++)
                n += conv(Channels(i), Channels(i)) + conv(Channels(i), Channels(i + 1))               // same + strided down
                   + conv(Channels(i + 1), Channels(i)) + conv((Skips ? 2 : 1) * Channels(i), Channels(i)); // transposed up + merge
            return n + conv(Channels(Levels), Channels(Levels)) + Channels(0) * Classes + Classes;     // bottom + 1×1 output
        }
    }
}

/// <summary>A convolution (or transposed convolution), batch norm and ReLU.</summary>
public sealed class ConvBnRelu : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="conv"/> with a batch norm over <paramref name="channels"/> and a ReLU.</summary>
    public ConvBnRelu(Module<Tensor, Tensor> conv, long channels, DType? dtype = null, Device? device = null)
    {
        Conv = conv;
        Norm = new BatchNorm1d(channels, dtype: dtype, device: device);
    }

    /// <summary>The convolution.</summary>
    public Module<Tensor, Tensor> Conv { get; }

    /// <summary>The batch norm after it.</summary>
    public BatchNorm1d Norm { get; }

    /// <summary>ReLU(BN(conv(x))).</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Norm.Forward(Conv.Forward(x)).Relu());
    }
}

/// <summary>
/// PhaseNet (Zhu &amp; Beroza, 2019): a 1-D U-Net over 3-component seismograms that gives every sample a probability of being
/// the P arrival, the S arrival or noise.
/// <code>
///   x ← (x − mean_t x) / std_t x  per trace and component                       [batch, 3, T]
///   h = block(x)                                                                 [batch, c_0, T]
///   down i = 0 … L−1:  s_i = block(h),   h = block_{stride 4}(s_i)              [batch, c_{i+1}, T/4^{i+1}]
///   bottom:            h = block(h)
///   up i = L−1 … 0:    u = block_{transposed, stride 4}(h),  h = block([u ; s_i])   skip concat: [batch, c_i, T/4^i]
///   logits = conv_1(h),  p(P, S, noise | t) = softmax over the 3 classes per sample   [batch, 3, T]
/// </code>
/// block = conv (k taps, zero-padded) + batch norm + ReLU. The training target is PhaseNet's: Gaussians of width σ at the
/// arrivals for P and S and 1 − P − S for noise (<see cref="Targets"/>); picks are the peaks of p(P) and p(S) above a
/// threshold (<see cref="Picks"/>). With <see cref="PhaseNetConfig.Skips"/> false the up blocks see only u (the control).
/// </summary>
public sealed class PhaseNet : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/> (default: the paper's 4 levels, 8 … 32 channels).</summary>
    public PhaseNet(PhaseNetConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new PhaseNetConfig();
        var c = Config;
        if (c.Levels < 1 || c.BaseChannels < 1 || c.Kernel % 2 == 0 || c.Stride < 2 || c.Stride > c.Kernel)
            throw new ArgumentException($"invalid PhaseNet configuration {c} (levels ≥ 1, odd kernel ≥ stride ≥ 2)", nameof(config));
        int pad = c.Kernel / 2;
        ConvBnRelu Same(int i, int o) =>
            new(new Conv1d(i, o, c.Kernel, padding: Padding.Same, dtype: dtype, device: device), o, dtype, device);
        Input = Same(c.Components, c.Channels(0));
        Encode = new ModuleList<ConvBnRelu>(Enumerable.Range(0, c.Levels).Select(i => Same(c.Channels(i), c.Channels(i))));
        Down = new ModuleList<ConvBnRelu>(Enumerable.Range(0, c.Levels).Select(i => new ConvBnRelu(
            new Conv1d(c.Channels(i), c.Channels(i + 1), c.Kernel, stride: c.Stride, padding: pad, dtype: dtype, device: device),
            c.Channels(i + 1), dtype, device)));
        Bottom = Same(c.Channels(c.Levels), c.Channels(c.Levels));
        // (T' − 1)·s − 2p + k + outputPadding = s·T' with p = (k − s + 1)/2 rounded up
        int upPad = (c.Kernel - c.Stride + 1) / 2, outPad = c.Stride - c.Kernel + 2 * upPad;
        Up = new ModuleList<ConvBnRelu>(Enumerable.Range(0, c.Levels).Select(i => new ConvBnRelu(
            new ConvTranspose1d(c.Channels(i + 1), c.Channels(i), c.Kernel, stride: c.Stride, padding: upPad, outputPadding: outPad,
                dtype: dtype, device: device), c.Channels(i), dtype, device)));
        Merge = new ModuleList<ConvBnRelu>(Enumerable.Range(0, c.Levels).Select(i => Same((c.Skips ? 2 : 1) * c.Channels(i), c.Channels(i))));
        Output = new Conv1d(c.Channels(0), c.Classes, 1, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public PhaseNetConfig Config { get; }

    /// <summary>The first block (components → c_0 channels).</summary>
    public ConvBnRelu Input { get; }

    /// <summary>Encode[i]: the same-length block at level i whose output is the skip s_i.</summary>
    public ModuleList<ConvBnRelu> Encode { get; }

    /// <summary>Down[i]: the strided block from level i to i + 1.</summary>
    public ModuleList<ConvBnRelu> Down { get; }

    /// <summary>The block at the deepest level.</summary>
    public ConvBnRelu Bottom { get; }

    /// <summary>Up[i]: the transposed (upsampling) block from level i + 1 to i.</summary>
    public ModuleList<ConvBnRelu> Up { get; }

    /// <summary>Merge[i]: the block after the skip concatenation at level i.</summary>
    public ModuleList<ConvBnRelu> Merge { get; }

    /// <summary>The 1×1 convolution to the class logits.</summary>
    public Conv1d Output { get; }

    /// <summary>Class logits [batch, 3, T] of seismograms [batch, 3, T] (T a multiple of Stride^Levels).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 3 || x.Size(1) != Config.Components || x.Size(2) % Config.Block != 0)
            throw new ArgumentException($"PhaseNet expects [batch, {Config.Components}, T] with T a multiple of {Config.Block}, got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var centred = x - x.Mean([2], keepDim: true);
        var h = Input.Forward(centred / (centred.Square().Mean([2], keepDim: true).Sqrt() + 1e-6));  // [batch, c_0, T]
        var skips = new Tensor[Config.Levels];
        for (int i = 0; i < Config.Levels; i++)
        {
            skips[i] = Encode[i].Forward(h);                                                              // s_i: [batch, c_i, T/4^i]
            h = Down[i].Forward(skips[i]);                                                               // [batch, c_{i+1}, T/4^{i+1}]
        }
        h = Bottom.Forward(h);
        for (int i = Config.Levels - 1; i >= 0; i--)
        {
            var u = Up[i].Forward(h);                                                                    // [batch, c_i, T/4^i]
            h = Merge[i].Forward(Config.Skips ? Tensor.Cat([u, skips[i]], 1) : u);
        }
        return scope.Keep(Output.Forward(h));                                                            // [batch, 3, T]
    }

    /// <summary>p(P), p(S), p(noise) per sample: the softmax of <see cref="Forward"/> over the classes, [batch, 3, T].</summary>
    public Tensor Probabilities(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Forward(x).Softmax(1));
    }

    /// <summary>
    /// PhaseNet's targets [n, 3, T]: q_P(t) = exp(−(t − t_P)²/2σ²), q_S likewise at t_S, q_noise = 1 − q_P − q_S (clamped at 0
    /// where the Gaussians overlap; then the three are renormalised to sum to 1). An arrival &lt; 0 (noise-only trace) adds nothing.
    /// </summary>
    public static Tensor Targets(IReadOnlyList<int> p, IReadOnlyList<int> s, int length, double sigma, Device? device = null)
    {
        int n = p.Count;
        var q = new float[n * 3 * length];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < length; t++)
            {
                double qp = Gaussian(t, p[i], sigma), qs = Gaussian(t, s[i], sigma), noise = Math.Max(0, 1 - qp - qs), sum = qp + qs + noise;
                q[(i * 3 + 0) * length + t] = (float)(qp / sum);
                q[(i * 3 + 1) * length + t] = (float)(qs / sum);
                q[(i * 3 + 2) * length + t] = (float)(noise / sum);
            }
        using var cpu = Tensor.From(q, n, 3, length);
        return cpu.To(device ?? Device.CPU).DetachFromScope();
    }

    /// <summary>The cross-entropy −Σ_c q_c log p_c averaged over samples and traces, from logits and soft targets [n, 3, T].</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        using var scope = NewScope();
        return scope.Keep(-(targets * logits.LogSoftmax(1)).Sum(dim: 1).Mean());
    }

    /// <summary>
    /// The picks of one probability trace: samples t with p(t) ≥ <paramref name="threshold"/> that are the largest value
    /// within ±<paramref name="minDistance"/> samples (the first of equal values), in time order.
    /// </summary>
    public static int[] Picks(ReadOnlySpan<float> probability, double threshold, int minDistance)
    {
        var picks = new List<int>();
        for (int t = 0; t < probability.Length; t++)
        {
            if (probability[t] < threshold) continue;
            bool peak = true;
            for (int u = Math.Max(0, t - minDistance); u <= Math.Min(probability.Length - 1, t + minDistance) && peak; u++)
                peak = probability[u] < probability[t] || (probability[u] == probability[t] && u >= t);
            if (peak) picks.Add(t);
        }
        return picks.ToArray();
    }

    private static double Gaussian(int t, int centre, double sigma) =>
        centre < 0 ? 0 : Math.Exp(-(t - centre) * (double)(t - centre) / (2 * sigma * sigma));

    protected override string ExtraRepr() => $"levels={Config.Levels}, stride={Config.Stride}, skips={Config.Skips}";
}
