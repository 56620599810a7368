using Research.Experiments.Reproductions;

namespace Research.Experiments.Tests.Reproductions;

public class FfPhysicalExperimentTests
{
    [Fact]
    public void RegistryListsFfPhysicalAsBackpropFreeLearning()
    {
        var experiment = ExperimentRegistry.Find("ff-physical");
        Assert.IsType<FfPhysicalExperiment>(experiment);
        Assert.Equal("backprop-free & local learning", experiment.Family);
    }

    [Fact]
    public void TheWaveMediumIsStableForTheLargestDrive()
    {
        // |s| ≤ A = 0.4 everywhere; the explicit scheme must stay bounded for the worst (alternating) drive.
        using var scope = Research.Torch.Torch.NewScope();
        var medium = FfPhysicalExperiment.Medium();
        var drive = Enumerable.Range(0, medium.Points).Select(i => i == 0 || i == medium.Points - 1 ? 0.0 : 0.4 * (i % 2 == 0 ? 1 : -1)).ToArray();
        var intensity = medium.Run(Research.Torch.Tensor.From(drive, 1, medium.Points));
        Assert.True(intensity.IsFinite().All().Item<bool>());
        Assert.True(intensity.Max().Item<double>() < 1.0);
    }

    private static FfPhysicalOutcome Outcome(double ff, double insilico, double readout)
    {
        double[][] Curves(double final, double delta) => Enumerable.Range(0, 3).Select(s => new[] { 0.1, final + delta * (s - 1) }).ToArray();
        var empty = new MediumFields(0, 1, [], [], [], []);
        var tuning = new TuningOutcome(new Dictionary<string, double>(), new Dictionary<string, IReadOnlyDictionary<double, double>>(),
            new Dictionary<string, SeedSummary>());
        return new FfPhysicalOutcome([0, 1, 2], [0, 100],
            new Dictionary<string, double[][]> { ["ff"] = Curves(ff, 0.01), ["insilico"] = Curves(insilico, 0.01), ["readout"] = Curves(readout, 0.01) },
            new Dictionary<string, double[]> { ["ff"] = [1, 1, 1], ["insilico"] = [1, 1, 1], ["readout"] = [1, 1, 1] },
            [], tuning, new Dictionary<string, long>(), empty);
    }

    [Fact]
    public void CheckNeedsBothTheLeadOverTheControlAndTheGapToBackprop()
    {
        Assert.True(FfPhysicalExperiment.Check(Scale.Cpu, Outcome(ff: 0.85, insilico: 0.88, readout: 0.75)).ClaimHolds);
        var controlLike = FfPhysicalExperiment.Check(Scale.Cpu, Outcome(ff: 0.78, insilico: 0.80, readout: 0.75));
        Assert.False(controlLike.Conditions[0].Holds);                      // only 3 points above the random features
        Assert.True(controlLike.Conditions[1].Holds);
        var farFromBackprop = FfPhysicalExperiment.Check(Scale.Cpu, Outcome(ff: 0.85, insilico: 0.92, readout: 0.70));
        Assert.True(farFromBackprop.Conditions[0].Holds);
        Assert.False(farFromBackprop.Conditions[1].Holds);                  // 7 points below backprop
    }
}
