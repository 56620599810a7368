namespace Research.Torch.NN;

/// <summary>
/// A layer with a <c>weight</c> and an optional <c>bias</c> (Linear, convolutions) that can be
/// re-parametrised by weight normalisation: w = g · v / ‖v‖ (Salimans &amp; Kingma, 2016).
/// </summary>
public abstract class WeightedLayer : Module<Tensor, Tensor>
{
    private long? _weightNormDim;

    /// <summary>The weight parameter (unavailable while weight normalisation replaces it by <see cref="WeightG"/> and <see cref="WeightV"/>).</summary>
    public Parameter Weight => Param("weight") ?? throw new InvalidOperationException(
        $"{GetType().Name}'s weight is parametrised by weight normalisation; use WeightG and WeightV, or RemoveWeightNorm()");

    /// <summary>The bias parameter, or null when the layer has none.</summary>
    public Parameter? Bias => Param("bias");

    /// <summary>The magnitude g of weight normalisation (null when it is off).</summary>
    public Parameter? WeightG => Param("weight_g");

    /// <summary>The direction v of weight normalisation (null when it is off).</summary>
    public Parameter? WeightV => Param("weight_v");

    /// <summary>True while weight normalisation is applied.</summary>
    public bool HasWeightNorm => _weightNormDim is not null;

    /// <summary>
    /// Replaces <c>weight</c> by <c>weight_g</c> (‖w‖ over all dimensions but <paramref name="dim"/>) and
    /// <c>weight_v</c> (w), as torch.nn.utils.weight_norm; the initial effective weight is unchanged.
    /// </summary>
    public WeightedLayer ApplyWeightNorm(long dim = 0)
    {
        if (HasWeightNorm) throw new InvalidOperationException($"{GetType().Name} already has weight normalisation");
        var w = RemoveParameter("weight")!;
        using (var g = F.NormExceptDim(w, 2, dim))
            RegisterParameter("weight_g", new Parameter(g));
        RegisterParameter("weight_v", w);
        _weightNormDim = dim;
        return this;
    }

    /// <summary>Folds weight normalisation back into a plain <c>weight</c> parameter.</summary>
    public WeightedLayer RemoveWeightNorm()
    {
        if (_weightNormDim is not { } dim) throw new InvalidOperationException($"{GetType().Name} has no weight normalisation");
        Tensor w;
        using (Research.Torch.Torch.NoGrad()) w = F.WeightNorm(WeightV!, WeightG!, dim);
        using (w) RegisterParameter("weight", new Parameter(w));
        RemoveParameter("weight_g")!.Dispose();
        RemoveParameter("weight_v")!.Dispose();
        _weightNormDim = null;
        return this;
    }

    /// <summary>Runs <paramref name="forward"/> with the effective weight (the parameter, or g·v/‖v‖).</summary>
    protected Tensor WithWeight(Func<Tensor, Tensor> forward)
    {
        if (_weightNormDim is not { } dim) return forward(Weight);
        using var w = F.WeightNorm(WeightV!, WeightG!, dim);
        return forward(w);
    }
}
