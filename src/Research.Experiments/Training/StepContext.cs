using Research.Torch;
using Research.Torch.Optim;

namespace Research.Experiments;

/// <summary>What the trainer tells a step function: which step, the scheduled learning rate, and helpers.</summary>
public sealed class StepContext
{
    internal StepContext(long step, double learningRate, ulong seed, double? clipNorm, CancellationToken cancellation)
    {
        Step = step;
        LearningRate = learningRate;
        Seed = seed;
        ClipNorm = clipNorm;
        Cancellation = cancellation;
    }

    /// <summary>Index of this step (= steps completed before it).</summary>
    public long Step { get; }

    /// <summary>The learning rate the schedule gives for this step.</summary>
    public double LearningRate { get; }

    /// <summary>The seed libtorch's generator was set to for this step (a function of the run seed and the step).</summary>
    public ulong Seed { get; }

    /// <summary>The configured gradient-norm limit, or null.</summary>
    public double? ClipNorm { get; }

    /// <summary>Cancelled when the run is asked to stop.</summary>
    public CancellationToken Cancellation { get; }

    internal Dictionary<string, double> Extra { get; } = new();

    /// <summary>Sets every parameter group of <paramref name="optimizer"/> to this step's <see cref="LearningRate"/>.</summary>
    public void ApplyLearningRate(Optimizer optimizer)
    {
        foreach (var g in optimizer.ParamGroups) g.LearningRate = LearningRate;
    }

    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> so their joint L2 norm is at most <paramref name="maxNorm"/>
    /// (default: the trainer's ClipGradNorm; no limit if neither is set) and returns the norm before clipping,
    /// which is also recorded as "train/grad_norm". Call between backward and the update.
    /// </summary>
    public double ClipGradNorm(IEnumerable<Tensor> parameters, double? maxNorm = null)
    {
        double total = GradClip.ClipGradNorm(parameters, maxNorm ?? ClipNorm ?? double.PositiveInfinity);
        Extra["train/grad_norm"] = total;
        return total;
    }
}
