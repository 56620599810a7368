namespace Research.Torch.NN;

public static partial class F
{
    private static readonly Op s_conv1d = new("conv1d"), s_conv2d = new("conv2d"),
        s_conv1dPad = new("conv1d", "padding"), s_conv2dPad = new("conv2d", "padding"),
        s_convT1d = new("conv_transpose1d"), s_convT2d = new("conv_transpose2d", "input"),
        s_maxPool1d = new("max_pool1d"), s_maxPool2d = new("max_pool2d"), s_avgPool1d = new("avg_pool1d"), s_avgPool2d = new("avg_pool2d"),
        s_adaptiveAvg1d = new("adaptive_avg_pool1d"), s_adaptiveAvg2d = new("adaptive_avg_pool2d"),
        s_adaptiveMax1d = new("adaptive_max_pool1d"), s_adaptiveMax2d = new("adaptive_max_pool2d"),
        s_nearest1d = new("upsample_nearest1d", "vec"), s_nearest2d = new("upsample_nearest2d", "vec"),
        s_linear1d = new("upsample_linear1d", "vec"), s_bilinear2d = new("upsample_bilinear2d", "vec"),
        s_bicubic2d = new("upsample_bicubic2d", "vec");

    // ---- convolution ----

    /// <summary>1-D convolution: input [batch, in, time] (or [in, time]), weight [out, in/groups, kernel].</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, Dims stride = default, Padding padding = default,
        Dims dilation = default, long groups = 1, PaddingMode paddingMode = PaddingMode.Zeros) =>
        ConvNd(1, input, weight, bias, stride, padding, dilation, groups, paddingMode);

    /// <summary>2-D convolution: input [batch, in, h, w] (or [in, h, w]), weight [out, in/groups, kh, kw].</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Dims stride = default, Padding padding = default,
        Dims dilation = default, long groups = 1, PaddingMode paddingMode = PaddingMode.Zeros) =>
        ConvNd(2, input, weight, bias, stride, padding, dilation, groups, paddingMode);

    private static Tensor ConvNd(int n, Tensor input, Tensor weight, Tensor? bias, Dims stride, Padding padding, Dims dilation,
        long groups, PaddingMode paddingMode)
    {
        var name = $"conv{n}d";
        var wShape = weight.Shape;
        if (wShape.Length != n + 2) throw new ArgumentException($"{name}: weight must be {n + 2}-D [out, in/groups, kernel...], got {weight.ShapeString}", nameof(weight));
        long inChannels = wShape[1] * groups;
        if ((input.Dim != n + 1 && input.Dim != n + 2) || input.Size(-n - 1) != inChannels)
            throw new ArgumentException($"{name}: expected input [batch, {inChannels}, {SpatialNames(n)}] (or unbatched [{inChannels}, {SpatialNames(n)}]), got {input.ShapeString}", nameof(input));
        var s = stride.IsEmpty ? Ones(n) : stride.For(n, "stride");
        var d = dilation.IsEmpty ? Ones(n) : dilation.For(n, "dilation");
        var kernel = wShape[2..];
        var op = n == 1 ? s_conv1d : s_conv2d;
        long[]? explicitPad = null;
        long[]? asymmetric = null;
        switch (padding.Mode)
        {
            case null:
                explicitPad = padding.Sizes(n);
                if (paddingMode != PaddingMode.Zeros)
                {
                    asymmetric = new long[2 * n];
                    for (int i = 0; i < n; i++) asymmetric[2 * (n - 1 - i)] = asymmetric[2 * (n - 1 - i) + 1] = explicitPad[i];
                    explicitPad = new long[n];
                }
                break;
            case "valid":
                explicitPad = new long[n];
                break;
            case "same" when paddingMode == PaddingMode.Zeros:
                if (s.Any(x => x != 1)) throw new ArgumentException($"{name}: padding 'same' needs stride 1, got [{string.Join(", ", s)}]");
                return (n == 1 ? s_conv1dPad : s_conv2dPad).Call(input, weight, bias, s, "same", d, groups);
            case "same":
                asymmetric = new long[2 * n];
                for (int i = 0; i < n; i++)
                {
                    long total = d[i] * (kernel[i] - 1);
                    asymmetric[2 * (n - 1 - i)] = total / 2;
                    asymmetric[2 * (n - 1 - i) + 1] = total - total / 2;
                }
                explicitPad = new long[n];
                break;
            case "causal":
                asymmetric = new long[2 * n];
                asymmetric[0] = d[n - 1] * (kernel[n - 1] - 1);
                explicitPad = new long[n];
                break;
        }
        if (asymmetric is null) return op.Call(input, weight, bias, s, explicitPad!, d, groups);
        using var padded = input.Pad(asymmetric, PadModeName(paddingMode));
        return op.Call(padded, weight, bias, s, explicitPad!, d, groups);
    }

    /// <summary>1-D transposed convolution: input [batch, in, time], weight [in, out/groups, kernel].</summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, Dims stride = default, Dims padding = default,
        Dims outputPadding = default, long groups = 1, Dims dilation = default) =>
        ConvTransposeNd(1, input, weight, bias, stride, padding, outputPadding, groups, dilation);

    /// <summary>2-D transposed convolution: input [batch, in, h, w], weight [in, out/groups, kh, kw].</summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Dims stride = default, Dims padding = default,
        Dims outputPadding = default, long groups = 1, Dims dilation = default) =>
        ConvTransposeNd(2, input, weight, bias, stride, padding, outputPadding, groups, dilation);

    private static Tensor ConvTransposeNd(int n, Tensor input, Tensor weight, Tensor? bias, Dims stride, Dims padding, Dims outputPadding, long groups, Dims dilation)
    {
        long inChannels = weight.Size(0);
        if ((input.Dim != n + 1 && input.Dim != n + 2) || input.Size(-n - 1) != inChannels)
            throw new ArgumentException($"conv_transpose{n}d: expected input [batch, {inChannels}, {SpatialNames(n)}], got {input.ShapeString} (weight {weight.ShapeString})", nameof(input));
        return (n == 1 ? s_convT1d : s_convT2d).Call(input, weight, bias,
            stride.IsEmpty ? Ones(n) : stride.For(n, "stride"), padding.IsEmpty ? new long[n] : padding.For(n, "padding"),
            outputPadding.IsEmpty ? new long[n] : outputPadding.For(n, "output padding"), groups,
            dilation.IsEmpty ? Ones(n) : dilation.For(n, "dilation"));
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    private static string SpatialNames(int n) => n == 1 ? "time" : "height, width";

    private static string PadModeName(PaddingMode mode) => mode switch
    {
        PaddingMode.Zeros => "constant",
        PaddingMode.Reflect => "reflect",
        PaddingMode.Replicate => "replicate",
        _ => "circular",
    };

    // ---- pooling ----

    /// <summary>Max over sliding windows of the last dimension (stride defaults to the kernel size).</summary>
    public static Tensor MaxPool1d(Tensor input, Dims kernelSize, Dims stride = default, Dims padding = default, Dims dilation = default, bool ceilMode = false) =>
        s_maxPool1d.Call(input, kernelSize.For(1, "kernel size"), stride.IsEmpty ? Array.Empty<long>() : stride.For(1, "stride"),
            padding.IsEmpty ? new long[1] : padding.For(1, "padding"), dilation.IsEmpty ? Ones(1) : dilation.For(1, "dilation"), ceilMode);

    /// <summary>Max over sliding windows of the last two dimensions (stride defaults to the kernel size).</summary>
    public static Tensor MaxPool2d(Tensor input, Dims kernelSize, Dims stride = default, Dims padding = default, Dims dilation = default, bool ceilMode = false) =>
        s_maxPool2d.Call(input, kernelSize.For(2, "kernel size"), stride.IsEmpty ? Array.Empty<long>() : stride.For(2, "stride"),
            padding.IsEmpty ? new long[2] : padding.For(2, "padding"), dilation.IsEmpty ? Ones(2) : dilation.For(2, "dilation"), ceilMode);

    /// <summary>Mean over sliding windows of the last dimension.</summary>
    public static Tensor AvgPool1d(Tensor input, Dims kernelSize, Dims stride = default, Dims padding = default, bool ceilMode = false, bool countIncludePad = true) =>
        s_avgPool1d.Call(input, kernelSize.For(1, "kernel size"), stride.IsEmpty ? Array.Empty<long>() : stride.For(1, "stride"),
            padding.IsEmpty ? new long[1] : padding.For(1, "padding"), ceilMode, countIncludePad);

    /// <summary>Mean over sliding windows of the last two dimensions.</summary>
    public static Tensor AvgPool2d(Tensor input, Dims kernelSize, Dims stride = default, Dims padding = default, bool ceilMode = false, bool countIncludePad = true) =>
        s_avgPool2d.Call(input, kernelSize.For(2, "kernel size"), stride.IsEmpty ? Array.Empty<long>() : stride.For(2, "stride"),
            padding.IsEmpty ? new long[2] : padding.For(2, "padding"), ceilMode, countIncludePad, OpArg.None);

    /// <summary>Mean pooling to a fixed output length.</summary>
    public static Tensor AdaptiveAvgPool1d(Tensor input, long outputSize) => s_adaptiveAvg1d.Call(input, new[] { outputSize });

    /// <summary>Mean pooling to a fixed output size.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Dims outputSize) => s_adaptiveAvg2d.Call(input, outputSize.For(2, "output size"));

    /// <summary>Max pooling to a fixed output length.</summary>
    public static Tensor AdaptiveMaxPool1d(Tensor input, long outputSize) => First(s_adaptiveMax1d.Invoke(input, new[] { outputSize }));

    /// <summary>Max pooling to a fixed output size.</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, Dims outputSize) => First(s_adaptiveMax2d.Invoke(input, outputSize.For(2, "output size")));

    private static Tensor First(object?[] results)
    {
        for (int i = 1; i < results.Length; i++) (results[i] as Tensor)?.Dispose();
        return (Tensor)results[0]!;
    }

    // ---- resampling ----

    /// <summary>
    /// Resizes the spatial dimensions (after batch and channels) to <paramref name="size"/> or by
    /// <paramref name="scaleFactor"/>; <paramref name="mode"/> is nearest, linear (3-D), bilinear or bicubic (4-D).
    /// </summary>
    public static Tensor Interpolate(Tensor input, Dims size = default, double[]? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        int n = input.Dim - 2;
        if (n is < 1 or > 2) throw new ArgumentException($"interpolate: expected 3-D [batch, channels, time] or 4-D [batch, channels, h, w] input, got {input.ShapeString}", nameof(input));
        if (size.IsEmpty == (scaleFactor is null)) throw new ArgumentException("interpolate: give exactly one of size and scaleFactor");
        OpArg outSize = size.IsEmpty ? OpArg.None : size.For(n, "size");
        OpArg scales = scaleFactor is null ? OpArg.None : scaleFactor.Length == 1 ? Enumerable.Repeat(scaleFactor[0], n).ToArray() : scaleFactor;
        if (mode == "nearest" && alignCorners is not null) throw new ArgumentException("interpolate: alignCorners only applies to linear, bilinear and bicubic modes");
        bool align = alignCorners ?? false;
        return (mode, n) switch
        {
            ("nearest", 1) => s_nearest1d.Call(input, outSize, scales),
            ("nearest", 2) => s_nearest2d.Call(input, outSize, scales),
            ("linear", 1) => s_linear1d.Call(input, outSize, align, scales),
            ("bilinear", 2) => s_bilinear2d.Call(input, outSize, align, scales),
            ("bicubic", 2) => s_bicubic2d.Call(input, outSize, align, scales),
            _ => throw new ArgumentException($"interpolate: mode '{mode}' does not apply to {input.Dim}-D input {input.ShapeString}", nameof(mode)),
        };
    }
}
