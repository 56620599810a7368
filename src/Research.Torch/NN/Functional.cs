namespace Research.Torch.NN;

/// <summary>
/// torch.nn.functional: the stateless twin of every layer. Modules own parameters and call these;
/// model code can call them directly with its own weights.
/// </summary>
public static partial class F
{
    private static readonly Op s_linear = new("linear"), s_embedding = new("embedding"), s_dropout = new("dropout"),
        s_featureDropout = new("feature_dropout"), s_layerNorm = new("layer_norm"), s_groupNorm = new("group_norm"),
        s_batchNorm = new("batch_norm"), s_weightNorm = new("_weight_norm"), s_normExceptDim = new("norm_except_dim"),
        s_oneHot = new("one_hot");

    // ---- linear, embedding ----

    /// <summary>y = x Wᵀ + b over the last dimension; <paramref name="weight"/> is [out, in].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        long inFeatures = weight.Size(-1);
        if (input.Dim == 0 || input.Size(-1) != inFeatures)
            throw new ArgumentException($"linear: input {input.ShapeString} does not end in {inFeatures} features (weight {weight.ShapeString})", nameof(input));
        return s_linear.Call(input, weight, bias);
    }

    /// <summary>Rows of <paramref name="weight"/> [vocab, dim] picked by integer <paramref name="indices"/>; output [..., dim].</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, long? paddingIdx = null, bool scaleGradByFreq = false)
    {
        if (indices.DType is not (DType.Int64 or DType.Int32))
            throw new ArgumentException($"embedding: indices must be int64 or int32, got {indices.DType.Name()} {indices.ShapeString}", nameof(indices));
        long pad = paddingIdx is { } p ? (p < 0 ? p + weight.Size(0) : p) : -1;
        return s_embedding.Call(weight, indices, pad, scaleGradByFreq, false);
    }

    /// <summary>One-hot encoding of integer classes (int64 output, an extra last dimension).</summary>
    public static Tensor OneHot(Tensor indices, long numClasses = -1) => s_oneHot.Call(indices, numClasses);

    // ---- dropout ----

    /// <summary>Zeros each element with probability <paramref name="p"/> and scales the rest by 1/(1−p) when <paramref name="training"/>.</summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true)
    {
        CheckProbability(p);
        return s_dropout.Call(input, p, training);
    }

    /// <summary>Zeros whole channels (dimension 1) with probability <paramref name="p"/> when <paramref name="training"/> (Dropout1d/2d).</summary>
    public static Tensor FeatureDropout(Tensor input, double p = 0.5, bool training = true)
    {
        CheckProbability(p);
        return s_featureDropout.Call(input, p, training);
    }

    private static void CheckProbability(double p)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
    }

    // ---- normalisation ----

    /// <summary>Normalises over the trailing <paramref name="normalizedShape"/> dimensions, then scales and shifts.</summary>
    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        var shape = input.Shape;
        if (shape.Length < normalizedShape.Length || !shape[^normalizedShape.Length..].SequenceEqual(normalizedShape))
            throw new ArgumentException($"layer_norm: input {input.ShapeString} does not end in normalized shape [{string.Join(", ", normalizedShape)}]", nameof(input));
        return s_layerNorm.Call(input, normalizedShape, weight, bias, eps, true);
    }

    /// <summary>Root-mean-square normalisation over the trailing <paramref name="normalizedShape"/> dimensions: x / √(mean(x²)+ε) · w.</summary>
    public static Tensor RmsNorm(Tensor input, long[] normalizedShape, Tensor? weight = null, double? eps = null)
    {
        var shape = input.Shape;
        if (shape.Length < normalizedShape.Length || !shape[^normalizedShape.Length..].SequenceEqual(normalizedShape))
            throw new ArgumentException($"rms_norm: input {input.ShapeString} does not end in normalized shape [{string.Join(", ", normalizedShape)}]", nameof(input));
        double e = eps ?? MachineEpsilon(input.DType);
        var dims = Enumerable.Range(0, normalizedShape.Length).Select(i => (long)(-i - 1)).ToArray();
        using var sq = input.Square();
        using var ms = sq.Mean(dims, keepDim: true);
        using var shifted = ms + e;
        using var r = shifted.Rsqrt();
        var y = input * r;
        if (weight is null) return y;
        using (y) return y * weight;
    }

    private static double MachineEpsilon(DType t) => t switch
    {
        DType.Float64 => 2.220446049250313e-16,
        DType.Float16 => 0.0009765625,
        DType.BFloat16 => 0.0078125,
        _ => 1.1920928955078125e-07,
    };

    /// <summary>
    /// Batch normalisation over dimension 1. In training it uses batch statistics and updates the running
    /// ones in place (momentum, or a cumulative average when null is passed by the module); otherwise it uses the running ones.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        if (input.Dim < 2) throw new ArgumentException($"batch_norm: expected at least 2-D input [batch, channels, ...], got {input.ShapeString}", nameof(input));
        if (training)
        {
            var shape = input.Shape;
            if (shape[1] == 0) throw new ArgumentException($"batch_norm: input {input.ShapeString} has no channels", nameof(input));
            long perChannel = shape.Aggregate(1L, (a, b) => a * b) / shape[1];
            if (perChannel <= 1) throw new ArgumentException($"batch_norm: expected more than 1 value per channel when training, got input {input.ShapeString}", nameof(input));
        }
        return s_batchNorm.Call(input, weight, bias, runningMean, runningVar, training, momentum, eps, true);
    }

    /// <summary>Normalises channels (dimension 1) in <paramref name="numGroups"/> groups per sample.</summary>
    public static Tensor GroupNorm(Tensor input, long numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        if (numGroups <= 0) throw new ArgumentOutOfRangeException(nameof(numGroups), numGroups, "group_norm needs at least one group");
        if (input.Dim < 2 || input.Size(1) % numGroups != 0)
            throw new ArgumentException($"group_norm: input {input.ShapeString} must be [batch, channels, ...] with channels divisible by {numGroups} groups", nameof(input));
        return s_groupNorm.Call(input, numGroups, weight, bias, eps, true);
    }

    /// <summary>Weight normalisation: w = g · v / ‖v‖, the norm taken over every dimension except <paramref name="dim"/>.</summary>
    public static Tensor WeightNorm(Tensor v, Tensor g, long dim = 0) => s_weightNorm.Call(v, g, dim);

    /// <summary>‖v‖ over every dimension except <paramref name="dim"/> (the initial g of weight normalisation).</summary>
    public static Tensor NormExceptDim(Tensor v, long pow = 2, long dim = 0) => s_normExceptDim.Call(v, pow, dim);

    // ---- activations ----

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => x.Relu();

    /// <summary>x for x ≥ 0, slope·x otherwise.</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) => x.LeakyRelu(negativeSlope);

    /// <summary>Gaussian error linear unit; <paramref name="approximate"/> "none" or "tanh".</summary>
    public static Tensor Gelu(Tensor x, string approximate = "none") => x.Gelu(approximate);

    /// <summary>x · sigmoid(x) (swish).</summary>
    public static Tensor Silu(Tensor x) => x.Silu();

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => x.Tanh();

    /// <summary>Logistic sigmoid.</summary>
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();

    /// <summary>log(1 + exp(βx)) / β, linear above <paramref name="threshold"/>.</summary>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20) => x.Softplus(beta, threshold);

    /// <summary>Exponential linear unit.</summary>
    public static Tensor Elu(Tensor x, double alpha = 1) => x.Elu(alpha);

    /// <summary>sin(ω₀·x), SIREN's activation.</summary>
    public static Tensor Sine(Tensor x, double w0 = 1)
    {
        if (w0 == 1) return x.Sin();
        using var scaled = x * w0;
        return scaled.Sin();
    }

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, long dim) => x.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, long dim) => x.LogSoftmax(dim);

    /// <summary>Gated linear unit: first half · sigmoid(second half) along <paramref name="dim"/>.</summary>
    public static Tensor Glu(Tensor x, long dim = -1) => x.Glu(dim);

    /// <summary>Pads the last dimensions (<c>[left, right, top, bottom, ...]</c>) with a mode: constant, reflect, replicate, circular.</summary>
    public static Tensor Pad(Tensor x, long[] pad, string mode = "constant", double value = 0) => x.Pad(pad, mode, value);
}
