using static Research.Torch.Torch;

namespace Research.Torch.NN;

/// <summary>What a custom initialiser sees: the tensor's shape, dtype and fans.</summary>
public readonly record struct InitContext(long[] Shape, DType DType, long FanIn, long FanOut);

/// <summary>
/// torch.nn.init: fills a tensor in place, without recording gradients, and returns it. The
/// libtorch generator seeded by <c>Torch.ManualSeed</c> supplies the randomness.
/// </summary>
public static class Init
{
    /// <summary>The recommended gain for a nonlinearity: linear/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1+a²)), selu 3/4.</summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "identity" or "sigmoid" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"unsupported nonlinearity '{nonlinearity}'", nameof(nonlinearity)),
    };

    /// <summary>(fan in, fan out) of a weight: [out, in, kernel...] gives (in·k, out·k).</summary>
    public static (long FanIn, long FanOut) Fans(Tensor tensor) => Fans(tensor.Shape);

    private static (long FanIn, long FanOut) Fans(long[] shape)
    {
        if (shape.Length < 2) throw new ArgumentException($"fan in and fan out need at least 2 dimensions, got [{string.Join(", ", shape)}]");
        long receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>Uniform values in [a, b).</summary>
    public static Tensor Uniform_(Tensor tensor, double a = 0, double b = 1)
    {
        using (NoGrad()) tensor.Uniform_(a, b);
        return tensor;
    }

    /// <summary>Normal values with the given mean and standard deviation.</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1)
    {
        using (NoGrad()) tensor.Normal_(mean, std);
        return tensor;
    }

    /// <summary>A constant.</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        using (NoGrad()) tensor.Fill_(value);
        return tensor;
    }

    /// <summary>Zeros.</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Ones.</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>Glorot uniform: U(±gain·√(6/(fan_in+fan_out))).</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(tensor);
        double a = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform_(tensor, -a, a);
    }

    /// <summary>Glorot normal: N(0, gain²·2/(fan_in+fan_out)).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
    }

    private static double KaimingStd(Tensor tensor, double a, string mode, string nonlinearity)
    {
        var (fanIn, fanOut) = Fans(tensor);
        long fan = mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"mode must be fan_in or fan_out, not '{mode}'", nameof(mode)),
        };
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    /// <summary>He uniform: U(±gain·√(3/fan)), gain from the nonlinearity (PyTorch's layers use a = √5, i.e. U(±1/√fan_in)).</summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(tensor, a, mode, nonlinearity);
        return Uniform_(tensor, -bound, bound);
    }

    /// <summary>He normal: N(0, (gain/√fan)²).</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu") =>
        Normal_(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity));

    /// <summary>A (semi-)orthogonal matrix from the QR decomposition of a normal one, scaled by <paramref name="gain"/>; extra dimensions are flattened.</summary>
    public static Tensor Orthogonal_(Tensor tensor, double gain = 1)
    {
        if (tensor.Dim < 2) throw new ArgumentException($"orthogonal init needs at least 2 dimensions, got {tensor.ShapeString}", nameof(tensor));
        using var scope = NewScope();
        using var noGrad = NoGrad();
        long rows = tensor.Size(0), cols = tensor.NumEl / rows;
        var flat = Tensor.Empty([rows, cols], tensor.DType).Normal_(0, 1);
        if (rows < cols) flat = flat.T;
        var (q, r) = Linalg.Qr(flat);
        var d = r.Diagonal().Sign();
        q = q * d;
        if (rows < cols) q = q.T;
        tensor.Copy_(q.Reshape(tensor.Shape) * gain);
        return tensor;
    }

    /// <summary>A user-defined initialiser: <paramref name="make"/> returns the values (any broadcastable tensor) from the shape and fans.</summary>
    public static Tensor Custom_(Tensor tensor, Func<InitContext, Tensor> make)
    {
        var shape = tensor.Shape;
        var (fanIn, fanOut) = shape.Length >= 2 ? Fans(shape) : (shape.Length == 1 ? shape[0] : 1, shape.Length == 1 ? shape[0] : 1);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        tensor.Copy_(make(new InitContext(shape, tensor.DType, fanIn, fanOut)));
        return tensor;
    }

    /// <summary>PyTorch's default for a weight of a Linear/Conv layer: kaiming_uniform(a=√5), i.e. U(±1/√fan_in).</summary>
    internal static void DefaultWeight(Tensor weight) => KaimingUniform_(weight, a: Math.Sqrt(5));

    /// <summary>PyTorch's default for a Linear/Conv bias: U(±1/√fan_in).</summary>
    internal static void DefaultBias(Tensor bias, long fanIn)
    {
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Uniform_(bias, -bound, bound);
    }
}
