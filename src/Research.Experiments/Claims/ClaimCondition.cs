namespace Research.Experiments;

/// <summary>
/// One condition of a claim check: the quantity, what was measured, the relation and threshold it had to meet, whether
/// it held, the margin by which it did (positive = on the claimed side, in the quantity's units) and a readable line.
/// </summary>
/// <param name="Quantity">What was measured, e.g. "DFA − readout-only training loss (nats)".</param>
/// <param name="Measured">The measured value (the mean over seeds where seeds were run); null for a yes/no condition.</param>
/// <param name="Relation">"≥", "≤" or "" for a yes/no condition.</param>
/// <param name="Threshold">The threshold from the paper's claim; null for a yes/no condition.</param>
/// <param name="Holds">True when the measured value is on the claimed side.</param>
/// <param name="Text">The line a reader sees, e.g. "DFA accuracy gap 0.4 ± 0.3 points ≤ 3 (margin 2.6) ✓".</param>
public sealed record ClaimCondition(string Quantity, double? Measured, string Relation, double? Threshold, bool Holds, string Text)
{
    /// <summary>How far on the claimed side of the threshold the measurement is (negative when it fails); null for yes/no.</summary>
    public double? Margin => Measured is { } m && Threshold is { } t ? Relation == "≥" ? m - t : t - m : null;

    /// <summary>For a condition over seeds: the value of every seed, in seed order (null otherwise).</summary>
    public IReadOnlyList<double>? PerSeed { get; init; }

    /// <summary>For a condition over seeds: the sample standard deviation across seeds (null otherwise).</summary>
    public double? Spread { get; init; }

    /// <summary>For a condition over seeds: how many seeds are individually on the claimed side (null otherwise).</summary>
    public int? Wins { get; init; }

    /// <summary>For a condition over seeds: how many seeds had to be on the claimed side (null otherwise).</summary>
    public int? RequiredWins { get; init; }
}
