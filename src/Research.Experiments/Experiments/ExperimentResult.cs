namespace Research.Experiments;

/// <summary>The outcome of an experiment: whether its claim held, why, and the measured numbers.</summary>
/// <param name="ClaimHolds">True when the measured quantity is on the claimed side of the threshold.</param>
/// <param name="Detail">The measurement against the threshold, e.g. "test accuracy 0.953 ≥ 0.90".</param>
/// <param name="Metrics">The measured quantities.</param>
/// <param name="Training">The trainer's result, when the experiment used one.</param>
public sealed record ExperimentResult(bool ClaimHolds, string Detail, IReadOnlyDictionary<string, double> Metrics, TrainingResult? Training = null);
