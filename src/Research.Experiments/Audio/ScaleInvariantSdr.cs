using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// Scale-invariant signal-to-distortion ratio (Le Roux, Wisdom, Erdogan &amp; Hershey, 2019, "SDR — half-baked or well
/// done?"): with zero-mean estimate ŝ and reference s,
/// <code>
///   α = ⟨ŝ, s⟩ / ‖s‖²,   SI-SDR = 10 log10(‖α s‖² / ‖ŝ − α s‖²)  dB
/// </code>
/// so rescaling the estimate does not change it. The improvement of a separation is SI-SDR(ŝ, s) − SI-SDR(m, s), with m the
/// mixture itself taken as the estimate (0 dB for returning the mixture).
/// </summary>
public static class ScaleInvariantSdr
{
    /// <summary>SI-SDR in dB of every row of <paramref name="estimate"/> against <paramref name="reference"/> ([..., T] → [...]), in float64.</summary>
    public static Tensor Compute(Tensor estimate, Tensor reference)
    {
        if (!estimate.Shape.SequenceEqual(reference.Shape))
            throw new ArgumentException($"SI-SDR needs equal shapes, got {estimate.ShapeString} and {reference.ShapeString}");
        using var scope = NewScope();
        var e = estimate.Double();
        var s = reference.Double();
        e = e - e.Mean(dim: -1, keepDim: true);
        s = s - s.Mean(dim: -1, keepDim: true);
        var alpha = (e * s).Sum(dim: -1, keepDim: true) / (s.Square().Sum(dim: -1, keepDim: true) + 1e-20);
        var target = alpha * s;                                                                          // α s
        var ratio = target.Square().Sum(dim: -1) / ((e - target).Square().Sum(dim: -1) + 1e-20);
        return scope.Keep(ratio.Log10() * 10);
    }

    /// <summary>SI-SDR in dB of one estimate against one reference.</summary>
    public static double Of(ReadOnlySpan<float> estimate, ReadOnlySpan<float> reference)
    {
        using var scope = NewScope();
        return Compute(Tensor.From(estimate), Tensor.From(reference)).Item<double>();
    }

    /// <summary>
    /// SI-SDR improvement in dB of every row: SI-SDR(<paramref name="estimate"/>, <paramref name="reference"/>) −
    /// SI-SDR(<paramref name="mixture"/>, <paramref name="reference"/>).
    /// </summary>
    public static Tensor Improvement(Tensor estimate, Tensor reference, Tensor mixture)
    {
        using var scope = NewScope();
        return scope.Keep(Compute(estimate, reference) - Compute(mixture, reference));
    }
}
