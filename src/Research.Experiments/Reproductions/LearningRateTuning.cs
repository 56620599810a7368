namespace Research.Experiments.Reproductions;

/// <summary>One trained configuration: its validation score (used for tuning) and its test score (used for the claim).</summary>
public sealed record ScoredRun(double Validation, double Test);

/// <summary>What <see cref="LearningRateTuning.Run"/> found for every model.</summary>
/// <param name="Chosen">The learning rate picked per model (best validation score on the first seed).</param>
/// <param name="Sweep">Per model, the first seed's validation score of every learning rate tried.</param>
/// <param name="Test">Per model, the test score over all seeds at its chosen learning rate (seed order).</param>
public sealed record TuningOutcome(
    IReadOnlyDictionary<string, double> Chosen,
    IReadOnlyDictionary<string, IReadOnlyDictionary<double, double>> Sweep,
    IReadOnlyDictionary<string, SeedSummary> Test);

/// <summary>
/// The same tuning effort for every model: on the first seed each model is trained at every learning rate of the sweep
/// and the one with the best <b>validation</b> score is chosen; the remaining seeds train each model at its chosen rate.
/// The claim then reads the <b>test</b> scores of all seeds, which played no part in the choice.
/// </summary>
public static class LearningRateTuning
{
    /// <summary>
    /// Runs the protocol. <paramref name="train"/> trains the given (model, learning rate) configurations of one seed side by
    /// side (same batches) and returns their scores in the same order.
    /// </summary>
    public static TuningOutcome Run(IReadOnlyList<string> models, IReadOnlyList<double> learningRates, IReadOnlyList<ulong> seeds,
        Func<ulong, IReadOnlyList<(string Model, double LearningRate)>, IReadOnlyList<ScoredRun>> train, bool higherIsBetter)
    {
        if (models.Count == 0 || learningRates.Count == 0 || seeds.Count == 0)
            throw new ArgumentException("tuning needs at least one model, learning rate and seed");
        var first = models.SelectMany(m => learningRates.Select(lr => (m, lr))).ToArray();
        var scores = train(seeds[0], first);
        var sweep = models.ToDictionary(m => m, m => (IReadOnlyDictionary<double, double>)first.Select((c, i) => (c, i))
            .Where(x => x.c.m == m).ToDictionary(x => x.c.lr, x => scores[x.i].Validation));
        var chosen = models.ToDictionary(m => m, m =>
        {
            var byLr = sweep[m].Where(kv => double.IsFinite(kv.Value)).ToArray();
            if (byLr.Length == 0) return learningRates[0];
            return higherIsBetter ? byLr.MaxBy(kv => kv.Value).Key : byLr.MinBy(kv => kv.Value).Key;
        });
        var tests = models.ToDictionary(m => m, m => new List<double> { scores[Array.IndexOf(first, (m, chosen[m]))].Test });
        foreach (var seed in seeds.Skip(1))
        {
            var configs = models.Select(m => (m, chosen[m])).ToArray();
            var more = train(seed, configs);
            for (int i = 0; i < configs.Length; i++) tests[configs[i].m].Add(more[i].Test);
        }
        return new TuningOutcome(chosen, sweep, tests.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value)));
    }
}
