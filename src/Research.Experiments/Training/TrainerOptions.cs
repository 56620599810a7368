namespace Research.Experiments;

/// <summary>Whether a larger or a smaller monitored metric is better.</summary>
public enum MonitorMode
{
    /// <summary>Smaller is better (losses).</summary>
    Min,
    /// <summary>Larger is better (accuracies, PSNR).</summary>
    Max,
}

/// <summary>Settings of a <see cref="Trainer"/>. Changing them between a checkpoint and a resume is allowed.</summary>
public sealed record TrainerOptions
{
    /// <summary>Train until this many steps are done (counting steps before a resume).</summary>
    public long MaxSteps { get; init; } = 1000;

    /// <summary>The run seed: libtorch is reseeded from (Seed, step) before every step.</summary>
    public ulong Seed { get; init; }

    /// <summary>Reseed libtorch before every step with <see cref="Seeds.ForStep"/> (makes resumes bitwise exact on the CPU).</summary>
    public bool ReseedEveryStep { get; init; } = true;

    /// <summary>Open a dispose scope around every step, so its temporaries are freed (flat memory).</summary>
    public bool ScopePerStep { get; init; } = true;

    /// <summary>The learning rate per step, handed to the step as <see cref="StepContext.LearningRate"/> (default constant 1e-3).</summary>
    public Func<long, double> LearningRate { get; init; } = LearningRates.Constant(1e-3);

    /// <summary>Default limit for <see cref="StepContext.ClipGradNorm"/>.</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Evaluate every this many steps (0: only at the end, when an evaluator is given).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Save a periodic checkpoint every this many steps (0: none; a final one is always saved when a store exists).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Record step metrics every this many steps.</summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Check the loss, step metrics, state tensors and their gradients for NaN/Inf every this many steps (0: never).</summary>
    public int FiniteCheckEvery { get; init; } = 1;

    /// <summary>Metric that decides the best checkpoint and early stopping, e.g. "eval/accuracy".</summary>
    public string? Monitor { get; init; }

    /// <summary>Whether <see cref="Monitor"/> should go down or up.</summary>
    public MonitorMode MonitorMode { get; init; } = MonitorMode.Min;

    /// <summary>Stop after this many evaluations without improvement of <see cref="Monitor"/> (null: never).</summary>
    public int? Patience { get; init; }

    /// <summary>Smallest change of <see cref="Monitor"/> that counts as improvement.</summary>
    public double MinDelta { get; init; }

    /// <summary>
    /// Data-parallel training over this group (null: one process). Every rank runs the same step function: the trainer
    /// copies rank 0's state to all ranks, gives each rank its share of every batch (sources that implement
    /// <see cref="IShardedBatchSource{TBatch}"/>), averages gradients during each backward (c10d's reducer, as PyTorch's
    /// DistributedDataParallel), averages the recorded metrics over the ranks, and writes checkpoints on rank 0 only.
    /// </summary>
    public Research.Torch.Distributed.ProcessGroup? Group { get; init; }

    /// <summary>Stops training cleanly (a checkpoint is saved). <see cref="Research.Torch.Interrupt"/> is always observed too.</summary>
    public CancellationToken Cancellation { get; init; }
}
