namespace Research.Experiments.Tests.Claims;

public class ClaimCheckTests
{
    [Fact]
    public void SeedSummaryHasMeanSampleSpreadAndPerSeedWins()
    {
        var a = new SeedSummary([0.90, 0.92, 0.94]);
        var b = new SeedSummary([0.91, 0.90, 0.93]);
        Assert.Equal(0.92, a.Mean, 12);
        Assert.Equal(0.02, a.Spread, 12);                    // sample standard deviation (n − 1)
        Assert.Equal(2, a.WinsAbove(b));
        Assert.Equal(1, a.WinsBelow(b));
        Assert.Equal("0.920 ± 0.020 (3 seeds)", a.ToString("F3", null));
        Assert.Equal("[0.9, 0.92, 0.94]", a.PerSeed());
        Assert.Equal(0, new SeedSummary([1.5]).Spread);
        Assert.Throws<ArgumentException>(() => new SeedSummary([]));
        Assert.Throws<ArgumentException>(() => a.Minus(new SeedSummary([1.0])));
    }

    [Fact]
    public void ConditionsOverSeedsNeedTheMeanAndEnoughSeedsOnTheClaimedSide()
    {
        var gap = new SeedSummary([0.5, 0.6, -0.1, 0.4, 0.5]);          // mean 0.38, one seed below 0
        var holds = new ClaimCheck().AtLeast("gap", gap, 0, minSeeds: 4);
        Assert.True(holds.Holds);
        Assert.Equal(0.38, holds.Conditions[0].Margin!.Value, 12);
        Assert.Contains("4/5 seeds ≥ 0 (required 4)", holds.Conditions[0].Text);
        Assert.False(new ClaimCheck().AtLeast("gap", gap, 0).Holds);      // default: every seed
        Assert.False(new ClaimCheck().AtMost("gap", gap, 0.3, minSeeds: 1).Holds);   // the mean is above 0.3
    }

    [Fact]
    public void AResultHoldsOnlyWhenEveryConditionDoesAndCarriesMarginsAndOutcome()
    {
        var check = new ClaimCheck()
            .AtMost("error", 0.02, 0.05)
            .That("receptive field exact", true, "379 = 379")
            .AtLeast("speed-up", 1.5, 2);
        var result = check.Result(new Dictionary<string, double> { ["x"] = 1 }, outcome: "trained");
        Assert.False(result.ClaimHolds);
        Assert.Equal(3, result.Conditions.Count);
        Assert.Equal(0.03, result.Metrics["claim/0_margin"], 12);
        Assert.Equal(-0.5, result.Metrics["claim/2_margin"], 12);
        Assert.False(result.Metrics.ContainsKey("claim/1_margin"));
        Assert.Equal("trained", result.OutcomeAs<string>());
        Assert.Throws<InvalidOperationException>(() => result.OutcomeAs<int[]>());
        var e = Assert.Throws<ClaimNotHeldException>(result.EnsureHolds);
        Assert.Contains("speed-up: 1.5 ≥ 2 (margin -0.5) ✗", e.Message);
        Assert.StartsWith("claim does not hold", result.ToString());
    }

    [Fact]
    public void NaNNeverHoldsAndAnEmptyCheckDoesNotHold()
    {
        Assert.False(new ClaimCheck().AtMost("loss", double.NaN, 1).Holds);
        Assert.False(new ClaimCheck().AtLeast("loss", new SeedSummary([double.NaN, 1]), 0, minSeeds: 1).Holds);
        Assert.False(new ClaimCheck().Holds);
    }

    [Fact]
    public void SeedsByScaleStartAtTheRunSeedAndScalesParse()
    {
        using var dir = new TempDirectory();
        using var run = Run.Create("seeds", root: dir.Path, seed: 7);
        var context = new ExperimentContext(run, Scale.Cpu, Research.Torch.Device.CPU, seed: 7);
        Assert.Equal([7UL, 8UL, 9UL], context.Seeds(smoke: 1, cpu: 3, gpu: 5));
        Assert.Equal(Scale.Gpu, Scales.Parse(" GPU"));
        Assert.Throws<ArgumentException>(() => Scales.Parse("huge"));
    }
}
