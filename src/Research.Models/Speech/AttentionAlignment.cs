using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Speech;

/// <summary>
/// Measures of a text-to-speech attention matrix A [B, T, N] (decoder frames × characters, each row a distribution over
/// characters), restricted to each item's valid T_b × N_b block. Both are ordinary tensor expressions, so the guided cost
/// can be trained on (DCTTS's guided-attention loss) and both can be logged as alignment scores.
/// </summary>
public static class AttentionAlignment
{
    /// <summary>The width g of the guided-attention band used by DCTTS.</summary>
    public const double DefaultWidth = 0.2;

    /// <summary>
    /// Guided-attention cost (Tachibana et al., 2018): the attention mass off the diagonal band, Σ_n A_tn · W_tn with
    /// W_tn = 1 − exp(−(n/N_b − t/T_b)² / (2 g²)), averaged over valid frames t, so attention on the diagonal costs nothing
    /// and attention far from it nearly its full mass (DCTTS averages A·W over all N_b·T_b cells, which is this divided by
    /// N_b). Scalar in [0, 1]; differentiable in <paramref name="attention"/>. A uniform attention over characters scores
    /// ≈ 0.55 at g = 0.2; a perfectly diagonal one ≈ 0.
    /// </summary>
    /// <param name="attention">Attention weights [B, T, N].</param>
    /// <param name="textLengths">Valid characters per item, int64 [B].</param>
    /// <param name="frameLengths">Valid decoder frames per item, int64 [B].</param>
    /// <param name="width">The band's width g (fractions of the lengths).</param>
    public static Tensor GuidedCost(Tensor attention, Tensor textLengths, Tensor frameLengths, double width = DefaultWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        using var scope = NewScope();
        var (mask, n, t) = Grid(attention, textLengths, frameLengths);
        var distance = n - t;
        var weights = 1 - (distance * distance / (-2 * width * width)).Exp();
        return scope.Keep((attention * weights * mask).Sum() / mask.Amax([2]).Sum());
    }

    /// <summary>
    /// Focus: the mean over valid decoder frames of the largest attention weight on a valid character (1 = every frame
    /// attends to one character; 1/N_b = uniform). Scalar.
    /// </summary>
    public static Tensor Focus(Tensor attention, Tensor textLengths, Tensor frameLengths)
    {
        using var scope = NewScope();
        var (mask, _, _) = Grid(attention, textLengths, frameLengths);
        var peak = (attention * mask).Amax([2]);                          // [B, T]
        var frames = mask.Amax([2]);                                       // 1 on valid frames
        return scope.Keep((peak * frames).Sum() / frames.Sum());
    }

    /// <summary>The valid-cell mask [B, T, N] and the relative positions n/N_b [B, 1, N] and t/T_b [B, T, 1].</summary>
    private static (Tensor Mask, Tensor N, Tensor T) Grid(Tensor attention, Tensor textLengths, Tensor frameLengths)
    {
        if (attention.Dim != 3) throw new ArgumentException($"attention must be [B, T, N], got [{string.Join(", ", attention.Shape)}]", nameof(attention));
        long b = attention.Size(0), frames = attention.Size(1), characters = attention.Size(2);
        if (textLengths.Shape is not [var tb] || tb != b || frameLengths.Shape is not [var fb] || fb != b)
            throw new ArgumentException($"textLengths and frameLengths must be [{b}]");
        var device = attention.Device;
        var dtype = attention.DType;
        var nLen = textLengths.To(device).To(dtype).Reshape(b, 1, 1);
        var tLen = frameLengths.To(device).To(dtype).Reshape(b, 1, 1);
        var n = Tensor.Arange(characters, dtype, device).Reshape(1, 1, characters);
        var t = Tensor.Arange(frames, dtype, device).Reshape(1, frames, 1);
        var mask = ((n < nLen) * (t < tLen)).To(dtype);
        return (mask, n / nLen, t / tLen);
    }
}
