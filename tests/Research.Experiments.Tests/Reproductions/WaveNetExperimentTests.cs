using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class WaveNetExperimentTests
{
    [Fact]
    public void RegistryListsWaveNetAsAudioGeneration()
    {
        var experiment = ExperimentRegistry.Find("wavenet");
        Assert.IsType<WaveNetExperiment>(experiment);
        Assert.Equal("audio generation", experiment.Family);
    }

    [Fact]
    public void SmokeRunBeatsTheShallowBaselineWithTheDesignedReceptiveField()
    {
        using var dir = new TempDirectory();
        int threads = NumThreads;
        var (result, runDirectory) = ExperimentRunner.Run(new WaveNetExperiment(), Scale.Smoke, Device.CPU, root: dir.Path);
        Assert.Equal(threads, NumThreads);                                                  // the experiment restores the thread count
        Assert.True(result.ClaimHolds, result.Detail);
        var settings = WaveNetSettings.For(Scale.Smoke);
        Assert.Equal(settings.Model.ReceptiveField, result.Metrics["receptive_field"]);
        Assert.True(result.Metrics["nll_gap"] >= settings.RequiredNllGap);
        Assert.True(result.Metrics["wavenet_nll"] < result.Metrics["uniform_nll"]);

        var summary = Run.ReadSummary(runDirectory)!;
        Assert.True(summary.ClaimPassed);
        var points = MetricsLog.Read(Path.Combine(runDirectory, "metrics.jsonl"));
        foreach (var name in new[] { "wavenet/nll", "baseline/nll" })
            Assert.Equal(settings.Steps, points.Count(p => p.Name == name));
        Assert.Equal(5, points.Count(p => p.Name == "eval/nll_gap"));
    }

    [Fact]
    public void HeldOutTailsHoldOnlyFrequenciesTheTrainingPartHas()
    {
        // Every clip is periodic or a repeated sweep: the tail after the split repeats something seen before it.
        var clips = WaveNetExperiment.Clips(4000, 1.0);
        Assert.Equal(6, clips.Length);
        Assert.All(clips, c => Assert.Equal(4000, c.Clip.Frames));
        var sweeps = clips.Single(c => c.Name.StartsWith("chirps", StringComparison.Ordinal)).Clip.Samples;
        int period = (int)(WaveNetExperiment.SweepSeconds * 4000);
        long split = WaveNetExperiment.TrainFrames(4000);
        for (long n = split; n < 4000; n++) Assert.Equal(sweeps[n - period], sweeps[n]);
    }

    [Fact]
    public void ReceptiveFieldProfileIsNonZeroExactlyOnTheDesignedLags()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new WaveNet(new WaveNetConfig(ResidualChannels: 8, GateChannels: 8, SkipChannels: 8, HeadChannels: 8, Blocks: 1, LayersPerBlock: 5));
        var codes = Tensor.RandInt(0, 256, [1, 100]);
        var profile = WaveNetExperiment.ReceptiveFieldProfile(model, codes, 80);
        Assert.Equal(79, profile.Length);
        Assert.Equal(model.ReceptiveField, WaveNetExperiment.MeasuredReceptiveField(profile));   // 33
        Assert.All(profile.Take(model.ReceptiveField), g => Assert.True(g > 0));
    }

    [Fact]
    public void PeakFrequencyFindsATone()
    {
        using var scope = NewScope();
        var wave = Tensor.From(Research.Experiments.Data.Signals.Tone(330, 0.5, 8000).Samples);
        Assert.Equal(330, WaveNetExperiment.PeakFrequency(wave, 8000), 2.0);
    }
}
