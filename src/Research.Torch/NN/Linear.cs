namespace Research.Torch.NN;

/// <summary>y = x Wᵀ + b over the last dimension; W is [out, in], initialised as PyTorch's (U(±1/√in)).</summary>
public sealed class Linear : WeightedLayer
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public Linear(long inFeatures, long outFeatures, bool bias = true, DType? dtype = null, Device? device = null)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Init.DefaultWeight(RegisterParameter("weight", NewParameter([outFeatures, inFeatures], dtype, device)));
        if (bias) Init.DefaultBias(RegisterParameter("bias", NewParameter([outFeatures], dtype, device)), inFeatures);
    }

    /// <summary>Size of each input sample.</summary>
    public long InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public long OutFeatures { get; }

    /// <summary>[..., in] → [..., out].</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim == 0 || input.Size(-1) != InFeatures)
            throw new ArgumentException($"Linear({InFeatures} → {OutFeatures}) expects input [..., {InFeatures}], got {input.ShapeString}", nameof(input));
        return WithWeight(w => F.Linear(input, w, Bias));
    }

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={Bias is not null}";
}
