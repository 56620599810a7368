namespace Research.Torch.NN;

/// <summary>Flattens dimensions <c>startDim..endDim</c> into one (default: all but the batch).</summary>
public sealed class Flatten(long startDim = 1, long endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>Flattens.</summary>
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    protected override string ExtraRepr() => $"start_dim={startDim}, end_dim={endDim}";
}

/// <summary>Splits dimension <c>dim</c> into <c>sizes</c>.</summary>
public sealed class Unflatten(long dim, params long[] sizes) : Module<Tensor, Tensor>
{
    /// <summary>Unflattens.</summary>
    public override Tensor Forward(Tensor input) => input.Unflatten(dim, sizes);

    protected override string ExtraRepr() => $"dim={dim}, unflattened_size=({string.Join(", ", sizes)})";
}

/// <summary>Resizes the spatial dimensions to a size or by a scale factor (nearest, linear, bilinear, bicubic).</summary>
public sealed class Upsample : Module<Tensor, Tensor>
{
    private readonly Dims _size;
    private readonly double[]? _scale;
    private readonly bool? _alignCorners;

    /// <summary>Upsamples by <paramref name="scaleFactor"/> (one per spatial dimension, or one for all).</summary>
    public Upsample(double[] scaleFactor, string mode = "nearest", bool? alignCorners = null)
    {
        _scale = scaleFactor;
        Mode = mode;
        _alignCorners = alignCorners;
    }

    /// <summary>Upsamples by one factor for every spatial dimension.</summary>
    public Upsample(double scaleFactor, string mode = "nearest", bool? alignCorners = null) : this([scaleFactor], mode, alignCorners) { }

    /// <summary>Resizes to a fixed <paramref name="size"/>.</summary>
    public Upsample(Dims size, string mode = "nearest", bool? alignCorners = null)
    {
        _size = size;
        Mode = mode;
        _alignCorners = alignCorners;
    }

    /// <summary>nearest, linear, bilinear or bicubic.</summary>
    public string Mode { get; }

    /// <summary>Resizes.</summary>
    public override Tensor Forward(Tensor input) => F.Interpolate(input, _size, _scale, Mode, _alignCorners);

    protected override string ExtraRepr() => (_scale is null ? $"size={_size}" : $"scale_factor={string.Join(",", _scale)}") + $", mode='{Mode}'";
}
