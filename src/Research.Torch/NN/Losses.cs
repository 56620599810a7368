namespace Research.Torch.NN;

/// <summary>Mean squared error as a module.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of prediction against target.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.MseLoss(input, target, reduction);
}

/// <summary>Mean absolute error as a module.</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of prediction against target.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.L1Loss(input, target, reduction);
}

/// <summary>Huber loss as a module.</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of prediction against target.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.HuberLoss(input, target, reduction, delta);
}

/// <summary>Cross-entropy of logits as a module (class weights, ignored index, label smoothing).</summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of logits against class indices or probabilities.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.CrossEntropy(input, target, weight, ignoreIndex, reduction, labelSmoothing);
}

/// <summary>Negative log-likelihood as a module.</summary>
public sealed class NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of log-probabilities against class indices.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, weight, ignoreIndex, reduction);
}

/// <summary>Binary cross-entropy of probabilities as a module.</summary>
public sealed class BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of probabilities against targets in [0, 1].</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropy(input, target, weight, reduction);
}

/// <summary>Binary cross-entropy of logits as a module.</summary>
public sealed class BCEWithLogitsLoss(Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Loss of logits against targets in [0, 1].</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction);
}

/// <summary>KL divergence as a module (input log-probabilities).</summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>KL(target ‖ input).</summary>
    public override Tensor Forward(Tensor input, Tensor target) => F.KlDiv(input, target, reduction, logTarget);
}
