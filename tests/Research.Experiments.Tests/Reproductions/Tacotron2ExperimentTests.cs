using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class Tacotron2ExperimentTests
{
    [Fact]
    public void RegistryListsTacotron2AsAudioGeneration()
    {
        var experiment = ExperimentRegistry.Find("tacotron2");
        Assert.IsType<Tacotron2Experiment>(experiment);
        Assert.Equal("audio generation", experiment.Family);
    }

    [Fact]
    public void BothAttentionsHaveTheSameParametersWithinTenPercentAndEveryScaleChecksSeeds()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = Tacotron2Settings.For(scale);
            using var location = Tacotron2Experiment.Create(s, location: true);
            using var content = Tacotron2Experiment.Create(s, location: false);
            Assert.InRange(content.ParameterCount() / (double)location.ParameterCount(), 0.9, 1.0);
            Assert.True(scale == Scale.Smoke || (s.Seeds >= 3 && s.CheckClaim), $"{scale}");
            Assert.True(scale != Scale.Cpu || s.Seeds >= 5, "cpu: margins below twice the seed spread need 5 seeds");
        }
    }

    [Fact]
    public void ClaimScalesSweepTheLearningRateOnValidationPhrases()
    {
        foreach (var scale in new[] { Scale.Cpu, Scale.Gpu })
        {
            var s = Tacotron2Settings.For(scale);
            Assert.True(s.LearningRates.Length >= 3 && s.LearningRates.Distinct().Count() == s.LearningRates.Length, $"{scale}");
            Assert.True(s.Validation > 0, $"{scale}");
        }
    }

    [Fact]
    public void StepLengthsRoundUpToWholeDecoderSteps()
    {
        using var scope = NewScope();
        var steps = Tacotron2Experiment.StepLengths(Tensor.From(new long[] { 6, 7, 1 }, 3), 3);
        Assert.Equal([2L, 3L, 1L], steps.ToArray<long>());
    }

    [Fact]
    public void SmokeRunWritesAClaimRecordWithItsConditions()
    {
        var root = Directory.CreateTempSubdirectory("tacotron2-test-").FullName;
        try
        {
            var (result, directory) = ExperimentRunner.Run(new Tacotron2Experiment(), Scale.Smoke, Device.CPU, root: root);
            var record = ClaimRecord.Read(directory);
            Assert.NotNull(record);
            Assert.Equal("tacotron2", record.Experiment);
            Assert.Equal(3, result.Conditions.Count);                      // two loss drops and the validity of the scores
            var o = result.OutcomeAs<Tacotron2Outcome>();
            Assert.Equal(o.TargetMel.Length, o.FreeRunningMel.Length);
            Assert.Equal(o.TargetWave.Length, o.GriffinLimFreeRunning.Length);
            Assert.Contains(o.Snapshots, a => a.Model == "content");
            var smoke = Tacotron2Settings.For(Scale.Smoke).LearningRates.Single();
            Assert.All(o.Chosen.Values, lr => Assert.Equal(smoke, lr));
            Assert.All(o.Snapshots, a => Assert.Equal(smoke, a.LearningRate));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
