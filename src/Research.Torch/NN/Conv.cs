namespace Research.Torch.NN;

/// <summary>
/// What every convolution shares: channels, kernel, stride, dilation and groups per spatial dimension, and a
/// weight created with PyTorch's default initialisation ([out, in/groups, k...], or [in, out/groups, k...]
/// when transposed).
/// </summary>
public abstract class ConvolutionBase : WeightedLayer
{
    private protected ConvolutionBase(int n, long inChannels, long outChannels, Dims kernelSize, Dims stride, Dims dilation,
        long groups, bool bias, bool transposed, DType? dtype, Device? device)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"in channels ({inChannels}) and out channels ({outChannels}) must be divisible by groups ({groups})");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize.For(n, "kernel size");
        Stride = stride.IsEmpty ? Enumerable.Repeat(1L, n).ToArray() : stride.For(n, "stride");
        Dilation = dilation.IsEmpty ? Enumerable.Repeat(1L, n).ToArray() : dilation.For(n, "dilation");
        Groups = groups;
        long[] shape = transposed ? [inChannels, outChannels / groups, .. KernelSize] : [outChannels, inChannels / groups, .. KernelSize];
        var weight = RegisterParameter("weight", NewParameter(shape, dtype, device));
        Init.DefaultWeight(weight);
        if (bias) Init.DefaultBias(RegisterParameter("bias", NewParameter([outChannels], dtype, device)), Init.Fans(weight).FanIn);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel size per spatial dimension.</summary>
    public long[] KernelSize { get; }

    /// <summary>Stride per spatial dimension.</summary>
    public long[] Stride { get; }

    /// <summary>Dilation per spatial dimension.</summary>
    public long[] Dilation { get; }

    /// <summary>Number of channel groups.</summary>
    public long Groups { get; }
}

/// <summary>Shared parts of <see cref="Conv1d"/> and <see cref="Conv2d"/>: padding (sizes, same, valid, causal) and its fill.</summary>
public abstract class ConvNd : ConvolutionBase
{
    private protected ConvNd(int n, long inChannels, long outChannels, Dims kernelSize, Dims stride, Padding padding, Dims dilation,
        long groups, bool bias, PaddingMode paddingMode, DType? dtype, Device? device)
        : base(n, inChannels, outChannels, kernelSize, stride, dilation, groups, bias, transposed: false, dtype, device)
    {
        Padding = padding;
        PaddingMode = paddingMode;
    }

    /// <summary>Padding: sizes, same, valid or causal.</summary>
    public Padding Padding { get; }

    /// <summary>What the padding is filled with.</summary>
    public PaddingMode PaddingMode { get; }

    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({string.Join(", ", KernelSize)}), stride=({string.Join(", ", Stride)}), padding={Padding}" +
        (Dilation.Any(d => d != 1) ? $", dilation=({string.Join(", ", Dilation)})" : "") + (Groups != 1 ? $", groups={Groups}" : "") +
        (Bias is null ? ", bias=False" : "") + (PaddingMode != PaddingMode.Zeros ? $", padding_mode={PaddingMode}" : "");
}

/// <summary>1-D convolution over [batch, in, time] → [batch, out, time'], with same/valid/causal padding.</summary>
public sealed class Conv1d : ConvNd
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public Conv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, Padding padding = default, long dilation = 1,
        long groups = 1, bool bias = true, PaddingMode paddingMode = PaddingMode.Zeros, DType? dtype = null, Device? device = null)
        : base(1, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, paddingMode, dtype, device) { }

    /// <summary>[batch, in, time] → [batch, out, time'].</summary>
    public override Tensor Forward(Tensor input) =>
        WithWeight(w => F.Conv1d(input, w, Bias, Stride, Padding, Dilation, Groups, PaddingMode));
}

/// <summary>2-D convolution over [batch, in, h, w] → [batch, out, h', w'].</summary>
public sealed class Conv2d : ConvNd
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public Conv2d(long inChannels, long outChannels, Dims kernelSize, Dims stride = default, Padding padding = default, Dims dilation = default,
        long groups = 1, bool bias = true, PaddingMode paddingMode = PaddingMode.Zeros, DType? dtype = null, Device? device = null)
        : base(2, inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, paddingMode, dtype, device) { }

    /// <summary>[batch, in, h, w] → [batch, out, h', w'].</summary>
    public override Tensor Forward(Tensor input) =>
        WithWeight(w => F.Conv2d(input, w, Bias, Stride, Padding, Dilation, Groups, PaddingMode));
}

/// <summary>Shared parts of the transposed convolutions: weight [in, out/groups, kernel...], output padding.</summary>
public abstract class ConvTransposeNd : ConvolutionBase
{
    private readonly int _n;

    private protected ConvTransposeNd(int n, long inChannels, long outChannels, Dims kernelSize, Dims stride, Dims padding, Dims outputPadding,
        long groups, bool bias, Dims dilation, DType? dtype, Device? device)
        : base(n, inChannels, outChannels, kernelSize, stride, dilation, groups, bias, transposed: true, dtype, device)
    {
        _n = n;
        PaddingSizes = padding.IsEmpty ? new long[n] : padding.For(n, "padding");
        OutputPadding = outputPadding.IsEmpty ? new long[n] : outputPadding.For(n, "output padding");
    }

    /// <summary>Implicit zero padding removed from both sides of the output.</summary>
    public long[] PaddingSizes { get; }

    /// <summary>Extra size added to one side of the output.</summary>
    public long[] OutputPadding { get; }

    /// <summary>Upsamples [batch, in, ...] → [batch, out, ...].</summary>
    public override Tensor Forward(Tensor input) => WithWeight(w => _n == 1
        ? F.ConvTranspose1d(input, w, Bias, Stride, PaddingSizes, OutputPadding, Groups, Dilation)
        : F.ConvTranspose2d(input, w, Bias, Stride, PaddingSizes, OutputPadding, Groups, Dilation));

    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({string.Join(", ", KernelSize)}), stride=({string.Join(", ", Stride)})";
}

/// <summary>1-D transposed convolution (learned upsampling) over [batch, in, time].</summary>
public sealed class ConvTranspose1d : ConvTransposeNd
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public ConvTranspose1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long outputPadding = 0,
        long groups = 1, bool bias = true, long dilation = 1, DType? dtype = null, Device? device = null)
        : base(1, inChannels, outChannels, kernelSize, stride, padding, outputPadding, groups, bias, dilation, dtype, device) { }
}

/// <summary>2-D transposed convolution over [batch, in, h, w].</summary>
public sealed class ConvTranspose2d : ConvTransposeNd
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public ConvTranspose2d(long inChannels, long outChannels, Dims kernelSize, Dims stride = default, Dims padding = default, Dims outputPadding = default,
        long groups = 1, bool bias = true, Dims dilation = default, DType? dtype = null, Device? device = null)
        : base(2, inChannels, outChannels, kernelSize, stride, padding, outputPadding, groups, bias, dilation, dtype, device) { }
}
