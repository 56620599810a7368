using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>One STFT resolution of a <see cref="MultiResolutionStftLoss"/>: FFT size, hop and Hann window length.</summary>
public sealed record StftResolution(int FftSize, int Hop, int WindowLength);

/// <summary>
/// The multi-resolution STFT loss (Yamamoto, Song &amp; Kim, 2020, "Parallel WaveGAN"; used by neural source-filter and
/// other parallel vocoders): for every resolution r, with magnitudes |S| of the target and |Ŝ| of the estimate (torch.stft,
/// periodic Hann window, centred with reflect padding, clamped at 1e-7),
/// <code>
///   L_sc  = ‖ |S| − |Ŝ| ‖_F / ‖ |S| ‖_F                       spectral convergence
///   L_mag = mean | log |S| − log |Ŝ| |                         log-magnitude distance
///   L     = (1/R) Σ_r (L_sc + L_mag)
/// </code>
/// Zero exactly when the magnitudes agree at every resolution.
/// </summary>
public sealed class MultiResolutionStftLoss
{
    /// <summary>The loss over <paramref name="resolutions"/> (default: 128/32, 256/64, 512/128, for 8–16 kHz audio).</summary>
    public MultiResolutionStftLoss(params StftResolution[] resolutions)
    {
        Resolutions = resolutions.Length > 0 ? resolutions : [new(128, 32, 128), new(256, 64, 256), new(512, 128, 512)];
        foreach (var r in Resolutions)
            if (r.FftSize < 2 || r.Hop < 1 || r.WindowLength < 1 || r.WindowLength > r.FftSize)
                throw new ArgumentException($"invalid STFT resolution {r}", nameof(resolutions));
    }

    /// <summary>The resolutions, in order.</summary>
    public IReadOnlyList<StftResolution> Resolutions { get; }

    /// <summary>L for estimates and targets [batch, T] (or [T]); differentiable with respect to both.</summary>
    public Tensor Forward(Tensor estimate, Tensor target)
    {
        if (!estimate.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"the estimate {estimate.ShapeString} and the target {target.ShapeString} must have the same shape");
        using var scope = NewScope();
        Tensor? total = null;
        foreach (var r in Resolutions)
        {
            var (sc, mag) = Terms(estimate, target, r);
            total = total is null ? sc + mag : total + sc + mag;
        }
        return scope.Keep(total! / Resolutions.Count);
    }

    /// <summary>(L_sc, L_mag) at one resolution.</summary>
    public static (Tensor SpectralConvergence, Tensor LogMagnitude) Terms(Tensor estimate, Tensor target, StftResolution r)
    {
        using var scope = NewScope();
        var window = Fft.HannWindow(r.WindowLength, dtype: estimate.DType).To(estimate.Device);
        var e = Magnitude(estimate, r, window);                                                          // [batch, bins, frames]
        var t = Magnitude(target, r, window);
        var sc = (t - e).Norm(2) / t.Norm(2);
        var mag = (t.Log() - e.Log()).Abs().Mean();
        return (scope.Keep(sc), scope.Keep(mag));
    }

    private static Tensor Magnitude(Tensor x, StftResolution r, Tensor window)
    {
        var spectrum = Fft.Stft(x, r.FftSize, r.Hop, r.WindowLength, window);
        return spectrum.Abs().Clamp(min: 1e-7);
    }
}
