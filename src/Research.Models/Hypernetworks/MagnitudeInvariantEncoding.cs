using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Hypernetworks;

/// <summary>
/// The input encoding of Magnitude Invariant Parametrizations (Ortiz, Guttag, Dalca, ICLR 2024): every component of a
/// hypernetwork input γ ∈ [0, 1]^k is mapped to a point on the unit circle,
/// <code>
///   E(γ) = [cos(πγ_1/2), sin(πγ_1/2), …, cos(πγ_k/2), sin(πγ_k/2)]        ‖E(γ)‖ = √k for every γ
/// </code>
/// The map is injective on [0, 1] (a quarter turn), so no information is lost, but the encoded input has the same
/// norm for every γ: a hypernetwork fed E(γ) no longer sees inputs whose size, and hence whose output size, varies
/// with the value of γ.
/// </summary>
public static class MagnitudeInvariantEncoding
{
    /// <summary>Features of the encoding of a k-dimensional input: 2k.</summary>
    public static long EncodedFeatures(long conditionFeatures) => 2 * conditionFeatures;

    /// <summary>γ [..., k] (values meant to lie in [0, 1]) → E(γ) [..., 2k], components interleaved as (cos, sin) pairs.</summary>
    /// <exception cref="ArgumentException">γ is a scalar or has an empty last dimension.</exception>
    public static Tensor Encode(Tensor condition)
    {
        if (condition.Dim == 0 || condition.Size(-1) == 0)
            throw new ArgumentException($"magnitude invariant encoding: expected γ as [..., k] with k ≥ 1, got {condition.ShapeString}", nameof(condition));
        using var scope = NewScope();
        var angle = condition * (Math.PI / 2);
        var pairs = Tensor.Stack([angle.Cos(), angle.Sin()], -1);              // [..., k, 2]
        var shape = condition.Shape;
        shape[^1] *= 2;
        return scope.Keep(pairs.Reshape(shape));
    }
}
