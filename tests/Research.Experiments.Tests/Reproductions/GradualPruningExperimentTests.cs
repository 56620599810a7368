using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Compression;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class GradualPruningExperimentTests
{
    [Fact]
    public void RegistryListsGradualPruningAsCompression()
    {
        var experiment = ExperimentRegistry.Find("gradual-pruning");
        Assert.IsType<GradualPruningExperiment>(experiment);
        Assert.Equal("compression, pruning & quantization", experiment.Family);
    }

    [Fact]
    public void ParameterCountsMatchTheModels()
    {
        long[] hidden = [20, 12, 9];
        using var mlp = GradualPruningExperiment.Mlp(64, hidden, 10);
        Assert.Equal(mlp.ParameterCount(), GradualPruningExperiment.DenseParameters(64, hidden, 10));

        // Pruning every weight matrix to 80 % leaves exactly the predicted non-zeros (biases stay dense).
        var pruner = new MagnitudePruner(mlp);
        pruner.Prune(0.8);
        Assert.Equal(GradualPruningExperiment.PrunedNonzeros(64, hidden, 10, 0.8), MagnitudePruner.CountNonzero(mlp));

        long nonzeros = GradualPruningExperiment.PrunedNonzeros(64, [128, 128, 128], 10, 0.9);
        long w = GradualPruningExperiment.MatchingWidth(64, 3, 10, nonzeros);
        Assert.True(GradualPruningExperiment.DenseParameters(64, [w, w, w], 10) >= nonzeros);
        Assert.True(GradualPruningExperiment.DenseParameters(64, [w - 1, w - 1, w - 1], 10) < nonzeros);
    }

    [Fact]
    public void ScheduleSpansTheConfiguredPartOfTraining()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu })
        {
            var s = GradualPruningSettings.For(scale);
            int batches = s.BatchesPerEpoch(1437);                       // digits: 1797 rows, 20 % held out
            long steps = (long)s.Epochs * batches;
            var schedule = s.Schedule(s.Sparsity, batches);
            Assert.Equal(Math.Round(s.PruneStart * steps), schedule.StartStep);
            Assert.InRange(schedule.EndStep, s.PruneEnd * steps - schedule.Frequency, s.PruneEnd * steps);
            Assert.Equal(s.Sparsity, schedule.SparsityAt(steps - 1));
            Assert.Contains(s.Sparsity, s.Sweep);
        }
    }

    [Fact]
    public void TraineeStepsKeepPrunedWeightsAtZero()
    {
        using var data = ClassificationSplit.Create(Sklearn.Digits(), 0.2, seed: 3);
        var schedule = new GradualSparsitySchedule(0.8, startStep: 2, frequency: 2, pruningSteps: 3);
        using var trainee = new PruningTrainee("t", data, [32, 32], schedule, batchSize: 64, learningRate: 3e-3, seed: 3);
        double first = trainee.Step(0, 3e-3), last = first;
        for (long t = 1; t < 40; t++)
        {
            last = trainee.Step(t, 3e-3);
            Assert.Equal(0, trainee.Pruner!.NonzeroPrunedWeights());
        }
        Assert.All(trainee.Pruner!.Layers, l => Assert.Equal(MagnitudePruner.PrunedCount(0.8, l.Count), l.Pruned));
        Assert.True(last < first);
        var (accuracy, loss) = trainee.Evaluate();
        Assert.InRange(accuracy, 0.25, 1);                                                      // well above chance (0.1) after 40 steps
        Assert.True(double.IsFinite(loss));
    }
}
