using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// Amplitude and phase spectra and the phase losses of APNet (Ai &amp; Ling, 2023). Spectra are [batch, bins, frames] as from
/// <see cref="Fft.Stft"/> (periodic Hann window, centred). The anti-wrapping function
/// <code>
///   f_AW(x) = | x − 2π · round(x / 2π) |
/// </code>
/// is the distance from x to the nearest multiple of 2π, so phase errors that differ by whole turns cost the same. With
/// P̂, P the predicted and true phase spectra and Δ_F, Δ_T first differences along frequency and time:
/// <code>
///   L_IP  = mean f_AW(P̂ − P)                     instantaneous phase
///   L_GD  = mean f_AW(Δ_F P̂ − Δ_F P)             group delay
///   L_IAF = mean f_AW(Δ_T P̂ − Δ_T P)             instantaneous angular frequency
/// </code>
/// </summary>
public static class PhaseSpectra
{
    /// <summary>f_AW(x), elementwise, in [0, π].</summary>
    public static Tensor AntiWrap(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep((x - (x / (2 * Math.PI)).Round() * (2 * Math.PI)).Abs());
    }

    /// <summary>(L_IP, L_GD, L_IAF) for predicted and true phase spectra [batch, bins, frames].</summary>
    public static (Tensor InstantaneousPhase, Tensor GroupDelay, Tensor InstantaneousFrequency) Losses(Tensor predicted, Tensor target)
    {
        if (!predicted.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"the predicted {predicted.ShapeString} and true {target.ShapeString} phase spectra must have the same shape");
        using var scope = NewScope();
        var ip = AntiWrap(predicted - target).Mean();
        var gd = AntiWrap(Difference(predicted, 1) - Difference(target, 1)).Mean();
        var iaf = AntiWrap(Difference(predicted, 2) - Difference(target, 2)).Mean();
        return (scope.Keep(ip), scope.Keep(gd), scope.Keep(iaf));
    }

    /// <summary>x[..., i + 1, ...] − x[..., i, ...] along <paramref name="dim"/>.</summary>
    public static Tensor Difference(Tensor x, int dim)
    {
        using var scope = NewScope();
        long n = x.Size(dim);
        return scope.Keep(x.Narrow(dim, 1, n - 1) - x.Narrow(dim, 0, n - 1));
    }

    /// <summary>(log amplitude, phase) [batch, bins, frames] of a waveform [batch, T]: log max(|S|, 10⁻⁵) and angle(S).</summary>
    public static (Tensor LogAmplitude, Tensor Phase) Analyse(Tensor wave, int nFft, int hop)
    {
        using var scope = NewScope();
        var window = Fft.HannWindow(nFft, dtype: wave.DType).To(wave.Device);
        var spectrum = Fft.Stft(wave, nFft, hop, nFft, window);
        var real = spectrum.Real();
        var imaginary = spectrum.Imag();
        return (scope.Keep(spectrum.Abs().Clamp(min: 1e-5).Log()), scope.Keep(imaginary.Atan2(real)));
    }

    /// <summary>The waveform [batch, <paramref name="length"/>] of iSTFT(exp(log amplitude) · e^{i·phase}).</summary>
    public static Tensor Synthesise(Tensor logAmplitude, Tensor phase, int nFft, int hop, long length)
    {
        using var scope = NewScope();
        var window = Fft.HannWindow(nFft, dtype: logAmplitude.DType).To(logAmplitude.Device);
        var spectrum = Tensor.Polar(logAmplitude.Exp(), phase);
        return scope.Keep(Fft.Istft(spectrum, nFft, hop, nFft, window, length: length));
    }
}
