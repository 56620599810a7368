using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class GroupGrokkingExperimentTests
{
    [Fact]
    public void RegistryListsGroupGrokkingUnderLearningDynamics()
    {
        var experiment = ExperimentRegistry.Find("group-grokking");
        Assert.IsType<GroupGrokkingExperiment>(experiment);
        Assert.Equal("representation geometry & learning dynamics", experiment.Family);
    }

    [Fact]
    public void SplitCoversEveryPairOnceAndIsSeeded()
    {
        using var scope = NewScope();
        var group = GroupTables.CyclicAddition(7);
        using var a = GroupWordSplit.Create(group, 0.4, seed: 3);
        using var b = GroupWordSplit.Create(group, 0.4, seed: 3);
        using var c = GroupWordSplit.Create(group, 0.4, seed: 4);
        Assert.Equal(19, a.TrainRows);                                                        // ⌊0.4 · 49⌋
        Assert.Equal(30, a.TestRows);
        var pairs = a.TrainLeft.ToArray<long>().Zip(a.TrainRight.ToArray<long>()).Concat(a.TestLeft.ToArray<long>().Zip(a.TestRight.ToArray<long>())).ToList();
        Assert.Equal(49, pairs.Distinct().Count());
        var products = a.TrainProduct.ToArray<long>().Concat(a.TestProduct.ToArray<long>()).ToArray();
        for (int i = 0; i < pairs.Count; i++) Assert.Equal((pairs[i].First + pairs[i].Second) % 7, products[i]);
        Assert.Equal(a.TrainLeft.ToArray<long>(), b.TrainLeft.ToArray<long>());
        Assert.Equal(a.TrainRight.ToArray<long>(), b.TrainRight.ToArray<long>());
        Assert.NotEqual(a.TrainLeft.ToArray<long>().Zip(a.TrainRight.ToArray<long>()), c.TrainLeft.ToArray<long>().Zip(c.TrainRight.ToArray<long>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupWordSplit.Create(group, 1.0, seed: 0));
    }

    [Fact]
    public void SummaryReadsFitGrokPeakAndConcentrationOffTheHistory()
    {
        var history = new List<GrokkingPoint>
        {
            new(0, 0.02, 0.02, 4.0, 10, 0.10),
            new(50, 0.995, 0.05, 5.0, 30, 0.12),                                             // fit
            new(100, 1.0, 0.40, 3.0, 40, 0.30),                                              // norm peak
            new(150, 1.0, 0.92, 0.5, 36, 0.60),                                              // grok
            new(200, 1.0, 0.99, 0.1, 34, 0.70),
        };
        var g = GrokkingSummary.From(history);
        Assert.Equal(50, g.FitStep);
        Assert.Equal(150, g.GrokStep);
        Assert.Equal(3.0, g.Delay);
        Assert.Equal(100, g.PeakNormStep);
        Assert.Equal(1 - 34.0 / 40, g.NormDrop, 12);
        Assert.Equal(0.12, g.ConcentrationAtFit);
        Assert.Equal(0.70 / 0.12, g.ConcentrationGain, 12);

        var neverGrokked = GrokkingSummary.From(history.Select(p => p with { TestAccuracy = 0.1 }).ToList());
        Assert.Null(neverGrokked.GrokStep);
        Assert.True(double.IsNaN(neverGrokked.Delay));
    }
}
