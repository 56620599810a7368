namespace Research.Models.Compression;

/// <summary>
/// The gradual pruning schedule of Zhu &amp; Gupta (2017), "To prune, or not to prune: exploring the efficacy of pruning
/// for model compression": starting at step t₀ the weights are pruned every Δt steps, n times, to the sparsity
/// <code>
///   s_t = s_f + (s_i − s_f) · (1 − (t − t₀) / (n Δt))³      t ∈ {t₀, t₀ + Δt, …, t₀ + n Δt}
/// </code>
/// so that it rises fast while the network is redundant and slowly near the final sparsity s_f. Between pruning steps the
/// sparsity of the last one stays in force; before t₀ nothing is pruned (0), after t₀ + n Δt it is s_f.
/// </summary>
public sealed class GradualSparsitySchedule
{
    /// <summary>Creates the schedule; throws <see cref="ArgumentOutOfRangeException"/> for sparsities outside 0 ≤ s_i ≤ s_f ≤ 1, a negative start, Δt &lt; 1 or n &lt; 1.</summary>
    /// <param name="finalSparsity">s_f: the fraction of pruned weights from step t₀ + n Δt on.</param>
    /// <param name="startStep">t₀: the first pruning step.</param>
    /// <param name="frequency">Δt: steps between pruning steps.</param>
    /// <param name="pruningSteps">n: how many Δt intervals the sparsity takes to reach s_f (there are n + 1 pruning steps).</param>
    /// <param name="initialSparsity">s_i: the sparsity of the first pruning step (0 in the paper).</param>
    public GradualSparsitySchedule(double finalSparsity, long startStep, long frequency, long pruningSteps, double initialSparsity = 0)
    {
        if (!(initialSparsity >= 0 && initialSparsity <= 1))
            throw new ArgumentOutOfRangeException(nameof(initialSparsity), initialSparsity, "the initial sparsity must be in [0, 1]");
        if (!(finalSparsity >= initialSparsity && finalSparsity <= 1))
            throw new ArgumentOutOfRangeException(nameof(finalSparsity), finalSparsity, $"the final sparsity must be in [initial sparsity {initialSparsity}, 1]");
        if (startStep < 0) throw new ArgumentOutOfRangeException(nameof(startStep), startStep, "pruning cannot start before step 0");
        if (frequency < 1) throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "the pruning frequency Δt must be at least 1 step");
        if (pruningSteps < 1) throw new ArgumentOutOfRangeException(nameof(pruningSteps), pruningSteps, "n must be at least 1");
        InitialSparsity = initialSparsity;
        FinalSparsity = finalSparsity;
        StartStep = startStep;
        Frequency = frequency;
        PruningSteps = pruningSteps;
    }

    /// <summary>
    /// The schedule that prunes from <paramref name="startStep"/> to <paramref name="endStep"/> (inclusive) every
    /// <paramref name="frequency"/> steps: n = (end − start) / Δt, which must be a whole number ≥ 1.
    /// </summary>
    public static GradualSparsitySchedule Between(double finalSparsity, long startStep, long endStep, long frequency, double initialSparsity = 0)
    {
        if (frequency < 1) throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "the pruning frequency Δt must be at least 1 step");
        if (endStep <= startStep) throw new ArgumentOutOfRangeException(nameof(endStep), endStep, $"pruning must end after it starts (step {startStep})");
        if ((endStep - startStep) % frequency != 0)
            throw new ArgumentException($"the pruning window {startStep}..{endStep} is not a whole number of Δt = {frequency} steps", nameof(endStep));
        return new GradualSparsitySchedule(finalSparsity, startStep, frequency, (endStep - startStep) / frequency, initialSparsity);
    }

    /// <summary>s_i, the sparsity set at t₀.</summary>
    public double InitialSparsity { get; }

    /// <summary>s_f, the sparsity from <see cref="EndStep"/> on.</summary>
    public double FinalSparsity { get; }

    /// <summary>t₀, the first pruning step.</summary>
    public long StartStep { get; }

    /// <summary>Δt, steps between pruning steps.</summary>
    public long Frequency { get; }

    /// <summary>n, the number of Δt intervals from t₀ to the last pruning step.</summary>
    public long PruningSteps { get; }

    /// <summary>t₀ + n Δt, the last pruning step (where the sparsity reaches s_f).</summary>
    public long EndStep => StartStep + PruningSteps * Frequency;

    /// <summary>True when <paramref name="step"/> is one of t₀, t₀ + Δt, …, t₀ + n Δt.</summary>
    public bool IsPruningStep(long step) => step >= StartStep && step <= EndStep && (step - StartStep) % Frequency == 0;

    /// <summary>
    /// The target sparsity in force at <paramref name="step"/>: 0 before t₀, the cubic s_t of the latest pruning step
    /// t ≤ <paramref name="step"/> inside the window, s_f from t₀ + n Δt on.
    /// </summary>
    public double SparsityAt(long step)
    {
        if (step < StartStep) return 0;
        if (step >= EndStep) return FinalSparsity;
        long k = (step - StartStep) / Frequency;                       // pruning steps done: t = t₀ + k Δt
        double progress = (double)k / PruningSteps;                     // (t − t₀) / (n Δt)
        double remaining = 1 - progress;
        return FinalSparsity + (InitialSparsity - FinalSparsity) * remaining * remaining * remaining;
    }

    /// <summary>The n + 1 pruning steps and their sparsities, in order.</summary>
    public IEnumerable<(long Step, double Sparsity)> Points()
    {
        for (long k = 0; k <= PruningSteps; k++)
        {
            long t = StartStep + k * Frequency;
            yield return (t, SparsityAt(t));
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"cubic sparsity {InitialSparsity:0.###} → {FinalSparsity:0.###} over steps {StartStep}..{EndStep} every {Frequency}");
}
