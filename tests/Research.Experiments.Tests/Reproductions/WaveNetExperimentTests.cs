using Research.Experiments.Audio;
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

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void BaselinesHaveTheParametersOfWaveNet(Scale scale)
    {
        var s = WaveNetSettings.For(scale);
        double wavenet = s.WaveNet.ParameterCount;
        Assert.Equal(wavenet, s.Undilated.ParameterCount);                                   // the control: only the dilations differ
        Assert.All(s.Undilated.Dilations, d => Assert.Equal(1, d));
        Assert.Equal(s.WaveNet.Dilations.Length, s.Undilated.Dilations.Length);
        Assert.InRange(s.Shallow.ParameterCount / wavenet, 0.9, 1.1);                       // the shallow baseline: one long filter
        Assert.Single(s.Shallow.Dilations);
        Assert.True(s.Shallow.ReceptiveField < s.WaveNet.ReceptiveField && s.Undilated.ReceptiveField < s.Shallow.ReceptiveField);
        string[] trained = s.RequiredNllGap > 0 ? ["WaveNet", "shallow", "undilated"] : ["WaveNet"];  // unchecked baselines are not trained
        Assert.Equal(trained, s.Models.Select(m => m.Name));
        Assert.Equal(scale != Scale.Smoke, s.RequiredNllGap > 0);
    }

    [Fact]
    public void SpeechCropsAreContiguousWindowsOfTheClips()
    {
        // Two clips of distinct, increasing codes: every row of a batch must be `crop` consecutive codes of one clip.
        long[][] clips = [[.. Enumerable.Range(0, 50).Select(i => (long)i)], [.. Enumerable.Range(1000, 30).Select(i => (long)i)]];
        using var batch = WaveNetExperiment.SpeechCrops(clips, new Random(3), batch: 64, crop: 20);
        Assert.Equal([64L, 20L], batch.Shape);
        var rows = batch.ToArray<long>().Chunk(20).ToArray();
        foreach (var row in rows)
        {
            Assert.Contains(clips, c => c.Contains(row[0]) && c.Contains(row[^1]));
            for (int t = 1; t < row.Length; t++) Assert.Equal(row[t - 1] + 1, row[t]);
        }
        Assert.Contains(rows, r => r[0] < 1000);
        Assert.Contains(rows, r => r[0] >= 1000);
    }

    [Fact]
    public void SpeechDemonstrationRunsAtCpuAndGpuScaleOnly()
    {
        Assert.False(WaveNetSettings.For(Scale.Smoke).Speech);
        Assert.True(WaveNetSettings.For(Scale.Cpu).Speech);
        Assert.True(WaveNetSettings.For(Scale.Gpu).Speech);
        Assert.DoesNotContain(WaveNetExperiment.SpeechHeldOutSentence, WaveNetExperiment.SpeechTrainingSentences);
    }

    [Fact]
    public void ContinuationsStartWhereThePrimeEnds()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new WaveNet(new WaveNetConfig(ResidualChannels: 4, GateChannels: 4, SkipChannels: 4, HeadChannels: 4, Blocks: 1, LayersPerBlock: 2));
        var codes = Tensor.RandInt(0, 256, [2, 30]);
        var (target, sampled) = WaveNetExperiment.Continuations(model, codes, prime: 10, samples: 15);
        Assert.Equal([2, 15], target.Shape);
        Assert.Equal([2, 15], sampled.Shape);
        Assert.Equal(0, (target - MuLaw.Decode(codes.Narrow(1, 10, 15))).Abs().Max().Item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => WaveNetExperiment.Continuations(model, codes, prime: 20, samples: 15));
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
