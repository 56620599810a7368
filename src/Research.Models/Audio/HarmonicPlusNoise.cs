using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="HarmonicPlusNoise"/> synthesiser; the fields shared with <see cref="NewtConfig"/> mean the same.
/// </summary>
/// <param name="SampleRate">Output sample rate in Hz.</param>
/// <param name="Hop">Samples per control frame.</param>
/// <param name="Harmonics">Sines at F0 … H·F0 in the oscillator bank (those above Nyquist are silent).</param>
/// <param name="Hidden">GRU units of the control encoder.</param>
/// <param name="Embedding">Width of the control embedding and of the noise MLP.</param>
/// <param name="MlpDepth">Layers of the amplitude and noise MLPs.</param>
/// <param name="NoiseFilter">Taps of the noise synthesiser's FIR filters.</param>
/// <param name="ReverbLength">Taps of the learned reverb.</param>
/// <param name="AmplitudeHidden">Hidden width of the MLP from the embedding to the harmonic amplitudes (sized to match a NEWT's parameters).</param>
public sealed record HarmonicPlusNoiseConfig(
    int SampleRate = 16000,
    int Hop = 128,
    int Harmonics = 64,
    int Hidden = 32,
    int Embedding = 32,
    int MlpDepth = 4,
    int NoiseFilter = 256,
    int ReverbLength = 2000,
    int AmplitudeHidden = 32)
{
    /// <summary>Every weight and bias: encoder, amplitude MLP, noise MLP, reverb.</summary>
    public long ParameterCount =>
        ControlEncoder.ParameterCount(Hidden, Embedding) + TimeDistributedMlp.ParameterCount(Embedding, AmplitudeHidden, Harmonics + 1, MlpDepth)
        + TimeDistributedMlp.ParameterCount(Embedding, Embedding, NoiseFilter / 2 + 1, MlpDepth) + ReverbLength - 1;

    /// <summary>
    /// The configuration with the same encoder, noise and reverb as <paramref name="newt"/> and the amplitude MLP width whose
    /// total parameter count is closest to the NEWT's.
    /// </summary>
    public static HarmonicPlusNoiseConfig MatchedTo(NewtConfig newt)
    {
        var basis = new HarmonicPlusNoiseConfig(newt.SampleRate, newt.Hop, newt.Harmonics, newt.Hidden, newt.Embedding, newt.MlpDepth,
            newt.NoiseFilter, newt.ReverbLength);
        return Enumerable.Range(1, 512).Select(h => basis with { AmplitudeHidden = h })
            .MinBy(c => Math.Abs(c.ParameterCount - newt.ParameterCount))!;
    }
}

/// <summary>
/// The DDSP harmonic-plus-noise synthesiser (Engel et al., 2020), the additive baseline of neural waveshaping synthesis: the
/// network predicts every harmonic's amplitude per frame and an additive oscillator bank sums them,
/// <code>
///   z = ControlEncoder(F0, loudness)                                  [batch, frames, E]
///   (A, c_1 … c_H) = exp_sigmoid(MLP(z))                              overall amplitude and harmonic distribution
///   c_k ← c_k · [k F0 &lt; N_s/2] / Σ_k' c_k' · [k' F0 &lt; N_s/2]             normalised over the audible harmonics
///   harmonic = Σ_k A c_k sin(k φ_t + θ_k)                             amplitudes linearly upsampled to the samples
///   y = LearnedReverb(harmonic + FilteredNoise(exp_sigmoid(MLP'(z) − 5)))
/// </code>
/// </summary>
public sealed class HarmonicPlusNoise : Module, IControlledSynth
{
    /// <summary>Creates the synthesiser.</summary>
    public HarmonicPlusNoise(HarmonicPlusNoiseConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new HarmonicPlusNoiseConfig();
        var c = Config;
        Encoder = new ControlEncoder(c.Hidden, c.Embedding, dtype, device);
        AmplitudeHead = new TimeDistributedMlp(c.Embedding, c.AmplitudeHidden, c.Harmonics + 1, c.MlpDepth, dtype, device);
        NoiseHead = new TimeDistributedMlp(c.Embedding, c.Embedding, c.NoiseFilter / 2 + 1, c.MlpDepth, dtype, device);
        Noise = new FilteredNoise(c.NoiseFilter, c.Hop);
        Reverb = new LearnedReverb(c.ReverbLength, dtype, device);
    }

    /// <summary>The configuration.</summary>
    public HarmonicPlusNoiseConfig Config { get; }

    /// <inheritdoc />
    public int Hop => Config.Hop;

    /// <summary>The control encoder.</summary>
    public ControlEncoder Encoder { get; }

    /// <summary>The MLP from the embedding to (A, c_1 … c_H) before exp_sigmoid.</summary>
    public TimeDistributedMlp AmplitudeHead { get; }

    /// <summary>The MLP from the embedding to the noise filter's magnitudes.</summary>
    public TimeDistributedMlp NoiseHead { get; }

    /// <summary>The filtered-noise synthesiser.</summary>
    public FilteredNoise Noise { get; }

    /// <summary>The learned reverb.</summary>
    public LearnedReverb Reverb { get; }

    /// <summary>The amplitude A·c_k of every harmonic per frame [batch, frames, H] for the embedding and F0 [batch, frames].</summary>
    public Tensor HarmonicAmplitudes(Tensor embedding, Tensor f0)
    {
        using var scope = NewScope();
        var c = Config;
        var a = ExpSigmoid.Apply(AmplitudeHead.Forward(embedding));                                    // [batch, frames, H + 1]
        var k = Tensor.Arange(1, c.Harmonics + 1, 1, f0.DType, f0.Device);
        var audible = ((f0.Unsqueeze(2) * k) < c.SampleRate / 2.0).To(f0.DType);
        var distribution = a.Narrow(2, 1, c.Harmonics) * audible;
        distribution = distribution / (distribution.Sum(2, keepDim: true) + 1e-7);
        return scope.Keep(a.Narrow(2, 0, 1) * distribution);
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor f0, Tensor loudnessDb)
    {
        using var scope = NewScope();
        var c = Config;
        var z = Encoder.Forward(f0, loudnessDb);
        var sines = NeuralWaveshaping.HarmonicExciter(f0, c.Hop, c.SampleRate, c.Harmonics);           // [batch, H, T]
        var amplitudes = F.Interpolate(HarmonicAmplitudes(z, f0).Transpose(1, 2), sines.Size(2), mode: "linear");
        var harmonic = (sines * amplitudes).Sum(1);
        var noise = Noise.Forward(ExpSigmoid.Apply(NoiseHead.Forward(z) - 5));
        return scope.Keep(Reverb.Forward(harmonic + noise));
    }
}
