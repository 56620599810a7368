using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// A normalizing flow as a chain of <see cref="FlowLayer"/>s, z = f_K ∘ … ∘ f_1(x; c), with
/// log |det ∂z/∂x| = Σ_k log |det ∂f_k| (the chain rule of determinants) and x = f_1⁻¹ ∘ … ∘ f_K⁻¹(z; c). Each layer sees
/// the conditioning as regrouped by the layers before it (<see cref="FlowLayer.NextCondition"/>), forwards and backwards.
/// </summary>
public sealed class FlowSequence : FlowLayer
{
    /// <summary>Chains <paramref name="layers"/> in order.</summary>
    public FlowSequence(params FlowLayer[] layers)
    {
        if (layers.Length == 0) throw new ArgumentException("a flow needs at least one layer", nameof(layers));
        Layers = layers;
    }

    /// <summary>The layers f_1 … f_K.</summary>
    public FlowLayer[] Layers { get; }

    /// <inheritdoc />
    public override (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null)
    {
        using var scope = NewScope();
        Tensor? logDet = null;
        foreach (var layer in Layers)
        {
            (x, var ld) = layer.Forward(x, condition);
            logDet = logDet is null ? ld : logDet + ld;
            condition = layer.NextCondition(condition);
        }
        scope.Keep(x, logDet!);
        return (x, logDet!);
    }

    /// <inheritdoc />
    public override Tensor Inverse(Tensor y, Tensor? condition = null)
    {
        using var scope = NewScope();
        var conditions = new Tensor?[Layers.Length];
        for (int k = 0; k < Layers.Length; k++)
        {
            conditions[k] = condition;
            condition = Layers[k].NextCondition(condition);
        }
        for (int k = Layers.Length - 1; k >= 0; k--) y = Layers[k].Inverse(y, conditions[k]);
        return scope.Keep(y);
    }

    /// <inheritdoc />
    public override Tensor? NextCondition(Tensor? condition)
    {
        foreach (var layer in Layers) condition = layer.NextCondition(condition);
        return condition;
    }

    /// <summary>
    /// The exact negative log-likelihood of x in bits per dimension (per audio sample) under a Gaussian prior N(0, σ²I)
    /// on z = f(x): with D = the number of entries of z per batch element,
    /// <code>
    ///   −log₂ p(x) / D = [ Σ_d (z_d² / 2σ² + ½ log(2πσ²)) − log |det ∂z/∂x| ] / (D · ln 2)
    /// </code>
    /// averaged over the batch; a scalar.
    /// </summary>
    public static Tensor BitsPerDimension(Tensor z, Tensor logDet, double sigma = 1.0)
    {
        if (sigma <= 0) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "the prior's standard deviation must be positive");
        using var scope = NewScope();
        long dims = z.NumEl / z.Size(0);
        var flat = z.Reshape(z.Size(0), -1);
        var logPrior = -flat.Square().Sum(1) / (2 * sigma * sigma) - dims * 0.5 * Math.Log(2 * Math.PI * sigma * sigma);   // [batch]
        return scope.Keep(-(logPrior + logDet).Mean() / (dims * Math.Log(2)));
    }
}
