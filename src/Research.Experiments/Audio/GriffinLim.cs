using Research.Torch;
using Research.Torch.Audio;
using static Research.Torch.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// Griffin &amp; Lim (1984): a waveform whose STFT magnitude approaches a given magnitude |S| [batch?, bins, frames], by
/// alternating projections from a zero phase:
/// <code>
///   x_{i+1} = ISTFT(|S| · exp(j ∠STFT(x_i)))
/// </code>
/// with the periodic Hann window, centred frames, and the hop and FFT size of the magnitude. The classic vocoder that
/// needs no training; <see cref="FromLogMel"/> first inverts a mel filterbank by least squares.
/// </summary>
public static class GriffinLim
{
    /// <summary>
    /// A waveform [batch?, length] for magnitude <paramref name="magnitude"/> after <paramref name="iterations"/> projections;
    /// frame f is centred on sample f·hop, and the magnitude may have fewer frames than length / hop + 1 (the rest are free).
    /// </summary>
    public static Tensor Reconstruct(Tensor magnitude, int nFft, int hop, long length, int iterations = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var window = Fft.HannWindow(nFft, dtype: magnitude.DType).To(magnitude.Device);
        var spectrum = Tensor.Polar(magnitude, magnitude.ZerosLike());
        Tensor wave = Fft.Istft(spectrum, nFft, hop, window: window, length: length);
        for (int i = 1; i < iterations; i++)
        {
            var angle = Fft.Stft(wave, nFft, hop, window: window).Angle().Narrow(-1, 0, magnitude.Size(-1));
            wave = Fft.Istft(Tensor.Polar(magnitude, angle), nFft, hop, window: window, length: length);
        }
        return scope.Keep(wave);
    }

    /// <summary>
    /// A waveform from log-mel magnitudes [batch?, mels, frames] (power 1, natural log, HTK filters without normalisation,
    /// as <see cref="LogMelSpectrogram"/> with power 1): |S| = max(0, pinv(M) exp(logMel)), then <see cref="Reconstruct"/>.
    /// </summary>
    public static Tensor FromLogMel(Tensor logMel, int sampleRate, int nFft, int hop, long length, int iterations = 32)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        int mels = (int)logMel.Size(-2);
        var filters = MelFilterbank.CreateTensor(nFft / 2 + 1, mels, sampleRate).To(logMel.DType).To(logMel.Device);   // [bins, mels]
        var inverse = Linalg.Pinv(filters.T);                                                                            // [bins, mels]
        var magnitude = inverse.Matmul(logMel.Exp()).Clamp(min: 0);
        return scope.Keep(Reconstruct(magnitude, nFft, hop, length, iterations));
    }
}
