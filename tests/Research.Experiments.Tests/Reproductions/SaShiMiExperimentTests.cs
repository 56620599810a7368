using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class SaShiMiExperimentTests
{
    [Fact]
    public void RegistryListsSaShiMiAsAudioGeneration()
    {
        var experiment = ExperimentRegistry.Find("sashimi");
        Assert.IsType<SaShiMiExperiment>(experiment);
        Assert.Equal("audio generation", experiment.Family);
    }

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    public void ModelsHaveEqualParametersAndGenerationCoversTenTrainingLengths(Scale scale)
    {
        var s = SaShiMiSettings.For(scale);
        using var sashimi = SaShiMiExperiment.Create("sashimi", s);
        using var free = SaShiMiExperiment.Create("sashimi-free", s);
        using var wavenet = SaShiMiExperiment.Create("wavenet", s);
        Assert.Equal(sashimi.ParameterCount(), free.ParameterCount());
        Assert.InRange(wavenet.ParameterCount() / (double)sashimi.ParameterCount(), 0.9, 1.1);
        Assert.Equal(StateParameterisation.Unconstrained, s.Unconstrained.Parameterisation);
        Assert.True(s.Seconds * s.SampleRate >= s.ScoreFrom + s.GenerateSamples);
        Assert.Equal(0, s.Crop % s.SaShiMi.Stride);
        if (scale != Scale.Smoke)
        {
            Assert.True(s.Seeds >= 3 && s.LearningRates.Length >= 2 && s.MaxNllRatio > 0 && s.MinExplodedFraction > 0);
            Assert.True(s.GenerateSamples >= 10 * s.Crop);
        }
    }

    [Fact]
    public void GpuSettingsGenerateTenTrainingLengthsFromUnseenNotes()
    {
        var s = SaShiMiSettings.For(Scale.Gpu);
        Assert.True(s.GenerateSamples >= 10 * s.Crop && s.Seconds * s.SampleRate >= s.ScoreFrom + s.GenerateSamples);
        Assert.True(s.Seeds >= 5 && s.LearningRates.Length >= 3 && s.Crop % s.SaShiMi.Stride == 0);
    }

    [Fact]
    public void LogGrowthComparesTheWholeGenerationWithItsTrainingLength()
    {
        Assert.Equal(2, SaShiMiExperiment.LogGrowth([1, 2, 1, 200], 2), 9);
        Assert.Equal(0, SaShiMiExperiment.LogGrowth([3, 1, 2], 1), 9);
        Assert.Equal(double.PositiveInfinity, SaShiMiExperiment.LogGrowth([1, double.PositiveInfinity], 1));
    }

    [Fact]
    public void SmokeRunProducesTheClaimRecord()
    {
        using var dir = new TempDirectory();
        var (result, _) = ExperimentRunner.Run(new SaShiMiExperiment(), Scale.Smoke, Device.CPU, root: dir.Path);
        var o = result.OutcomeAs<SaShiMiOutcome>();
        Assert.True(result.ClaimHolds, result.Detail);
        Assert.Equal(SaShiMiExperiment.Models, o.Tuning.Test.Keys.ToArray());
        Assert.Equal(1, o.NllRatio.Count);
        Assert.Equal(o.EigenReal["sashimi"].Length, o.EigenImag["sashimi"].Length);
        Assert.All(o.EigenReal["sashimi"], re => Assert.True(re < 0));
        var s = o.Settings;
        Assert.Equal(s.ScoreFrom - 1 + s.GenerateSamples, o.StateNorms["sashimi"].Length);
        Assert.Equal(s.TestNotes, o.Samples["wavenet"].Length);
        Assert.Equal(s.GenerateSamples, o.Targets[0].Length);
        Assert.True(o.SamplesPerSecond["sashimi"] > 0 && o.SamplesPerSecond["wavenet"] > 0);
    }
}
