namespace Research.Experiments;

/// <summary>How training ended.</summary>
public enum TrainingStatus
{
    /// <summary>All steps done.</summary>
    Completed,
    /// <summary>The monitored metric stopped improving.</summary>
    EarlyStopped,
    /// <summary>Cancelled or interrupted; a checkpoint was saved.</summary>
    Interrupted,
    /// <summary>A NaN or Inf appeared; the last good checkpoint was kept and nothing was saved after it.</summary>
    NonFinite,
}

/// <summary>What <see cref="Trainer.Fit{TBatch}"/> returns.</summary>
/// <param name="Status">How training ended.</param>
/// <param name="Steps">Steps completed (including those before a resume).</param>
/// <param name="Message">A human-readable account (for NaN: the step and the offending tensor).</param>
/// <param name="FinalMetrics">The last value of every metric.</param>
/// <param name="BestValue">Best value of the monitored metric.</param>
/// <param name="BestStep">Step of <paramref name="BestValue"/>.</param>
/// <param name="LastCheckpoint">The newest good checkpoint, or null without a store.</param>
/// <param name="Seconds">Wall time of this call.</param>
/// <param name="FailedStep">For <see cref="TrainingStatus.NonFinite"/>: the step index that produced it.</param>
/// <param name="FailedTensor">For <see cref="TrainingStatus.NonFinite"/>: "loss", a metric name, "grad of NAME" or "NAME".</param>
public sealed record TrainingResult(
    TrainingStatus Status,
    long Steps,
    string Message,
    IReadOnlyDictionary<string, double> FinalMetrics,
    double? BestValue,
    long BestStep,
    CheckpointInfo? LastCheckpoint,
    double Seconds,
    long? FailedStep = null,
    string? FailedTensor = null);
