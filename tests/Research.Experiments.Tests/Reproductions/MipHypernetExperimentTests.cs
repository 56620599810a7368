using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class MipHypernetExperimentTests
{
    [Fact]
    public void RegistryListsMipAsWeightSpaceAndHypernetworks()
    {
        var experiment = ExperimentRegistry.Find("mip-hypernet");
        Assert.IsType<MipHypernetExperiment>(experiment);
        Assert.Equal("weight-space & hypernetworks", experiment.Family);
    }

    [Fact]
    public void StepsToThresholdIsTheFirstCrossing()
    {
        var curve = new (long, double)[] { (0, 0.5), (10, 0.2), (20, 0.009), (30, 0.02), (40, 0.001) };
        Assert.Equal(20, MipHypernetExperiment.StepsToThreshold(curve, 0.01));
        Assert.Equal(0, MipHypernetExperiment.StepsToThreshold(curve, 0.5));
        Assert.Null(MipHypernetExperiment.StepsToThreshold(curve, 1e-4));
    }

    [Fact]
    public void LogLogSlopeReadsTheExponentOfAPowerLaw()
    {
        var gammas = MipHypernetExperiment.NormGammas();
        Assert.Equal(MipHypernetExperiment.NormGammaMin, gammas[0], 1e-12);
        Assert.Equal(1.0, gammas[^1], 1e-12);
        Assert.Equal(1.0, MipHypernetExperiment.LogLogSlope(gammas, gammas.Select(g => 3 * g).ToArray()), 1e-9);
        Assert.Equal(0.0, MipHypernetExperiment.LogLogSlope(gammas, gammas.Select(_ => 2.0).ToArray()), 1e-9);
        Assert.Equal(-0.5, MipHypernetExperiment.LogLogSlope(gammas, gammas.Select(g => 1 / Math.Sqrt(g)).ToArray()), 1e-9);
    }

    [Fact]
    public void EvaluationGridHoldsEveryTaskFromOneToThreeHalfPeriods()
    {
        using var scope = NewScope();
        var (gamma, x, y) = MipHypernetExperiment.EvaluationGrid();
        Assert.Equal([(long)MipHypernetExperiment.EvalConditions, 1], gamma.Shape);
        Assert.Equal([(long)MipHypernetExperiment.EvalConditions, MipHypernetExperiment.EvalPoints, 1], y.Shape);
        // γ = 0: sin(πx), γ = 1: sin(3πx)
        var expected0 = (x[0] * Math.PI).Sin();
        var expected1 = (x[^1] * (3 * Math.PI)).Sin();
        Assert.True((y[0] - expected0).Abs().Max().Item<float>() < 1e-5);
        Assert.True((y[^1] - expected1).Abs().Max().Item<float>() < 1e-5);
        Assert.Equal(0.5, y.Square().Mean().Item<float>(), 0.02);                    // the variance the MSE thresholds refer to
    }
}
