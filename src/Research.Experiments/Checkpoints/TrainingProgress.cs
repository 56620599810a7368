namespace Research.Experiments;

/// <summary>
/// Everything besides tensors that resuming needs (progress.json in a checkpoint): steps done, the seed (per-step
/// seeds and data order derive from seed and step), early-stopping and best-metric bookkeeping.
/// </summary>
public sealed record TrainingProgress(
    long Step,
    ulong Seed,
    double? BestValue = null,
    long BestStep = 0,
    int EvaluationsWithoutImprovement = 0,
    bool PartialStep = false,
    string? Note = null);
