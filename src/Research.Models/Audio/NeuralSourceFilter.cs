using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="NeuralSourceFilter"/> vocoder: frame features (log-mel bands and F0 every <see cref="Hop"/>
/// samples) in, a waveform at <see cref="SampleRate"/> out.
/// </summary>
/// <param name="MelBands">Log-mel bands per frame.</param>
/// <param name="Hop">Samples per frame: every frame feature is repeated <see cref="Hop"/> times.</param>
/// <param name="SampleRate">Output sample rate in Hz (the sine source's phase increment is f/SampleRate).</param>
/// <param name="Harmonics">Sines at F0, 2·F0, …, H·F0 in the source (those above Nyquist are silent).</param>
/// <param name="Channels">Width R of every filter block's residual stream.</param>
/// <param name="ConditionChannels">Width of the conditioning features after the frame-level convolution.</param>
/// <param name="Blocks">Filter blocks applied in sequence.</param>
/// <param name="LayersPerBlock">Dilated layers per block; layer i has dilation 2^i.</param>
/// <param name="KernelSize">Kernel of the dilated convolutions (odd: non-causal, centred).</param>
/// <param name="SineExcitation">The paper's source; false: the ablation with Gaussian noise in every sample and no sine.</param>
/// <param name="SineAmplitude">α: amplitude of the sines in voiced samples (0.1 in the paper).</param>
/// <param name="NoiseStd">σ: noise added to the sines in voiced samples (0.003); unvoiced samples are noise of std α/3.</param>
public sealed record NsfConfig(
    int MelBands = 32,
    int Hop = 80,
    int SampleRate = 8000,
    int Harmonics = 8,
    int Channels = 16,
    int ConditionChannels = 16,
    int Blocks = 3,
    int LayersPerBlock = 6,
    int KernelSize = 3,
    bool SineExcitation = true,
    double SineAmplitude = 0.1,
    double NoiseStd = 0.003)
{
    /// <summary>Frame features: the mel bands, log F0 (0 when unvoiced) and the voicing flag.</summary>
    public int FeatureChannels => MelBands + 2;

    /// <summary>
    /// Weights and biases: condition conv F·C·3 + C; source merge H + 1; per block 1·R + R (in), per layer
    /// R·2R·k + 2R (dilated) + C·2R + 2R (condition) + R·R + R (residual), out R·R + R + R + 1.
    /// </summary>
    public long ParameterCount =>
        (long)FeatureChannels * ConditionChannels * 3 + ConditionChannels + Harmonics + 1
        + (long)Blocks * (2L * Channels + (long)LayersPerBlock * (Channels * 2L * Channels * KernelSize + 2L * Channels
            + ConditionChannels * 2L * Channels + 2L * Channels + (long)Channels * Channels + Channels)
            + (long)Channels * Channels + Channels + Channels + 1);

    /// <summary>Samples on each side of output[t] that it depends on through the filter blocks: Blocks · Σ_i (k−1)/2 · 2^i.</summary>
    public int ReceptiveRadius => Blocks * Enumerable.Range(0, LayersPerBlock).Sum(i => (KernelSize - 1) / 2 * (1 << i));
}

/// <summary>
/// The source module of the NSF vocoder (Wang, Takaki &amp; Yamagishi, 2019, Eq. 1; harmonics as in their h-NSF): from F0
/// f_t per sample (0 = unvoiced), for k = 1 … H,
/// <code>
///   e_k[t] = α sin(2π Σ_{τ≤t} k f_τ / N_s + φ_k) + n_t      n_t ~ N(0, σ²)   if f_t &gt; 0 (and k f_t &lt; N_s/2)
///   e_k[t] = α/(3σ) · n_t                                                      otherwise
///   e[t]   = tanh(Σ_k w_k e_k[t] + b)                                          learned merge
/// </code>
/// with a random initial phase φ_k per sequence. The phase is a cumulative sum, so the instantaneous frequency of the
/// k-th sine is exactly k f_t and the phase stays continuous where F0 changes. The ablation
/// (<see cref="NsfConfig.SineExcitation"/> false) keeps the merge and feeds noise of std α/3 in every sample.
/// </summary>
public sealed class SineSource : Module
{
    /// <summary>Creates the source for <paramref name="config"/>.</summary>
    public SineSource(NsfConfig config, DType? dtype = null, Device? device = null)
    {
        Config = config;
        Merge = new Conv1d(config.Harmonics, 1, 1, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public NsfConfig Config { get; }

    /// <summary>w, b: the 1×1 merge of the H excitation channels.</summary>
    public Conv1d Merge { get; }

    /// <summary>
    /// The clean sines α sin(2π k Σ_{τ≤t} f_τ / N_s + φ_k) [batch, H, T] of F0 per sample [batch, T] (Hz, 0 = unvoiced),
    /// zero in unvoiced samples and for k f_t ≥ N_s/2. Phases φ [batch, H] (radians) default to zero. The running phase is
    /// summed in float64 and wrapped to one cycle before the sine.
    /// </summary>
    public static Tensor Sines(Tensor f0, int sampleRate, int harmonics, double amplitude, Tensor? phases = null)
    {
        using var scope = NewScope();
        var k = Tensor.Arange(1, harmonics + 1, 1, DType.Float64, f0.Device).Reshape(1, harmonics, 1);   // [1, H, 1]
        var f = f0.Double().Unsqueeze(1) * k;                                                            // k f_t: [batch, H, T]
        var cycles = (f / sampleRate).CumSum(2).Frac();                                                  // Σ k f_τ / N_s mod 1
        var angle = cycles * (2 * Math.PI);
        if (phases is not null) angle = angle + phases.Double().Unsqueeze(2);
        var audible = (f0.Unsqueeze(1) > 0) & (f < sampleRate / 2.0);
        var sines = angle.Sin() * amplitude * audible.Double();
        return scope.Keep(sines.To(f0.DType));
    }

    /// <summary>The merged excitation e [batch, 1, T] for F0 per sample [batch, T].</summary>
    public Tensor Forward(Tensor f0)
    {
        using var scope = NewScope();
        var c = Config;
        long batch = f0.Size(0), time = f0.Size(1);
        var noise = Tensor.RandN([batch, c.Harmonics, time], f0.DType, f0.Device);
        Tensor excitation;
        if (c.SineExcitation)
        {
            var phases = (Tensor.Rand([batch, c.Harmonics], DType.Float64, f0.Device) * 2 - 1) * Math.PI;
            var voiced = (f0 > 0).To(f0.DType).Unsqueeze(1);                                              // [batch, 1, T]
            var scale = voiced * c.NoiseStd + (1 - voiced) * (c.SineAmplitude / 3);
            excitation = Sines(f0, c.SampleRate, c.Harmonics, c.SineAmplitude, phases) + noise * scale;  // [batch, H, T]
        }
        else excitation = noise * (c.SineAmplitude / 3);
        return scope.Keep(Merge.Forward(excitation).Tanh());
    }
}

/// <summary>
/// One filter block of the NSF vocoder: the excitation x [batch, 1, T] is expanded, passed through dilated non-causal
/// convolutions with gated activations conditioned on the upsampled frame features c, and added back to x:
/// <code>
///   h_0 = tanh(W_in x)
///   z_i = tanh(W_f,i * h + V_f,i c) ⊙ σ(W_g,i * h + V_g,i c)      dilation 2^i, kernel k, centred
///   h_{i+1} = h_i + W_r,i z_i
///   y = x + W_2 tanh(W_1 h_L)
/// </code>
/// </summary>
public sealed class FilterBlock : Module
{
    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public FilterBlock(NsfConfig config, DType? dtype = null, Device? device = null)
    {
        int r = config.Channels;
        Input = new Conv1d(1, r, 1, dtype: dtype, device: device);
        Dilated = Enumerable.Range(0, config.LayersPerBlock).Select(i =>
            new Conv1d(r, 2 * r, config.KernelSize, padding: Padding.Same, dilation: 1 << i, dtype: dtype, device: device)).ToArray();
        Condition = Enumerable.Range(0, config.LayersPerBlock).Select(_ =>
            new Conv1d(config.ConditionChannels, 2 * r, 1, dtype: dtype, device: device)).ToArray();
        Residual = Enumerable.Range(0, config.LayersPerBlock).Select(_ => new Conv1d(r, r, 1, dtype: dtype, device: device)).ToArray();
        Output1 = new Conv1d(r, r, 1, dtype: dtype, device: device);
        Output2 = new Conv1d(r, 1, 1, dtype: dtype, device: device);
    }

    /// <summary>W_in: 1×1 from the excitation to R channels.</summary>
    public Conv1d Input { get; }

    /// <summary>W_f,i and W_g,i stacked: the dilated convolutions.</summary>
    public Conv1d[] Dilated { get; }

    /// <summary>V_f,i and V_g,i stacked: 1×1 from the conditioning features.</summary>
    public Conv1d[] Condition { get; }

    /// <summary>W_r,i: 1×1 residual projections.</summary>
    public Conv1d[] Residual { get; }

    /// <summary>W_1: first output projection.</summary>
    public Conv1d Output1 { get; }

    /// <summary>W_2: last output projection, to one channel.</summary>
    public Conv1d Output2 { get; }

    /// <summary>y [batch, 1, T] from x [batch, 1, T] and conditioning c [batch, C, T].</summary>
    public Tensor Forward(Tensor x, Tensor condition)
    {
        using var scope = NewScope();
        var h = Input.Forward(x).Tanh();                                                                 // [batch, R, T]
        for (int i = 0; i < Dilated.Length; i++)
        {
            var fg = (Dilated[i].Forward(h) + Condition[i].Forward(condition)).Chunk(2, 1);              // [batch, R, T] × 2
            h = h + Residual[i].Forward(fg[0].Tanh() * fg[1].Sigmoid());
        }
        return scope.Keep(x + Output2.Forward(Output1.Forward(h).Tanh()));
    }
}

/// <summary>
/// The neural source-filter vocoder (Wang, Takaki &amp; Yamagishi, 2019): frame features → waveform in one parallel pass,
/// no autoregression.
/// <code>
///   c = tanh(Conv_k3(features))                 frame level            [batch, C, frames]
///   c, f0 repeated Hop times                    sample level           [batch, C, T], [batch, T]
///   e = SineSource(f0)                          source module          [batch, 1, T]
///   y = FilterBlock_B(… FilterBlock_1(e, c) …, c)   neural filter     [batch, 1, T]
/// </code>
/// Trained with spectral distances (<see cref="MultiResolutionStftLoss"/>) instead of a likelihood.
/// </summary>
public sealed class NeuralSourceFilter : Module
{
    /// <summary>Creates the vocoder for <paramref name="config"/> (defaults: 3 blocks × 6 layers of 16 channels, 8 harmonics).</summary>
    public NeuralSourceFilter(NsfConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new NsfConfig();
        var c = Config;
        if (c.Hop < 1 || c.Harmonics < 1 || c.Blocks < 1 || c.LayersPerBlock < 1 || c.KernelSize % 2 == 0)
            throw new ArgumentException($"invalid NSF configuration {c}", nameof(config));
        Conditioning = new Conv1d(c.FeatureChannels, c.ConditionChannels, 3, padding: Padding.Same, dtype: dtype, device: device);
        Source = new SineSource(c, dtype, device);
        Filter = Enumerable.Range(0, c.Blocks).Select(_ => new FilterBlock(c, dtype, device)).ToArray();
    }

    /// <summary>The configuration.</summary>
    public NsfConfig Config { get; }

    /// <summary>The frame-level convolution over the features.</summary>
    public Conv1d Conditioning { get; }

    /// <summary>The source module.</summary>
    public SineSource Source { get; }

    /// <summary>The filter blocks, in order.</summary>
    public FilterBlock[] Filter { get; }

    /// <summary>
    /// Frame features [batch, M + 2, frames] from log-mel bands [batch, M, frames] and F0 [batch, frames] (Hz, 0 = unvoiced):
    /// the bands, log(F0 / 100 Hz) where voiced (else 0), and the voicing flag.
    /// </summary>
    public static Tensor Features(Tensor logMel, Tensor f0)
    {
        using var scope = NewScope();
        var voiced = (f0 > 0).To(f0.DType);
        var logF0 = (f0.Clamp(min: 1) / 100).Log() * voiced;
        return scope.Keep(Tensor.Cat([logMel, logF0.Unsqueeze(1), voiced.Unsqueeze(1)], 1));
    }

    /// <summary>The waveform [batch, frames · Hop] for log-mel bands [batch, M, frames] and F0 [batch, frames].</summary>
    public Tensor Forward(Tensor logMel, Tensor f0)
    {
        using var scope = NewScope();
        int hop = Config.Hop;
        var c = Conditioning.Forward(Features(logMel, f0)).Tanh().RepeatInterleave(hop, 2);            // [batch, C, T]
        var x = Source.Forward(f0.RepeatInterleave(hop, 1));                                           // [batch, 1, T]
        foreach (var block in Filter) x = block.Forward(x, c);
        return scope.Keep(x.Squeeze(1));                                                               // [batch, T]
    }

    protected override string ExtraRepr() => $"sine_excitation={Config.SineExcitation}, receptive_radius={Config.ReceptiveRadius}";
}
