using static Research.Torch.Torch;

namespace Research.Torch.NN;

/// <summary>Layer normalisation over the trailing <c>normalizedShape</c> dimensions, with learnable scale (ones) and shift (zeros).</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType? dtype = null, Device? device = null)
    {
        NormalizedShape = normalizedShape;
        Eps = eps;
        if (!elementwiseAffine) return;
        Init.Ones_(RegisterParameter("weight", NewParameter(normalizedShape, dtype, device)));
        if (bias) Init.Zeros_(RegisterParameter("bias", NewParameter(normalizedShape, dtype, device)));
    }

    /// <summary>Normalises over the last dimension of size <paramref name="normalizedSize"/>.</summary>
    public LayerNorm(long normalizedSize, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType? dtype = null, Device? device = null)
        : this([normalizedSize], eps, elementwiseAffine, bias, dtype, device) { }

    /// <summary>The trailing dimensions normalised over.</summary>
    public long[] NormalizedShape { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The scale, or null without affine parameters.</summary>
    public Parameter? Weight => Param("weight");

    /// <summary>The shift, or null.</summary>
    public Parameter? Bias => Param("bias");

    /// <summary>Same shape in and out.</summary>
    public override Tensor Forward(Tensor input) => F.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    protected override string ExtraRepr() => $"({string.Join(", ", NormalizedShape)}), eps={Eps}";
}

/// <summary>Root-mean-square normalisation (Zhang &amp; Sennrich, 2019): x / √(mean(x²) + ε) · w; ε defaults to the dtype's machine epsilon.</summary>
public sealed class RMSNorm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    public RMSNorm(long[] normalizedShape, double? eps = null, bool elementwiseAffine = true, DType? dtype = null, Device? device = null)
    {
        NormalizedShape = normalizedShape;
        Eps = eps;
        if (elementwiseAffine) Init.Ones_(RegisterParameter("weight", NewParameter(normalizedShape, dtype, device)));
    }

    /// <summary>Normalises over the last dimension of size <paramref name="normalizedSize"/>.</summary>
    public RMSNorm(long normalizedSize, double? eps = null, bool elementwiseAffine = true, DType? dtype = null, Device? device = null)
        : this([normalizedSize], eps, elementwiseAffine, dtype, device) { }

    /// <summary>The trailing dimensions normalised over.</summary>
    public long[] NormalizedShape { get; }

    /// <summary>Added to the mean square (null: the dtype's epsilon).</summary>
    public double? Eps { get; }

    /// <summary>The scale, or null.</summary>
    public Parameter? Weight => Param("weight");

    /// <summary>Same shape in and out.</summary>
    public override Tensor Forward(Tensor input) => F.RmsNorm(input, NormalizedShape, Weight, Eps);

    protected override string ExtraRepr() => $"({string.Join(", ", NormalizedShape)}), eps={Eps?.ToString() ?? "None"}";
}

/// <summary>
/// Batch normalisation over channels (dimension 1) with running statistics; <see cref="BatchNorm1d"/> takes
/// [batch, C] or [batch, C, L], <see cref="BatchNorm2d"/> takes [batch, C, H, W].
/// </summary>
public abstract class BatchNormNd : Module<Tensor, Tensor>
{
    private readonly int[] _inputDims;

    private protected BatchNormNd(int[] inputDims, long numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType? dtype, Device? device)
    {
        _inputDims = inputDims;
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Init.Ones_(RegisterParameter("weight", NewParameter([numFeatures], dtype, device)));
            Init.Zeros_(RegisterParameter("bias", NewParameter([numFeatures], dtype, device)));
        }
        if (!trackRunningStats) return;
        RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype, device));
        RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype, device));
        RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64, device));
    }

    /// <summary>Channels.</summary>
    public long NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Weight of the newest batch in the running statistics; null for a cumulative average.</summary>
    public double? Momentum { get; }

    /// <summary>The scale, or null.</summary>
    public Parameter? Weight => Param("weight");

    /// <summary>The shift, or null.</summary>
    public Parameter? Bias => Param("bias");

    /// <summary>Running mean per channel (null when statistics are not tracked).</summary>
    public Tensor? RunningMean => Buffer("running_mean");

    /// <summary>Running (unbiased) variance per channel.</summary>
    public Tensor? RunningVar => Buffer("running_var");

    /// <summary>Batches seen in training.</summary>
    public Tensor? NumBatchesTracked => Buffer("num_batches_tracked");

    /// <summary>Normalises with batch statistics in training (updating the running ones), running statistics in evaluation.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (!_inputDims.Contains(input.Dim) || input.Size(1) != NumFeatures)
            throw new ArgumentException($"{GetType().Name}({NumFeatures}) expects {string.Join(" or ", _inputDims.Select(d => d + "-D"))} input with {NumFeatures} channels in dimension 1, got {input.ShapeString}", nameof(input));
        var mean = RunningMean;
        var variance = RunningVar;
        double momentum = Momentum ?? 0;
        if (Training && NumBatchesTracked is { } count)
        {
            using (NoGrad()) count.Add_(1);
            if (Momentum is null) momentum = 1.0 / count.Item<long>();
        }
        return F.BatchNorm(input, mean, variance, Weight, Bias, Training || mean is null, momentum, Eps);
    }

    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={Momentum?.ToString() ?? "None"}";
}

/// <summary>Batch normalisation of [batch, C] or [batch, C, L].</summary>
public sealed class BatchNorm1d : BatchNormNd
{
    /// <summary>Creates the layer (weight ones, bias zeros, running mean 0 and variance 1).</summary>
    public BatchNorm1d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType? dtype = null, Device? device = null)
        : base([2, 3], numFeatures, eps, momentum, affine, trackRunningStats, dtype, device) { }
}

/// <summary>Batch normalisation of [batch, C, H, W].</summary>
public sealed class BatchNorm2d : BatchNormNd
{
    /// <summary>Creates the layer (weight ones, bias zeros, running mean 0 and variance 1).</summary>
    public BatchNorm2d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType? dtype = null, Device? device = null)
        : base([4], numFeatures, eps, momentum, affine, trackRunningStats, dtype, device) { }
}

/// <summary>Group normalisation (Wu &amp; He, 2018): channels split into groups normalised per sample.</summary>
public sealed class GroupNorm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer (weight ones, bias zeros).</summary>
    public GroupNorm(long numGroups, long numChannels, double eps = 1e-5, bool affine = true, DType? dtype = null, Device? device = null)
    {
        if (numGroups <= 0) throw new ArgumentOutOfRangeException(nameof(numGroups), numGroups, "GroupNorm needs at least one group");
        if (numChannels % numGroups != 0) throw new ArgumentException($"{numChannels} channels cannot be split into {numGroups} groups");
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        if (!affine) return;
        Init.Ones_(RegisterParameter("weight", NewParameter([numChannels], dtype, device)));
        Init.Zeros_(RegisterParameter("bias", NewParameter([numChannels], dtype, device)));
    }

    /// <summary>Number of groups.</summary>
    public long NumGroups { get; }

    /// <summary>Number of channels.</summary>
    public long NumChannels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The scale, or null.</summary>
    public Parameter? Weight => Param("weight");

    /// <summary>The shift, or null.</summary>
    public Parameter? Bias => Param("bias");

    /// <summary>[batch, C, ...] → same shape.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim < 2 || input.Size(1) != NumChannels)
            throw new ArgumentException($"GroupNorm({NumGroups}, {NumChannels}) expects input [batch, {NumChannels}, ...], got {input.ShapeString}", nameof(input));
        return F.GroupNorm(input, NumGroups, Weight, Bias, Eps);
    }

    protected override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={Eps}";
}
