using Research.Experiments.Reproductions;
using Research.Models.WeightSpace;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class OtFusionExperimentTests
{
    [Fact]
    public void RegistryListsOtFusionAsWeightSpaceAndHypernetworks()
    {
        var experiment = ExperimentRegistry.Find("ot-fusion");
        Assert.IsType<OtFusionExperiment>(experiment);
        Assert.Equal("weight-space & hypernetworks", experiment.Family);
    }

    [Fact]
    public void BarrierIsTheLargestRiseAboveTheLineBetweenTheEndpoints()
    {
        var flat = new[] { new PathPoint(0, 1, 0), new PathPoint(0.5, 1.5, 0), new PathPoint(1, 1, 0) };
        Assert.Equal(0.5, OtFusionExperiment.Barrier(flat), 12);
        // a straight line between unequal endpoints is no barrier (max loss − mean endpoint loss would say 0.5)
        var sloped = new[] { new PathPoint(0, 1, 0), new PathPoint(0.5, 1.5, 0), new PathPoint(1, 2, 0) };
        Assert.Equal(0, OtFusionExperiment.Barrier(sloped), 12);
        var dip = new[] { new PathPoint(0, 1, 0), new PathPoint(0.25, 2.5, 0), new PathPoint(0.5, 0.2, 0), new PathPoint(1, 3, 0) };
        Assert.Equal(1.0, OtFusionExperiment.Barrier(dip), 12);                   // 2.5 − 1.5 at t = ¼
        Assert.Equal(0.5, OtFusionExperiment.Midpoint(dip).T);
        Assert.Throws<ArgumentException>(() => OtFusionExperiment.Barrier([new PathPoint(0, 1, 0)]));
    }

    [Fact]
    public void PathEndpointsAreTheTwoNetworks()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var a = new ReluMlp([5, 8, 3]);
        using var b = new ReluMlp([5, 8, 3]);
        var x = Tensor.RandN([30, 5]);
        var y = Tensor.RandInt(0, 3, [30]);
        var path = OtFusionExperiment.InterpolationPath(a, b, x, y, 5);
        Assert.Equal([0, 0.25, 0.5, 0.75, 1], path.Select(p => p.T).ToArray());
        using (NoGrad())
        {
            Assert.Equal(F.CrossEntropy(a.Forward(x), y).Item<float>(), path[0].Loss, 6);
            Assert.Equal(F.CrossEntropy(b.Forward(x), y).Item<float>(), path[^1].Loss, 6);
            Assert.Equal(a.Forward(x).ArgMax(-1).Eq(y).Double().Mean().Item<double>(), path[0].Accuracy, 12);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => OtFusionExperiment.InterpolationPath(a, b, x, y, 1));
    }
}
