using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class ConvS5ExperimentTests
{
    [Fact]
    public void RegistryListsConvS5AsSequenceModels()
    {
        var experiment = ExperimentRegistry.Find("convs5");
        Assert.IsType<ConvS5Experiment>(experiment);
        Assert.Equal("sequence models", experiment.Family);
    }

    [Fact]
    public void BothPredictorsHaveTheSameParametersWithinTenPercentAndTheSameSweep()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = ConvS5Settings.For(scale);
            using var s5 = ConvS5Experiment.Create(FrameRecurrence.ConvS5, s);
            using var lstm = ConvS5Experiment.Create(FrameRecurrence.ConvLstm, s);
            Assert.InRange(s5.ParameterCount() / (double)lstm.ParameterCount(), 0.9, 1.1);
            if (scale != Scale.Smoke) Assert.True(s.Seeds >= 3 && s.LearningRates.Length >= 3 && s.CheckClaim, $"{scale}");
        }
    }

    [Fact]
    public void CopyingTheLastFrameIsExactOnAStillVideo()
    {
        using var scope = NewScope();
        var still = Tensor.Rand([2, 1, 1, 4, 4]).Expand(2, ConvS5Settings.Context + 3, 1, 4, 4);
        Assert.All(ConvS5Experiment.CopyLastMse(still), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void SmokeRunRecordsTheClaimAndTheOutcome()
    {
        using var dir = new TempDirectory();
        var (result, _) = ExperimentRunner.Run(new ConvS5Experiment(), Scale.Smoke, Device.CPU, root: dir.Path);
        Assert.True(result.ClaimHolds, result.Detail);
        var o = result.OutcomeAs<ConvS5Outcome>();
        Assert.Equal(ConvS5Settings.LongHorizon, o.PerFrameMse["convs5"].Length);
        Assert.Equal(ConvS5Settings.LongHorizon, o.CopyLastPerFrameMse.Length);
        Assert.Equal(2 * (ConvS5Settings.Context + ConvS5Settings.LongHorizon), o.TruthFrames.Length);
        Assert.Equal(2 * ConvS5Settings.LongHorizon, o.PredictedFrames["convlstm"].Length);
        Assert.True(o.Timing["convs5"].LongTrainMs > 0 && o.Timing["convlstm"].ForwardMs > 0);
    }
}
