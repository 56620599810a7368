using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class PhaseNetExperimentTests
{
    [Fact]
    public void RegistryListsPhaseNetAsAudioAnalysis()
    {
        var experiment = ExperimentRegistry.Find("phasenet");
        Assert.IsType<PhaseNetExperiment>(experiment);
        Assert.Equal("audio analysis", experiment.Family);
    }

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void TracesFitTheNetworkAndTheStaLtaGapIsShorterThanAnySMinusP(Scale scale)
    {
        var s = PhaseNetSettings.For(scale);
        Assert.Equal(0, s.Data.Length % s.Net.Block);
        Assert.InRange(s.SGap, 1, s.Data.SMinusPRange.Min * s.Data.Length - 1);
        Assert.Equal(s.Data.SnrRange.Min, s.SnrEdges[0]);
        Assert.Equal(s.Data.SnrRange.Max, s.SnrEdges[^1]);
    }

    [Fact]
    public void BatchTargetsPeakAtTheArrivals()
    {
        using var scope = NewScope();
        var s = PhaseNetSettings.For(Scale.Smoke);
        var traces = Seismograms.Draw(s.Data, 1, 3);
        using var batch = PhaseNetExperiment.Batch(s, traces);
        Assert.Equal([3L, 3, s.Data.Length], batch.Inputs.Shape);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(traces[i].P, batch.Targets.Select(0, i).Select(0, 0).ArgMax().Item<long>());
            Assert.Equal(traces[i].S, batch.Targets.Select(0, i).Select(0, 1).ArgMax().Item<long>());
        }
    }

    [Fact]
    public void TunedStaLtaPicksCleanEventsAndSeesTheirOrder()
    {
        var s = PhaseNetSettings.For(Scale.Smoke) with { Data = new SeismogramSettings(Length: 512, SnrDb: (25, 30)) };
        var tuning = Seismograms.Draw(s.Data, 1, 60);
        var (p, sp) = PhaseNetExperiment.TuneStaLta(s, tuning);
        var test = Seismograms.Draw(s.Data, 2, 60);
        var scores = PhaseNetExperiment.Score(s, test, test.Select(t => StaLtaPicker.Pick(t.Components, p, sp, s.SGap)).ToArray());
        Assert.True(scores.P.F1 > 0.9, $"P F1 {scores.P.F1}");
        Assert.True(scores.P.MedianAbsError(s.Tolerance) <= 3);
        Assert.True(scores.S.Recall > 0.5, $"S recall {scores.S.Recall}");
    }
}
