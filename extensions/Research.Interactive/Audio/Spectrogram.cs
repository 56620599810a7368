using Research.Torch;
using Research.Torch.Audio;

namespace Research.Interactive;

/// <summary>
/// Power spectrograms of a mono waveform with Research.Torch: |STFT|² with a periodic Hann window (no centre padding;
/// a signal shorter than one frame is zero-padded to one frame), optionally through a mel filterbank, in dB. Every
/// tensor is made in the caller's dispose scope.
/// </summary>
internal static class Spectrogram
{
    /// <summary>Power [bin, frame] in float64 and each frame's centre time in seconds.</summary>
    public static (Tensor power, double[] times) Power(Tensor wave, int sampleRate, int nFft, int? hop)
    {
        if (nFft < 2) throw new ArgumentOutOfRangeException(nameof(nFft), nFft, "nFft must be at least 2");
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        int h = hop ?? nFft / 4;
        if (h <= 0) throw new ArgumentOutOfRangeException(nameof(hop), h, "hop must be positive");
        var x = Mono(wave).To(DType.Float64);
        long length = x.Size(0);
        if (length < nFft) x = x.Pad([0, nFft - length]);
        var window = Research.Torch.Fft.HannWindow(nFft, dtype: DType.Float64).To(x.Device);
        var power = Research.Torch.Fft.Stft(x, nFft, h, window: window, center: false).Abs().Square();   // [bins, frames]
        var times = Enumerable.Range(0, (int)power.Size(1)).Select(f => (f * (double)h + nFft / 2.0) / sampleRate).ToArray();
        return (power, times);
    }

    /// <summary>Frequencies of the nFft/2 + 1 bins in Hz.</summary>
    public static double[] BinFrequencies(int nFft, int sampleRate) =>
        Enumerable.Range(0, nFft / 2 + 1).Select(k => (double)k * sampleRate / nFft).ToArray();

    /// <summary>Mel power [band, frame]: HTK triangles (<see cref="MelFilterbank"/>, [bin, band]) applied to the power [bin, frame].</summary>
    public static Tensor Mel(Tensor power, int sampleRate, int nMels, double fMin = 0, double? fMax = null)
    {
        using var filters = MelFilterbank.CreateTensor((int)power.Size(0), nMels, sampleRate, fMin, fMax);
        using var bank = filters.To(power.Device, DType.Float64);
        return bank.T.Matmul(power);
    }

    /// <summary>Centre frequencies (Hz) of the <paramref name="nMels"/> bands of <see cref="Mel"/>.</summary>
    public static double[] MelCenters(int sampleRate, int nMels, double fMin = 0, double? fMax = null) =>
        MelFilterbank.BandEdges(nMels, sampleRate, fMin, fMax)[1..^1];

    /// <summary>10·log10(power / reference), floored at −<paramref name="topDb"/> dB and rounded to 0.01 dB (keeps figure JSON small).</summary>
    public static Tensor Decibels(Tensor power, double reference, double topDb) =>
        ((power.Clamp(min: 1e-30) / (reference > 0 ? reference : 1)).Log10() * 10).Clamp(min: -topDb).Round(2);

    /// <summary>The largest value, the 0 dB reference.</summary>
    public static double Peak(Tensor power) => power.Max().Item<double>();

    /// <summary>A 2-D tensor's rows as arrays.</summary>
    public static double[][] Rows(Tensor t)
    {
        long cols = t.Size(1);
        var flat = t.To(Device.CPU, DType.Float64).Contiguous().ToArray<double>();
        return Enumerable.Range(0, (int)t.Size(0)).Select(r => flat.AsSpan((int)(r * cols), (int)cols).ToArray()).ToArray();
    }

    /// <summary>A waveform of shape [T], [1, T] or [1, 1, T] as a detached [T] tensor.</summary>
    public static Tensor Mono(Tensor wave)
    {
        var shape = wave.Shape;
        if (shape.Length == 0 || shape[..^1].Any(d => d != 1))
            throw new ArgumentException($"expected a mono waveform of shape [T] or [1, T], got [{string.Join(", ", shape)}]; pick one channel first, e.g. wave.Select(0, 0).", nameof(wave));
        return wave.Detach().Reshape(-1);
    }
}
