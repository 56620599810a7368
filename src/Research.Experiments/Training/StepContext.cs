using Research.Torch;
using static Research.Torch.Torch;

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

    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> so their joint L2 norm is at most <paramref name="maxNorm"/>
    /// (default: the trainer's ClipGradNorm; no limit if neither is set) and returns the norm before clipping,
    /// which is also recorded as "train/grad_norm". Call between backward and the update.
    /// </summary>
    public double ClipGradNorm(IEnumerable<Tensor> parameters, double? maxNorm = null)
    {
        var limit = maxNorm ?? ClipNorm;
        using var scope = NewScope();
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        using var grad = NoGrad();
        var squares = grads.Select(g => g.Double().Square().Sum()).ToArray();
        double total = Math.Sqrt(Tensor.Stack(squares).Sum().Item<double>());
        if (limit is { } max && total > max)
            foreach (var g in grads) g.Mul_(max / (total + 1e-6));
        Extra["train/grad_norm"] = total;
        return total;
    }
}
