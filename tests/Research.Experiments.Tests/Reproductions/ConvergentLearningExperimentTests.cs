using Research.Experiments.Reproductions;
using Research.Models.Dynamics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class ConvergentLearningExperimentTests
{
    [Fact]
    public void RegistryListsConvergentLearningAsRepresentationGeometry()
    {
        var experiment = ExperimentRegistry.Find("convergent-learning");
        Assert.IsType<ConvergentLearningExperiment>(experiment);
        Assert.Equal("representation geometry & learning dynamics", experiment.Family);
    }

    [Fact]
    public void DeadUnitsAreNotCountedAsUnshared()
    {
        var layer = new LayerMatch([0.95, 0.3, 0.0, 0.8], [0.95, 0.4, 0.0, 0.8], 0.1, [true, true, false, true]);
        Assert.Equal(1.0 / 3, layer.LiveFractionBelow(0.5), 12);                 // 0.3 of three live units; the dead 0.0 is left out
        Assert.Equal(0.25, layer.FractionAtLeast(0.9), 12);
        Assert.Equal(0.5125, layer.MeanMatched, 12);
    }

    [Fact]
    public void ANetworkComparedWithItselfMatchesEveryLiveUnitPerfectly()
    {
        using var scope = NewScope();
        ManualSeed(7);
        using var net = ConvergentLearningExperiment.Network(3);
        var x = Tensor.RandN([200, 64]);
        var layers = ConvergentLearningExperiment.Compare(net, net, x);
        Assert.Equal(ConvergentLearningExperiment.Layers, layers.Length);
        foreach (var (r, assignment, match) in layers)
        {
            Assert.Equal(64, assignment.Length);
            for (int i = 0; i < 64; i++)
                if (match.Live[i]) Assert.Equal(1.0, match.Matched[i], 9);
            Assert.Equal(0, match.LiveFractionBelow(0.5));
        }
    }
}
