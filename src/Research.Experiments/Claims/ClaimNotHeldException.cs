namespace Research.Experiments;

/// <summary>Thrown by <see cref="ExperimentResult.EnsureHolds"/> when a paper's claim does not hold at the scale run.</summary>
public sealed class ClaimNotHeldException(string message) : Exception(message);
