using Research.Experiments.Reproductions;

namespace Research.Experiments.Tests.Reproductions;

public class LearningRateTuningTests
{
    [Fact]
    public void ChoosesByValidationOnTheFirstSeedAndReportsTestScoresOfEverySeed()
    {
        // Validation favours lr 0.01 for "a" and 0.001 for "b"; test scores encode (seed, lr) so the bookkeeping is visible.
        var calls = new List<(ulong Seed, string[] Configs)>();
        IReadOnlyList<ScoredRun> Train(ulong seed, IReadOnlyList<(string Model, double LearningRate)> configs)
        {
            calls.Add((seed, configs.Select(c => $"{c.Model}@{c.LearningRate}").ToArray()));
            return configs.Select(c => new ScoredRun(
                Validation: c.Model == "a" ? c.LearningRate : -c.LearningRate,
                Test: seed * 100 + c.LearningRate * 1000)).ToArray();
        }

        var outcome = LearningRateTuning.Run(["a", "b"], [0.001, 0.01], [7, 8, 9], Train, higherIsBetter: true);

        Assert.Equal(0.01, outcome.Chosen["a"]);
        Assert.Equal(0.001, outcome.Chosen["b"]);
        Assert.Equal(new[] { 7UL, 8UL, 9UL }, calls.Select(c => c.Seed));
        Assert.Equal(4, calls[0].Configs.Length);                                   // the sweep, on the first seed only
        Assert.Equal(new[] { "a@0.01", "b@0.001" }, calls[1].Configs);
        Assert.Equal(new[] { 710.0, 810, 910 }, outcome.Test["a"].Values);
        Assert.Equal(new[] { 701.0, 801, 901 }, outcome.Test["b"].Values);
        Assert.Equal(-0.01, outcome.Sweep["b"][0.01]);
    }

    [Fact]
    public void LowerIsBetterPicksTheSmallestValidationScore()
    {
        var outcome = LearningRateTuning.Run(["m"], [1, 2, 3], [0],
            (_, configs) => configs.Select(c => new ScoredRun(Math.Abs(c.LearningRate - 2), 0)).ToArray(), higherIsBetter: false);
        Assert.Equal(2, outcome.Chosen["m"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADivergedRateIsTheWorstWhateverTheDirection(bool higherIsBetter)
    {
        // The largest rates diverge (NaN, ±inf); each would win if compared as a number, so only 0.01 is a finite candidate.
        double[] rates = [0.001, 0.01, 0.03, 0.1, 0.3];
        double Validation(double lr) => lr switch
        {
            0.03 => double.NaN,
            0.1 => double.PositiveInfinity,
            0.3 => double.NegativeInfinity,
            _ => (higherIsBetter ? 1 : -1) * lr,
        };
        var outcome = LearningRateTuning.Run(["m"], rates, [0, 1],
            (_, configs) => configs.Select(c => new ScoredRun(Validation(c.LearningRate), c.LearningRate)).ToArray(), higherIsBetter);
        Assert.Equal(0.01, outcome.Chosen["m"]);
        Assert.Equal(new[] { 0.01, 0.01 }, outcome.Test["m"].Values);
        Assert.True(double.IsNaN(outcome.Sweep["m"][0.03]));                             // the sweep still reports the divergence
    }

    [Fact]
    public void WhenEveryRateDivergesTheSmallestIsKept()
    {
        var outcome = LearningRateTuning.Run(["m"], [0.001, 0.01], [0],
            (_, configs) => configs.Select(_ => new ScoredRun(double.NaN, double.NaN)).ToArray(), higherIsBetter: false);
        Assert.Equal(0.001, outcome.Chosen["m"]);
    }
}
