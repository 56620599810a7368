using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// A-weighted loudness per frame, the loudness feature of DDSP and NEWT: frame f is the <see cref="FftSize"/> samples centred
/// on f·hop + hop/2 (zeros outside the signal), Hann-windowed (w), and
/// <code>
///   L_f = 10 log10( Σ_k A(f_k)² |X_f(k)|² / (N Σ_n w[n]²) + 10⁻¹⁰ )        k over all N bins, |f_k| ≤ N_s/2
/// </code>
/// with A the IEC 61672 A-weighting magnitude. By Parseval this is the window-weighted mean square of the A-filtered signal, so
/// a sine of amplitude a at 1 kHz (where A = 1) reads 20 log10(a/√2) dB: −3.01 dB at full scale.
/// </summary>
/// <param name="SampleRate">Sample rate N_s in Hz.</param>
/// <param name="Hop">Samples between frames.</param>
/// <param name="FftSize">Samples per analysis window N.</param>
public sealed record Loudness(int SampleRate, int Hop, int FftSize = 1024)
{
    /// <summary>The A-weighting gain in dB at frequency <paramref name="f"/> Hz (0 dB at 1 kHz, −19.1 dB at 100 Hz).</summary>
    public static double AWeightingDb(double f)
    {
        double f2 = f * f;
        double ra = 12194.0 * 12194.0 * f2 * f2 / ((f2 + 20.6 * 20.6) * Math.Sqrt((f2 + 107.7 * 107.7) * (f2 + 737.9 * 737.9)) * (f2 + 12194.0 * 12194.0));
        return 20 * Math.Log10(Math.Max(ra, 1e-20)) + 2.0;
    }

    /// <summary>L_f in dB for every frame of <paramref name="wave"/> (length / hop frames).</summary>
    public double[] Frames(float[] wave)
    {
        using var scope = NewScope();
        int frames = wave.Length / Hop, n = FftSize;
        var window = Fft.HannWindow(n, dtype: DType.Float64);
        var x = Tensor.From(wave).Double().Pad([n / 2 - Hop / 2, n / 2 + Hop]);                      // frame f starts at f·hop
        var spectrum = Fft.Stft(x, n, Hop, n, window, center: false).Narrow(1, 0, frames);            // [bins, frames]
        var weights = Enumerable.Range(0, n / 2 + 1).Select(k =>
        {
            double gain = Math.Pow(10, AWeightingDb(k * (double)SampleRate / n) / 10);                   // A(f_k)²
            return k == 0 || k == n / 2 ? gain : 2 * gain;                                               // one-sided: count ±f_k
        }).ToArray();
        var power = (spectrum.Abs().Square() * Tensor.From(weights).Unsqueeze(1)).Sum(0) / (n * window.Square().Sum());
        return ((power + 1e-10).Log10() * 10).ToArray<double>();
    }
}
