using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.ImplicitNeural;

/// <summary>
/// Reptile (Nichol, Achiam &amp; Schulman, 2018), the first-order meta-learner used by Tancik et al. (2021) to learn the
/// initial weights φ of a coordinate network over a family of signals: adapt copies θ_b ← φ to B signals with k steps of an
/// inner optimiser, then move φ towards the adapted weights,
/// <code>
///   φ ← φ − ε g,   g = φ − (1/B) Σ_b θ_b
/// </code>
/// (any outer optimiser can take g as φ's gradient). For k = 1 SGD step of rate α, g = α · (1/B) Σ_b ∇L_b(φ), the
/// gradient of joint training; for k &gt; 1 it also rewards initialisations from which the inner steps make fast progress.
/// </summary>
public static class Reptile
{
    /// <summary>g = φ − mean_b θ_b for one parameter: <paramref name="initial"/> [shape] and its adapted copies <paramref name="adapted"/> [B, shape].</summary>
    public static Tensor OuterGradient(Tensor initial, Tensor adapted)
    {
        if (adapted.Dim != initial.Dim + 1 || !adapted.Shape.Skip(1).SequenceEqual(initial.Shape))
            throw new ArgumentException($"adapted copies must be [B, {string.Join(", ", initial.Shape)}], got {adapted.ShapeString}", nameof(adapted));
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return scope.Keep(initial.Detach() - adapted.Detach().Mean(0));
    }

    /// <summary>
    /// Sets the gradient of every parameter of <paramref name="initial"/> to its Reptile direction g from the adapted batch
    /// <paramref name="adapted"/> (same architecture), ready for an outer optimiser step.
    /// </summary>
    public static void SetOuterGradient(Siren initial, SirenBatch adapted)
    {
        var linears = initial.Layers.Select(layer => layer.Linear).Append(initial.Output).ToArray();
        if (linears.Length != adapted.Weights.Length)
            throw new ArgumentException($"the initialisation has {linears.Length} layers, the adapted batch {adapted.Weights.Length}", nameof(adapted));
        for (int l = 0; l < linears.Length; l++)
        {
            using var weight = OuterGradient(linears[l].Weight, adapted.Weights[l]);
            using var bias = OuterGradient(linears[l].Bias!, adapted.Biases[l]);
            linears[l].Weight.Grad = weight;
            linears[l].Bias!.Grad = bias;
        }
    }
}
