using Research.Experiments.Reproductions;
using Research.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class PeriodWaveExperimentTests
{
    [Fact]
    public void CpuSweepsTheSameFourRatesForAllThreeEstimatorsOverFiveSeeds()
    {
        var s = PeriodWaveSettings.For(Scale.Cpu);
        Assert.Equal([1e-3, 3e-3, 1e-2, 3e-2], s.LearningRates);
        Assert.True(s.Compare);
        Assert.Equal(5, s.Seeds);
        Assert.Equal(0.95, s.MaxLossRatio);
        Assert.Equal(1.0, s.MinHnrGain);
    }

    [Fact]
    public void EveryEstimatorIncludingTheControlGetsTheSweepOnTheFirstSeedAndKeepsItsBestValidationRate()
    {
        var s = PeriodWaveSettings.For(Scale.Smoke) with
        {
            Steps = 2, LearningRates = [1e-3, 1e-2], Seeds = 2, EulerSteps = [1], MaxLossRatio = 0.95, MinHnrGain = 1.0,
        };
        var root = Directory.CreateTempSubdirectory("periodwave-tuning-").FullName;
        try
        {
            var (result, _) = ExperimentRunner.Run(new PeriodWaveExperiment(_ => s), Scale.Smoke, Device.CPU, root: root);
            var o = result.OutcomeAs<PeriodWaveOutcome>();
            string[] models = [PeriodWaveExperiment.PeriodAware, PeriodWaveExperiment.Plain, PeriodWaveExperiment.Control];
            Assert.Equal(models.Order(StringComparer.Ordinal), o.ChosenRate.Keys.Order(StringComparer.Ordinal));
            foreach (var m in models)
            {
                Assert.Equal(s.LearningRates, o.Sweep[m].Keys.Order());
                Assert.Equal(o.Sweep[m].MinBy(kv => kv.Value).Key, o.ChosenRate[m]);
                Assert.Equal(s.Seeds, o.HeldOutLoss[m].Count);
                string key = m.Replace(' ', '_');
                Assert.Equal(o.ChosenRate[m], result.Metrics[$"{key}/learning_rate"]);
                Assert.Equal(o.Sweep[m][1e-2], result.Metrics[$"{key}/validation_loss@0.01"]);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
