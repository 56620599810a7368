using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Hypernetworks;

/// <summary>
/// A linear layer whose weights are an input, not a parameter — the building block of every network whose weights
/// are produced by another network (hypernetworks, weight-space models, meta-learning inner loops).
/// <code>
///   shared:   y[n]    = W x[n] + b              W [out, in],      b [out]       (exactly F.Linear)
///   batched:  y[b, n] = W[b] x[b, n] + b[b]     W [B, out, in],   b [B, out]    (one generated layer per condition b)
/// </code>
/// In the batched form, condition b's samples x[b] [N, in] go through condition b's own weights; gradients flow into
/// W and b, i.e. back into whatever produced them.
/// </summary>
public static class GeneratedLinear
{
    /// <summary>
    /// Applies per-condition (or shared) generated weights. Batched: x [B, N, in] or [B, in], weight [B, out, in],
    /// bias [B, out] or null → [B, N, out] or [B, out]. Shared: weight [out, in], bias [out] → F.Linear(x, W, b).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes of input, weight and bias do not fit together.</exception>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (weight.Dim == 2)
        {
            if (bias is not null && (bias.Dim != 1 || bias.Size(0) != weight.Size(0)))
                throw new ArgumentException($"generated linear: shared weight {weight.ShapeString} needs a bias [{weight.Size(0)}], got {bias.ShapeString}", nameof(bias));
            return F.Linear(input, weight, bias);
        }
        if (weight.Dim != 3)
            throw new ArgumentException($"generated linear: weight must be [out, in] (shared) or [batch, out, in] (one per condition), got {weight.ShapeString}", nameof(weight));
        long batch = weight.Size(0), outFeatures = weight.Size(1), inFeatures = weight.Size(2);
        if (input.Dim is not (2 or 3) || input.Size(0) != batch || input.Size(-1) != inFeatures)
            throw new ArgumentException(
                $"generated linear: weight {weight.ShapeString} needs input [{batch}, N, {inFeatures}] or [{batch}, {inFeatures}], got {input.ShapeString}", nameof(input));
        if (bias is not null && (bias.Dim != 2 || bias.Size(0) != batch || bias.Size(1) != outFeatures))
            throw new ArgumentException($"generated linear: weight {weight.ShapeString} needs bias [{batch}, {outFeatures}], got {bias.ShapeString}", nameof(bias));

        using var scope = NewScope();
        bool single = input.Dim == 2;
        var x = single ? input.Unsqueeze(1) : input;                     // [B, N, in]
        var wT = weight.Transpose(1, 2);                                 // [B, in, out]
        var y = bias is null ? x.Bmm(wT) : bias.Unsqueeze(1).BAddBmm(x, wT);   // b[b] + x[b] W[b]ᵀ: [B, N, out]
        return scope.Keep(single ? y.Squeeze(1) : y);
    }
}
