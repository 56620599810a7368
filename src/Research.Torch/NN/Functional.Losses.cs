namespace Research.Torch.NN;

public static partial class F
{
    private static readonly Op s_mse = new("mse_loss"), s_l1 = new("l1_loss"), s_huber = new("huber_loss"), s_smoothL1 = new("smooth_l1_loss"),
        s_crossEntropy = new("cross_entropy_loss"), s_nll = new("nll_loss_nd"), s_bce = new("binary_cross_entropy"),
        s_bceLogits = new("binary_cross_entropy_with_logits"), s_klDiv = new("kl_div");

    private static void SameShape(string loss, Tensor input, Tensor target)
    {
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"{loss}: input {input.ShapeString} and target {target.ShapeString} must have the same shape", nameof(target));
    }

    /// <summary>Mean squared error (x − y)².</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("mse_loss", input, target);
        return s_mse.Call(input, target, (long)reduction);
    }

    /// <summary>Mean absolute error |x − y|.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("l1_loss", input, target);
        return s_l1.Call(input, target, (long)reduction);
    }

    /// <summary>Huber loss: quadratic below <paramref name="delta"/>, linear above.</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        SameShape("huber_loss", input, target);
        return s_huber.Call(input, target, (long)reduction, delta);
    }

    /// <summary>Smooth L1 loss (Huber divided by <paramref name="beta"/>).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        SameShape("smooth_l1_loss", input, target);
        return s_smoothL1.Call(input, target, (long)reduction, beta);
    }

    /// <summary>
    /// Cross-entropy of logits [batch, classes, ...] against class indices [batch, ...] (int64) or class
    /// probabilities (same shape as the input), with optional class weights, ignored index and label smoothing.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (labelSmoothing is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1]");
        CheckClassTarget("cross_entropy", input, target);
        return s_crossEntropy.Call(input, target, weight, (long)reduction, ignoreIndex, labelSmoothing);
    }

    /// <summary>Negative log-likelihood of log-probabilities [batch, classes, ...] at class indices [batch, ...].</summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        CheckClassTarget("nll_loss", input, target);
        return s_nll.Call(input, target, weight, (long)reduction, ignoreIndex);
    }

    private static void CheckClassTarget(string loss, Tensor input, Tensor target)
    {
        var i = input.Shape;
        var t = target.Shape;
        if (target.DType.IsFloatingPoint() && t.SequenceEqual(i)) return;
        bool ok = target.DType is DType.Int64 && (i.Length == 1 ? t.Length == 0 : t.Length == i.Length - 1 && t[0] == i[0] && t[1..].SequenceEqual(i[2..]));
        if (!ok)
            throw new ArgumentException($"{loss}: input {input.ShapeString} is [batch, classes, ...], so target must be int64 class indices [batch, ...] or probabilities of the input's shape; got {target.DType.Name()} {target.ShapeString}", nameof(target));
    }

    /// <summary>Binary cross-entropy of probabilities in [0, 1].</summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape("binary_cross_entropy", input, target);
        return s_bce.Call(input, target, weight, (long)reduction);
    }

    /// <summary>Binary cross-entropy of logits (numerically stable sigmoid + BCE), with an optional positive-class weight.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape("binary_cross_entropy_with_logits", input, target);
        return s_bceLogits.Call(input, target, weight, posWeight, (long)reduction);
    }

    /// <summary>KL divergence Σ target·(log target − input), <paramref name="input"/> being log-probabilities (and <paramref name="target"/> too when <paramref name="logTarget"/>).</summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        SameShape("kl_div", input, target);
        return s_klDiv.Call(input, target, (long)reduction, logTarget);
    }

    /// <summary>KL divergence summed and divided by the batch size (PyTorch's reduction='batchmean', the mathematically correct mean).</summary>
    public static Tensor KlDivBatchMean(Tensor input, Tensor target, bool logTarget = false)
    {
        using var sum = KlDiv(input, target, Reduction.Sum, logTarget);
        return sum / (double)(input.Dim == 0 ? 1 : input.Size(0));
    }
}
