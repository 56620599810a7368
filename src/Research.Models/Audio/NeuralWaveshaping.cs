using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="NeuralWaveshaping"/> synthesiser (Hayes, Saitis &amp; Fazekas, 2021; their defaults in brackets).
/// </summary>
/// <param name="SampleRate">Output sample rate in Hz [16000].</param>
/// <param name="Hop">Samples per control frame [128].</param>
/// <param name="Harmonics">Sines at F0 … H·F0 in the harmonic exciter (those above Nyquist are silent) [101].</param>
/// <param name="Shapers">n: waveshapers of the NEWT, each fed by its own mix of the exciter's harmonics [64].</param>
/// <param name="ShaperWidth">Hidden units of every shaper's MLP [8].</param>
/// <param name="ShaperDepth">Layers of every shaper's MLP (1 → w → … → w → 1) [4].</param>
/// <param name="Hidden">GRU units of the control encoder [128].</param>
/// <param name="Embedding">Width of the control embedding and of the affine-parameter and noise MLPs [128].</param>
/// <param name="MlpDepth">Layers of the affine-parameter and noise MLPs [4].</param>
/// <param name="NoiseFilter">Taps of the noise synthesiser's FIR filters [256].</param>
/// <param name="ReverbLength">Taps of the learned reverb [2 s].</param>
/// <param name="Waveshaping">False: the control, every shaper replaced by the identity (the exciter passes through the affine maps).</param>
/// <param name="AffineHidden">Hidden width of the affine-parameter MLP (0: <see cref="Embedding"/>); widened in the control to match parameters.</param>
public sealed record NewtConfig(
    int SampleRate = 16000,
    int Hop = 128,
    int Harmonics = 64,
    int Shapers = 16,
    int ShaperWidth = 8,
    int ShaperDepth = 4,
    int Hidden = 32,
    int Embedding = 32,
    int MlpDepth = 4,
    int NoiseFilter = 256,
    int ReverbLength = 2000,
    bool Waveshaping = true,
    int AffineHidden = 0)
{
    /// <summary>The affine-parameter MLP's hidden width.</summary>
    public int AffineWidth => AffineHidden > 0 ? AffineHidden : Embedding;

    /// <summary>Weights of one shaper's MLP: 2w + (depth − 2)(w² + w) + w + 1, plus its input scale.</summary>
    public long ShaperParameters => 2L * ShaperWidth + (ShaperDepth - 2L) * (ShaperWidth * (long)ShaperWidth + ShaperWidth) + ShaperWidth + 1 + 1;

    /// <summary>Every weight and bias: encoder, exciter mix, affine MLP, shapers, output mix, noise MLP, reverb.</summary>
    public long ParameterCount =>
        ControlEncoder.ParameterCount(Hidden, Embedding) + (long)Harmonics * Shapers + Shapers
        + TimeDistributedMlp.ParameterCount(Embedding, AffineWidth, 4 * Shapers, MlpDepth)
        + (Waveshaping ? Shapers * ShaperParameters : 0) + Shapers + 1
        + TimeDistributedMlp.ParameterCount(Embedding, Embedding, NoiseFilter / 2 + 1, MlpDepth) + ReverbLength - 1;
}

/// <summary>
/// The learned transfer functions of a NEWT: n independent scalar functions f_j: ℝ → ℝ, each a small MLP with sine
/// activations applied at every sample (time-distributed, as grouped 1×1 convolutions),
/// <code>
///   f_j(x) = sin(W_D,j sin(… sin(W_1,j (s_j x) + b_1,j) …) + b_D,j)      s_j ~ N(0, 10²) a learned input scale
/// </code>
/// [batch, n, T] → [batch, n, T], channel j through f_j only.
/// </summary>
public sealed class Waveshaper : Module
{
    /// <summary>Creates <paramref name="shapers"/> functions of <paramref name="depth"/> layers of <paramref name="width"/> units.</summary>
    public Waveshaper(int shapers, int width, int depth, DType? dtype = null, Device? device = null)
    {
        if (shapers < 1 || width < 1 || depth < 2) throw new ArgumentException($"need shapers, width ≥ 1 and depth ≥ 2, got {shapers}, {width}, {depth}");
        InputScale = NewParameter([1, shapers, 1], dtype, device);
        Init.Normal_(InputScale, 0, 10);
        Layers = Enumerable.Range(0, depth).Select(i => new Conv1d(i == 0 ? shapers : shapers * width, i == depth - 1 ? shapers : shapers * width,
            1, groups: shapers, dtype: dtype, device: device)).ToArray();
    }

    /// <summary>s_j: [1, n, 1].</summary>
    public Parameter InputScale { get; }

    /// <summary>The layers, grouped so that shaper j sees only channel j.</summary>
    public Conv1d[] Layers { get; }

    /// <summary>Shapers n.</summary>
    public long Shapers => InputScale.Size(1);

    /// <summary>f_j(x_j) for x [batch, n, T].</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = x * InputScale;
        foreach (var layer in Layers) h = layer.Forward(h).Sin();
        return scope.Keep(h);
    }

    /// <summary>The transfer curves f_j(x_j) [n, points] at inputs x [n, points], one row per shaper (no gradient).</summary>
    public Tensor Curves(Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return scope.Keep(Forward(x.Unsqueeze(0)).Squeeze(0));
    }
}

/// <summary>
/// The neural waveshaping unit: the exciter channels e_j are scaled and shifted by frame-wise affine parameters from the
/// control embedding (linearly upsampled to the sample rate), shaped, scaled and shifted again, and mixed,
/// <code>
///   (α, β, γ, δ) = MLP(z)                       [batch, frames, 4n] → upsampled to [batch, 4n, T]
///   y = Σ_j m_j (γ_j f_j(α_j e_j + β_j) + δ_j) + m_0
/// </code>
/// α is the waveshaping index (how hard f_j is driven, i.e. brightness), γ the normalising coefficient.
/// </summary>
public sealed class NeuralWaveshapingUnit : Module
{
    /// <summary>Creates the unit for <paramref name="config"/>; without <see cref="NewtConfig.Waveshaping"/> f_j is the identity.</summary>
    public NeuralWaveshapingUnit(NewtConfig config, DType? dtype = null, Device? device = null)
    {
        int n = config.Shapers;
        Affine = new TimeDistributedMlp(config.Embedding, config.AffineWidth, 4 * n, config.MlpDepth, dtype, device);
        Shaper = config.Waveshaping ? new Waveshaper(n, config.ShaperWidth, config.ShaperDepth, dtype, device) : null;
        Mixer = new Conv1d(n, 1, 1, dtype: dtype, device: device);
    }

    /// <summary>The MLP from the control embedding to (α, β, γ, δ).</summary>
    public TimeDistributedMlp Affine { get; }

    /// <summary>The learned transfer functions (null in the control).</summary>
    public Waveshaper? Shaper { get; }

    /// <summary>m: the 1×1 mix of the shaped channels.</summary>
    public Conv1d Mixer { get; }

    /// <summary>y [batch, T] from the exciter [batch, n, T] and the control embedding [batch, frames, embedding].</summary>
    public Tensor Forward(Tensor exciter, Tensor embedding)
    {
        using var scope = NewScope();
        var p = AffineParameters(embedding, exciter.Size(2));
        var x = exciter * p[0] + p[1];
        var shaped = Shaper is null ? x : Shaper.Forward(x);
        return scope.Keep(Mixer.Forward(shaped * p[2] + p[3]).Squeeze(1));
    }

    /// <summary>The shapers' inputs α_j e_j + β_j [batch, n, T] (what the transfer curves are evaluated on).</summary>
    public Tensor ShaperInputs(Tensor exciter, Tensor embedding)
    {
        using var scope = NewScope();
        var p = AffineParameters(embedding, exciter.Size(2));
        return scope.Keep(exciter * p[0] + p[1]);
    }

    /// <summary>(α, β, γ, δ), each [batch, n, T]: the MLP's frame values linearly upsampled to <paramref name="length"/> samples.</summary>
    private Tensor[] AffineParameters(Tensor embedding, long length) =>
        F.Interpolate(Affine.Forward(embedding).Transpose(1, 2), length, mode: "linear").Chunk(4, 1);           // [batch, 4n, T]
}

/// <summary>
/// Neural waveshaping synthesis (Hayes, Saitis &amp; Fazekas, 2021): F0 and loudness in, a waveform out.
/// <code>
///   z = ControlEncoder(F0, loudness)                          [batch, frames, E]
///   e = W_mix · [sin(k φ_t + θ_k)]_{k=1..H}                   harmonic exciter mixed into n channels   [batch, n, T]
///   harmonic = NEWT(e, z)                                     [batch, T]
///   noise = FilteredNoise(exp_sigmoid(MLP(z) − 5))            [batch, T]
///   y = LearnedReverb(harmonic + noise)
/// </code>
/// φ_t = 2π Σ_{τ≤t} F0_τ / N_s with F0 linearly upsampled from the frames; θ_k is random per forward pass.
/// </summary>
public sealed class NeuralWaveshaping : Module, IControlledSynth
{
    /// <summary>Creates the synthesiser (defaults: a small NEWT of 16 shapers).</summary>
    public NeuralWaveshaping(NewtConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new NewtConfig();
        var c = Config;
        Encoder = new ControlEncoder(c.Hidden, c.Embedding, dtype, device);
        HarmonicMixer = new Conv1d(c.Harmonics, c.Shapers, 1, dtype: dtype, device: device);
        Newt = new NeuralWaveshapingUnit(c, dtype, device);
        NoiseHead = new TimeDistributedMlp(c.Embedding, c.Embedding, c.NoiseFilter / 2 + 1, c.MlpDepth, dtype, device);
        Noise = new FilteredNoise(c.NoiseFilter, c.Hop);
        Reverb = new LearnedReverb(c.ReverbLength, dtype, device);
    }

    /// <summary>The configuration.</summary>
    public NewtConfig Config { get; }

    /// <inheritdoc />
    public int Hop => Config.Hop;

    /// <summary>The control encoder.</summary>
    public ControlEncoder Encoder { get; }

    /// <summary>W_mix: the exciter's harmonics mixed into the n shaper inputs.</summary>
    public Conv1d HarmonicMixer { get; }

    /// <summary>The neural waveshaping unit.</summary>
    public NeuralWaveshapingUnit Newt { get; }

    /// <summary>The MLP from the embedding to the noise filter's magnitudes.</summary>
    public TimeDistributedMlp NoiseHead { get; }

    /// <summary>The filtered-noise synthesiser.</summary>
    public FilteredNoise Noise { get; }

    /// <summary>The learned reverb.</summary>
    public LearnedReverb Reverb { get; }

    /// <summary>Harmonic sines [batch, H, T] of F0 per frame [batch, frames] (linearly upsampled), random phases.</summary>
    public static Tensor HarmonicExciter(Tensor f0, int hop, int sampleRate, int harmonics)
    {
        using var scope = NewScope();
        long batch = f0.Size(0), length = f0.Size(1) * hop;
        var perSample = F.Interpolate(f0.Unsqueeze(1), length, mode: "linear").Squeeze(1);            // [batch, T]
        var phases = (Tensor.Rand([batch, harmonics], DType.Float64, f0.Device) * 2 - 1) * Math.PI;
        return scope.Keep(SineSource.Sines(perSample, sampleRate, harmonics, 1.0, phases));
    }

    /// <summary>The shapers' inputs α_j e_j + β_j [batch, n, T] for the given controls (no gradient).</summary>
    public Tensor ShaperInputs(Tensor f0, Tensor loudnessDb)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var c = Config;
        var exciter = HarmonicMixer.Forward(HarmonicExciter(f0, c.Hop, c.SampleRate, c.Harmonics));
        return scope.Keep(Newt.ShaperInputs(exciter, Encoder.Forward(f0, loudnessDb)));
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor f0, Tensor loudnessDb)
    {
        using var scope = NewScope();
        var c = Config;
        var z = Encoder.Forward(f0, loudnessDb);
        var exciter = HarmonicMixer.Forward(HarmonicExciter(f0, c.Hop, c.SampleRate, c.Harmonics));   // [batch, n, T]
        var harmonic = Newt.Forward(exciter, z);
        var noise = Noise.Forward(ExpSigmoid.Apply(NoiseHead.Forward(z) - 5));
        return scope.Keep(Reverb.Forward(harmonic + noise));
    }

    protected override string ExtraRepr() => $"waveshaping={Config.Waveshaping}";
}
