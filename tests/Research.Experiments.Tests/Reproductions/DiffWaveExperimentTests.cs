using Research.Experiments.Reproductions;
using Research.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class DiffWaveExperimentTests
{
    [Fact]
    public void RegistryListsDiffWave() => Assert.Equal("audio generation", ExperimentRegistry.Find("diffwave")?.Family);

    [Theory]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void CpuAndGpuSweepThreeLearningRatesAndTrainTheControl(Scale scale)
    {
        var s = DiffWaveSettings.For(scale);
        Assert.Equal(3, s.LearningRates.Distinct().Count());
        Assert.True(s.MinPitchGain > 0);
        Assert.True(s.Seeds >= 3);
    }

    [Fact]
    public void ValidationAndHeldOutRenderingsAreOtherPhasesOfTheSameNote()
    {
        var s = DiffWaveSettings.For(Scale.Cpu);
        for (int c = 0; c < s.Classes; c++)
        {
            var clips = new[] { DiffWaveRendering.Training, DiffWaveRendering.Validation, DiffWaveRendering.HeldOut }
                .Select(r => DiffWaveExperiment.Render(s, c, 1.0, r).Samples).ToArray();
            for (int a = 0; a < clips.Length; a++)
                for (int b = a + 1; b < clips.Length; b++)
                    Assert.True(clips[a].Zip(clips[b], (x, y) => Math.Abs(x - y)).Max() > 0.01, $"class {c}: renderings {a} and {b} coincide");
            using var waves = Tensor.From(clips.SelectMany(w => w).ToArray(), clips.Length, clips[0].Length);
            var pitches = DiffWaveExperiment.EstimatePitches(waves, s.SampleRate, 0.6 * s.Pitches.Min(), 1.6 * s.Pitches.Max());
            Assert.All(pitches, p => Assert.InRange(Math.Abs(12 * Math.Log2(p / s.PitchOf(c))), 0, 0.5));
        }
    }

    [Fact]
    public void EveryModelGetsTheSweepOnTheFirstSeedAndKeepsItsBestValidationRate()
    {
        var s = DiffWaveSettings.For(Scale.Smoke) with
        {
            LearningRates = [1e-3, 4e-3], TrainSteps = 4, Seeds = 2, ListenSeconds = 0.05, MinPitchGain = 0.01,
        };
        var root = Directory.CreateTempSubdirectory("diffwave-tuning-").FullName;
        try
        {
            var (result, _) = ExperimentRunner.Run(new DiffWaveExperiment(_ => s), Scale.Smoke, Device.CPU, root: root);
            var o = result.OutcomeAs<DiffWaveOutcome>();
            Assert.Equal([DiffWaveExperiment.Model, DiffWaveExperiment.Control], o.Tuning.Chosen.Keys.Order(StringComparer.Ordinal));
            foreach (var (model, lr) in o.Tuning.Chosen)
            {
                Assert.Equal(s.LearningRates, o.Tuning.Sweep[model].Keys.Order());
                Assert.Equal(o.Tuning.Sweep[model].MinBy(kv => kv.Value).Key, lr);
                Assert.Equal(s.Seeds, o.EpsilonMse[model].Count);
            }
            Assert.Equal(s.Seeds, o.PitchAccuracy[DiffWaveExperiment.Control].Count);
            Assert.Equal(o.Parameters, o.ControlParameters);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
