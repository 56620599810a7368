using System.Globalization;

namespace Research.Experiments;

/// <summary>
/// Collects the conditions of a paper's claim, each with its measurement and threshold, and turns them into an
/// <see cref="ExperimentResult"/>. Conditions over seeds take a <see cref="SeedSummary"/> and require both the mean on
/// the claimed side and a number of per-seed wins, as ../shared/reproduction.md asks.
/// <code>
/// var check = new ClaimCheck()
///     .AtMost("backprop − DFA test accuracy (points)", gap, 3)
///     .AtLeast("readout-only − DFA training loss (nats)", lossGap, 0.1, minSeeds: 5);
/// return check.Result(metrics, outcome: trained);
/// </code>
/// </summary>
public sealed class ClaimCheck
{
    private readonly List<ClaimCondition> _conditions = new();

    /// <summary>The conditions added so far, in order.</summary>
    public IReadOnlyList<ClaimCondition> Conditions => _conditions;

    /// <summary>True when every condition holds (and there is at least one).</summary>
    public bool Holds => _conditions.Count > 0 && _conditions.All(c => c.Holds);

    /// <summary>Requires <paramref name="measured"/> ≥ <paramref name="threshold"/>.</summary>
    public ClaimCheck AtLeast(string quantity, double measured, double threshold, string format = "G4") =>
        Compare(quantity, measured, "≥", threshold, measured >= threshold, Format(measured, format), format);

    /// <summary>Requires <paramref name="measured"/> ≤ <paramref name="threshold"/>.</summary>
    public ClaimCheck AtMost(string quantity, double measured, double threshold, string format = "G4") =>
        Compare(quantity, measured, "≤", threshold, measured <= threshold, Format(measured, format), format);

    /// <summary>
    /// Requires the mean over seeds ≥ <paramref name="threshold"/> and at least <paramref name="minSeeds"/> seeds
    /// (default: all) individually ≥ it.
    /// </summary>
    public ClaimCheck AtLeast(string quantity, SeedSummary measured, double threshold, int? minSeeds = null, string format = "G4") =>
        OverSeeds(quantity, measured, "≥", threshold, measured.Values.Count(v => v >= threshold), minSeeds, format);

    /// <summary>
    /// Requires the mean over seeds ≤ <paramref name="threshold"/> and at least <paramref name="minSeeds"/> seeds
    /// (default: all) individually ≤ it.
    /// </summary>
    public ClaimCheck AtMost(string quantity, SeedSummary measured, double threshold, int? minSeeds = null, string format = "G4") =>
        OverSeeds(quantity, measured, "≤", threshold, measured.Values.Count(v => v <= threshold), minSeeds, format);

    /// <summary>A yes/no condition, e.g. "measured receptive field = 1 + 2(k−1)(2^L − 1)", with what was measured.</summary>
    public ClaimCheck That(string statement, bool holds, string measured)
    {
        _conditions.Add(new ClaimCondition(statement, null, "", null, holds, $"{statement}: {measured} {Mark(holds)}"));
        return this;
    }

    /// <summary>The conditions as lines, one per condition, each ending in ✓ or ✗.</summary>
    public string Detail => string.Join("; ", _conditions.Select(c => c.Text));

    /// <summary>
    /// The experiment's result: holds when every condition does; <paramref name="metrics"/> gain
    /// <c>claim/&lt;i&gt;_margin</c> per numeric condition; <paramref name="outcome"/> is what notebooks draw from.
    /// </summary>
    public ExperimentResult Result(IReadOnlyDictionary<string, double> metrics, TrainingResult? training = null, object? outcome = null)
    {
        var all = new Dictionary<string, double>(metrics);
        for (int i = 0; i < _conditions.Count; i++)
            if (_conditions[i].Margin is { } margin) all[$"claim/{i}_margin"] = margin;
        return new ExperimentResult(Holds, Detail, all, training) { Conditions = _conditions.ToArray(), Outcome = outcome };
    }

    private ClaimCheck OverSeeds(string quantity, SeedSummary measured, string relation, double threshold, int wins, int? minSeeds, string format)
    {
        int required = Math.Clamp(minSeeds ?? measured.Count, 0, measured.Count);
        bool meanHolds = relation == "≥" ? measured.Mean >= threshold : measured.Mean <= threshold;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{measured.ToString(format, null)}, {wins}/{measured.Count} seeds {relation} {Format(threshold, format)} (required {required})");
        Compare(quantity, measured.Mean, relation, threshold, meanHolds && wins >= required, text, format);
        _conditions[^1] = _conditions[^1] with { PerSeed = measured.Values.ToArray(), Spread = measured.Spread, Wins = wins, RequiredWins = required };
        return this;
    }

    private ClaimCheck Compare(string quantity, double measured, string relation, double threshold, bool holds, string measuredText, string format)
    {
        double margin = relation == "≥" ? measured - threshold : threshold - measured;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{quantity}: {measuredText} {relation} {Format(threshold, format)} (margin {Format(margin, format)}) {Mark(holds)}");
        _conditions.Add(new ClaimCondition(quantity, measured, relation, threshold, holds && !double.IsNaN(measured), text));
        return this;
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Mark(bool holds) => holds ? "✓" : "✗";
}
