using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// Convolution through the FFT: y[t] = Σ_τ h[τ] x[t − τ] for t = 0 … T − 1 (causal, truncated to the length of x), computed as
/// irfft(rfft(x, N) · rfft(h, N)) with N ≥ T + L − 1 so that the circular convolution equals the linear one.
/// </summary>
public static class FftConvolution
{
    /// <summary>y [..., T] for signals x [..., T] and impulse responses h [..., L] (broadcast over the leading dimensions).</summary>
    public static Tensor Causal(Tensor x, Tensor h)
    {
        using var scope = NewScope();
        long length = x.Size(-1), n = 1;
        while (n < length + h.Size(-1) - 1) n *= 2;
        var y = Fft.IRFFT(Fft.RFFT(x, n) * Fft.RFFT(h, n), n);
        return scope.Keep(y.Narrow(-1, 0, length));
    }
}

/// <summary>
/// DDSP's positive output nonlinearity (Engel et al., 2020): exp_sigmoid(x) = 2 · σ(x)^ln 10 + 10⁻⁷, which maps the real line
/// onto (10⁻⁷, 2) with a slope that suits amplitudes spanning several orders of magnitude.
/// </summary>
public static class ExpSigmoid
{
    /// <summary>exp_sigmoid(x), elementwise.</summary>
    public static Tensor Apply(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(x.Sigmoid().Pow(Math.Log(10)) * 2 + 1e-7);
    }
}

/// <summary>
/// A time-distributed MLP (the same weights at every frame): Linear → LayerNorm → LeakyReLU repeated, then a last Linear;
/// [batch, frames, in] → [batch, frames, out]. <c>depth</c> counts the Linear layers (≥ 2).
/// </summary>
public sealed class TimeDistributedMlp : Module<Tensor, Tensor>
{
    /// <summary>Creates the MLP.</summary>
    public TimeDistributedMlp(int inFeatures, int hidden, int outFeatures, int depth, DType? dtype = null, Device? device = null)
    {
        if (depth < 2) throw new ArgumentOutOfRangeException(nameof(depth), depth, "need at least two layers");
        var layers = new List<Module<Tensor, Tensor>>();
        for (int i = 0; i < depth - 1; i++)
        {
            layers.Add(new Linear(i == 0 ? inFeatures : hidden, hidden, dtype: dtype, device: device));
            layers.Add(new LayerNorm(hidden, dtype: dtype, device: device));
            layers.Add(new LeakyReLU());
        }
        layers.Add(new Linear(hidden, outFeatures, dtype: dtype, device: device));
        Net = new Sequential(layers.ToArray());
    }

    /// <summary>The layers.</summary>
    public Sequential Net { get; }

    /// <summary>Weights and biases: (in·h + h) + (depth − 2)(h·h + h) + (depth − 1)·2h (layer norms) + h·out + out.</summary>
    public static long ParameterCount(int inFeatures, int hidden, int outFeatures, int depth) =>
        (long)inFeatures * hidden + hidden + (depth - 2L) * (hidden * (long)hidden + hidden) + (depth - 1L) * 2 * hidden
        + (long)hidden * outFeatures + outFeatures;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Net.Forward(input);
}

/// <summary>
/// The control module of NEWT and DDSP decoders: frame-wise F0 (Hz, 0 = unvoiced) and loudness (dB) are scaled to
/// [log2(F0 / 220 Hz) · voiced, (loudness + 40) / 20], run through a GRU and projected to the control embedding:
/// [batch, frames] × 2 → [batch, frames, embedding].
/// </summary>
public sealed class ControlEncoder : Module
{
    /// <summary>Creates the encoder.</summary>
    public ControlEncoder(int hidden, int embedding, DType? dtype = null, Device? device = null)
    {
        Gru = new GRU(2, hidden, batchFirst: true, dtype: dtype, device: device);
        Projection = new Linear(hidden, embedding, dtype: dtype, device: device);
    }

    /// <summary>The recurrent layer over frames.</summary>
    public GRU Gru { get; }

    /// <summary>The projection to the embedding.</summary>
    public Linear Projection { get; }

    /// <summary>3·hidden·(2 + hidden) + 6·hidden (GRU) + hidden·embedding + embedding.</summary>
    public static long ParameterCount(int hidden, int embedding) =>
        3L * hidden * (2 + hidden) + 6L * hidden + (long)hidden * embedding + embedding;

    /// <summary>The embedding [batch, frames, embedding].</summary>
    public Tensor Forward(Tensor f0, Tensor loudnessDb)
    {
        using var scope = NewScope();
        var voiced = (f0 > 0).To(f0.DType);
        var pitch = (f0.Clamp(min: 1) / 220).Log() * (1 / Math.Log(2)) * voiced;
        var features = Tensor.Stack([pitch, (loudnessDb + 40) / 20], 2);                              // [batch, frames, 2]
        var (h, _) = Gru.Forward(features);
        return scope.Keep(Projection.Forward(h));
    }
}

/// <summary>
/// Filtered noise by frame-wise FFT convolution (as in NEWT's FIR noise synthesiser): per frame, a magnitude response H
/// [bins = L/2 + 1] becomes a linear-phase FIR h = Hann_L · roll(irfft(H), L/2) of length L; uniform noise in [−1, 1] is
/// cut into Hann-windowed frames (STFT, n_fft = L, hop = frame hop), each frame's spectrum is multiplied by rfft(h) and the
/// frames are overlap-added back (iSTFT).
/// </summary>
public sealed class FilteredNoise
{
    /// <summary>The synthesiser with filters of <paramref name="filterLength"/> taps (even) and frames of <paramref name="hop"/> samples.</summary>
    public FilteredNoise(int filterLength, int hop)
    {
        if (filterLength < 4 || filterLength % 2 != 0 || hop < 1 || 2 * hop > filterLength)
            throw new ArgumentException($"need an even filter length ≥ 4 and 1 ≤ hop ≤ length/2 (Hann frames must overlap), got {filterLength} and {hop}");
        FilterLength = filterLength;
        Hop = hop;
    }

    /// <summary>L: taps of every frame's FIR filter (and the STFT size).</summary>
    public int FilterLength { get; }

    /// <summary>Samples per frame.</summary>
    public int Hop { get; }

    /// <summary>Magnitude bins per frame: L/2 + 1.</summary>
    public int Bins => FilterLength / 2 + 1;

    /// <summary>The FIR filters' frequency responses [batch, frames, bins] for magnitudes [batch, frames, bins].</summary>
    public Tensor FrequencyResponse(Tensor magnitudes)
    {
        using var scope = NewScope();
        int l = FilterLength;
        var h = Fft.IRFFT(magnitudes, l).Roll(l / 2, -1) * Fft.HannWindow(l, dtype: magnitudes.DType).To(magnitudes.Device);
        return scope.Keep(Fft.RFFT(h));
    }

    /// <summary>Noise [batch, frames · hop] shaped by magnitudes [batch, frames, bins].</summary>
    public Tensor Forward(Tensor magnitudes)
    {
        using var scope = NewScope();
        long batch = magnitudes.Size(0), frames = magnitudes.Size(1), length = frames * Hop;
        var response = FrequencyResponse(magnitudes).Transpose(1, 2);                                  // [batch, bins, frames]
        var noise = Tensor.Rand([batch, length], magnitudes.DType, magnitudes.Device) * 2 - 1;
        var window = Fft.HannWindow(FilterLength, dtype: magnitudes.DType).To(magnitudes.Device);
        var spectrum = Fft.Stft(noise, FilterLength, Hop, FilterLength, window);                     // [batch, bins, frames + 1]
        var last = response.Narrow(2, frames - 1, 1);
        var filtered = spectrum * Tensor.Cat([response, last.Expand(batch, Bins, spectrum.Size(2) - frames)], 2);
        return scope.Keep(Fft.Istft(filtered, FilterLength, Hop, FilterLength, window, length: length));
    }
}

/// <summary>
/// A learned reverb (NEWT, DDSP): a free impulse response r of <c>length</c> taps whose first tap is fixed at 0, applied by
/// FFT convolution and added to the dry signal, y = x + r ∗ x. The taps start at N(0, 10⁻¹²) so the reverb starts silent.
/// </summary>
public sealed class LearnedReverb : Module
{
    /// <summary>Creates the reverb with an impulse response of <paramref name="length"/> taps (≥ 2).</summary>
    public LearnedReverb(int length, DType? dtype = null, Device? device = null)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, "need at least two taps");
        Taps = NewParameter([length - 1], dtype, device);
        Init.Normal_(Taps, 0, 1e-6);
    }

    /// <summary>Taps 1 … L − 1 of the impulse response (tap 0 is 0).</summary>
    public Parameter Taps { get; }

    /// <summary>The whole impulse response [L], tap 0 included.</summary>
    public Tensor ImpulseResponse()
    {
        using var scope = NewScope();
        return scope.Keep(Tensor.Cat([Tensor.Zeros([1], Taps.DType, Taps.Device), Taps], 0));
    }

    /// <summary>y = x + r ∗ x for x [batch, T].</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(x + FftConvolution.Causal(x, ImpulseResponse()));
    }
}

/// <summary>A synthesiser driven by frame-wise F0 (Hz) and loudness (dB): [batch, frames] × 2 → waveform [batch, frames · hop].</summary>
public interface IControlledSynth
{
    /// <summary>Samples per control frame.</summary>
    int Hop { get; }

    /// <summary>The waveform [batch, frames · hop].</summary>
    Tensor Forward(Tensor f0, Tensor loudnessDb);
}
