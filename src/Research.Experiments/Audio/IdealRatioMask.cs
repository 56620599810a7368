using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// The oracle spectral separation: the ideal ratio mask (Wang et al.), computed from the true sources,
/// <code>
///   M(f, t) = ( |S(f, t)|² / (|S(f, t)|² + |N(f, t)|²) )^½,   ŝ = iSTFT(M ⊙ STFT(s + n))
/// </code>
/// with a periodic Hann window. It keeps the mixture's phase, so it is an upper reference for any method that masks
/// the mixture's magnitude spectrogram at this resolution, not for waveform methods.
/// </summary>
public static class IdealRatioMask
{
    /// <summary>The masked estimate of <paramref name="source"/> from source + <paramref name="interference"/> (rows [..., T], float32).</summary>
    public static Tensor Separate(Tensor source, Tensor interference, int nFft = 256, int? hop = null)
    {
        if (!source.Shape.SequenceEqual(interference.Shape))
            throw new ArgumentException($"the sources must have equal shapes, got {source.ShapeString} and {interference.ShapeString}");
        using var scope = NewScope();
        int h = hop ?? nFft / 4;
        var shape = source.Shape;
        long length = shape[^1];
        var s = source.Reshape(-1, length).Double();                                                     // [rows, T]
        var n = interference.Reshape(-1, length).Double();
        var window = Fft.HannWindow(nFft, dtype: DType.Float64).To(source.Device);
        var spectrumS = Fft.Stft(s, nFft, h, window: window);                                            // [rows, bins, frames] complex
        var spectrumN = Fft.Stft(n, nFft, h, window: window);
        var powerS = spectrumS.Abs().Square();
        var mask = (powerS / (powerS + spectrumN.Abs().Square() + 1e-20)).Sqrt();
        var estimate = Fft.Istft((spectrumS + spectrumN) * mask, nFft, h, window: window, length: length);
        return scope.Keep(estimate.Float().Reshape(shape));
    }
}
