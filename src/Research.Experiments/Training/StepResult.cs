using Research.Torch;

namespace Research.Experiments;

/// <summary>
/// What one training step reports: its loss (optional: local-learning rules may have several, reported in
/// <see cref="Metrics"/>) and any other scalars. Names without a slash are recorded under "train/".
/// </summary>
public sealed record StepResult(double? Loss = null, IReadOnlyDictionary<string, double>? Metrics = null)
{
    /// <summary>A result from a scalar loss tensor (reads its value).</summary>
    public static StepResult From(Tensor loss, IReadOnlyDictionary<string, double>? metrics = null) => new(loss.Item<float>(), metrics);
}
