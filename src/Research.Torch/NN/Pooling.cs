namespace Research.Torch.NN;

/// <summary>Max over sliding windows of the last dimension of [batch, C, L].</summary>
public sealed class MaxPool1d(long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) =>
        F.MaxPool1d(input, kernelSize, stride is { } s ? (Dims)s : default, padding, dilation, ceilMode);

    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={stride ?? kernelSize}";
}

/// <summary>Max over sliding windows of the last two dimensions of [batch, C, H, W].</summary>
public sealed class MaxPool2d(Dims kernelSize, Dims stride = default, Dims padding = default, Dims dilation = default, bool ceilMode = false) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={(stride.IsEmpty ? kernelSize : stride)}";
}

/// <summary>Mean over sliding windows of the last dimension of [batch, C, L].</summary>
public sealed class AvgPool1d(long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) =>
        F.AvgPool1d(input, kernelSize, stride is { } s ? (Dims)s : default, padding, ceilMode, countIncludePad);

    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={stride ?? kernelSize}";
}

/// <summary>Mean over sliding windows of the last two dimensions of [batch, C, H, W].</summary>
public sealed class AvgPool2d(Dims kernelSize, Dims stride = default, Dims padding = default, bool ceilMode = false, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) => F.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);

    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={(stride.IsEmpty ? kernelSize : stride)}";
}

/// <summary>Mean pooling of [batch, C, L] to a fixed length.</summary>
public sealed class AdaptiveAvgPool1d(long outputSize) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool1d(input, outputSize);

    protected override string ExtraRepr() => $"output_size={outputSize}";
}

/// <summary>Mean pooling of [batch, C, H, W] to a fixed size.</summary>
public sealed class AdaptiveAvgPool2d(Dims outputSize) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, outputSize);

    protected override string ExtraRepr() => $"output_size={outputSize}";
}

/// <summary>Max pooling of [batch, C, L] to a fixed length.</summary>
public sealed class AdaptiveMaxPool1d(long outputSize) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool1d(input, outputSize);

    protected override string ExtraRepr() => $"output_size={outputSize}";
}

/// <summary>Max pooling of [batch, C, H, W] to a fixed size.</summary>
public sealed class AdaptiveMaxPool2d(Dims outputSize) : Module<Tensor, Tensor>
{
    /// <summary>Pools.</summary>
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool2d(input, outputSize);

    protected override string ExtraRepr() => $"output_size={outputSize}";
}
