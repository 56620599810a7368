using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class PgnExperimentTests
{
    [Fact]
    public void RegistryListsPgnAsSequenceModels()
    {
        var experiment = ExperimentRegistry.Find("pgn");
        Assert.IsType<PgnExperiment>(experiment);
        Assert.Equal("sequence models", experiment.Family);
    }

    [Fact]
    public void AllForecastersHaveTheSameParametersWithinTenPercentAndTheSameSweep()
    {
        using var pgn = PgnExperiment.Create("pgn");
        Assert.Equal(3, PgnExperiment.Models.Length);
        foreach (var m in PgnExperiment.Models)
        {
            using var model = PgnExperiment.Create(m.Name);
            Assert.Equal(m.Parameters, model.ParameterCount());
            Assert.InRange(model.ParameterCount() / (double)pgn.ParameterCount(), 0.9, 1.1);
        }
        using var control = PgnExperiment.Create("pgn-local");
        Assert.Equal(PgnSettings.LocalHistory, control.Pgn!.History);
        Assert.Equal(PgnSettings.Window, pgn.Pgn!.History);
        foreach (var scale in new[] { Scale.Cpu, Scale.Gpu })
        {
            var s = PgnSettings.For(scale);
            Assert.True(s.Seeds >= 3 && s.LearningRates.Length >= 3 && s.CheckClaim, $"{scale}");
        }
    }

    [Fact]
    public void WindowsAreStandardisedAndTargetsContinueTheirInputs()
    {
        using var task = ForecastTask.Synthetic();
        var all = task.Train.SelectMany(s => s).ToArray();
        Assert.Equal(0, all.Average(), 9);
        Assert.Equal(1, Math.Sqrt(all.Select(v => v * v).Average()), 9);
        Assert.Equal([PgnSettings.Window], task.Test.Inputs.Shape[1..]);
        Assert.Equal([PgnSettings.Horizon], task.Test.Targets.Shape[1..]);
        using var batch = task.TrainBatch(4, 17);
        using var again = task.TrainBatch(4, 17);
        Assert.Equal(batch.Inputs.ToArray<float>(), again.Inputs.ToArray<float>());
        var x = batch.Inputs[0].ToArray<float>();
        var y = batch.Targets[0].ToArray<float>();
        var series = task.Train.First(s => Enumerable.Range(0, s.Length - x.Length).Any(t => (float)s[t] == x[0] && (float)s[t + 1] == x[1]));
        int start = Enumerable.Range(0, series.Length - x.Length).First(t => (float)series[t] == x[0] && (float)series[t + 1] == x[1]);
        Assert.Equal((float)series[start + PgnSettings.Window], y[0]);
    }
}
