namespace Research.Experiments;

/// <summary>The outcome of an experiment: whether its claim held, why, and the measured numbers.</summary>
/// <param name="ClaimHolds">True when the measured quantity is on the claimed side of the threshold.</param>
/// <param name="Detail">The measurement against the threshold, e.g. "test accuracy 0.953 ≥ 0.90".</param>
/// <param name="Metrics">The measured quantities.</param>
/// <param name="Training">The trainer's result, when the experiment used one.</param>
public sealed record ExperimentResult(bool ClaimHolds, string Detail, IReadOnlyDictionary<string, double> Metrics, TrainingResult? Training = null)
{
    /// <summary>The claim's conditions one by one, when the experiment built its result with a <see cref="ClaimCheck"/>.</summary>
    public IReadOnlyList<ClaimCondition> Conditions { get; init; } = [];

    /// <summary>
    /// What the experiment produced beyond numbers (trained models, per-seed curves, images), typed by the experiment,
    /// for notebooks to draw: <c>result.OutcomeAs&lt;DfaOutcome&gt;()</c>.
    /// </summary>
    public object? Outcome { get; init; }

    /// <summary>The outcome as <typeparamref name="T"/>; throws when the experiment produced another type or none.</summary>
    public T OutcomeAs<T>() => Outcome is T typed ? typed
        : throw new InvalidOperationException($"the experiment's outcome is {Outcome?.GetType().Name ?? "null"}, not {typeof(T).Name}");

    /// <summary>Throws <see cref="ClaimNotHeldException"/> with the detail when the claim does not hold.</summary>
    public void EnsureHolds()
    {
        if (!ClaimHolds) throw new ClaimNotHeldException($"claim does not hold: {Detail}");
    }

    /// <summary>"claim holds" or "claim does not hold", then one line per condition (or the detail).</summary>
    public override string ToString() =>
        (ClaimHolds ? "claim holds" : "claim does not hold") + Environment.NewLine +
        (Conditions.Count > 0 ? string.Join(Environment.NewLine, Conditions.Select(c => "  " + c.Text)) : "  " + Detail);
}
