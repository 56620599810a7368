using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class NsfExperimentTests
{
    [Fact]
    public void RegistryListsNsfAsAudioGeneration()
    {
        var experiment = ExperimentRegistry.Find("nsf");
        Assert.IsType<NsfExperiment>(experiment);
        Assert.Equal("audio generation", experiment.Family);
    }

    [Theory]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void ControlAndWaveNetMatchTheNsfParameters(Scale scale)
    {
        var s = NsfSettings.For(scale);
        using var nsf = new NeuralSourceFilter(s.Model);
        using var control = new NeuralSourceFilter(s.NoiseOnly);
        Assert.Equal(nsf.ParameterCount(), control.ParameterCount());
        Assert.False(s.NoiseOnly.SineExcitation);
        long wavenet = s.WaveNet.ParameterCount;
        Assert.InRange(wavenet, 0.9 * nsf.ParameterCount(), 1.1 * nsf.ParameterCount());
    }

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    [InlineData(Scale.Gpu)]
    public void HeldOutSentencesAreNeverTrainedOn(Scale scale)
    {
        var s = NsfSettings.For(scale);
        var trained = s.Training.Select(u => u.Sentence).ToHashSet();
        Assert.NotEmpty(s.HeldOut);
        Assert.All(s.HeldOut, u => Assert.DoesNotContain(u.Sentence, trained));
    }

    [Fact]
    public void CropsKeepFramesAndSamplesAligned()
    {
        // One utterance: a crop's waveform is samples offset·hop … (offset + frames)·hop of the utterance, its F0 and mel the
        // same frames.
        using var scope = NewScope();
        var corpus = new VocoderCorpus([(0, 0)], 8000, 80, 256, 16);
        var u = corpus.Utterances[0];
        Assert.Equal(u.Wave.Length, u.Frames * 80);
        Assert.True(u.F0.Count(f => f > 0) > u.Frames / 4, "espeak speech is mostly voiced");
        var (mel, f0, wave) = corpus.Crops(new Random(3), 2, 10);
        Assert.Equal([2, 16, 10], mel.Shape);
        Assert.Equal([2, 800], wave.Shape);
        var first = wave.Select(0, 0).ToArray<float>();
        int offset = Enumerable.Range(0, u.Frames - 9).Single(o => u.Wave.AsSpan(o * 80, 800).SequenceEqual(first));
        Assert.Equal(u.F0.Skip(offset).Take(10).Select(v => (float)v).ToArray(), f0.Select(0, 0).ToArray<float>());
        Assert.Equal(u.LogMel[5].Skip(offset).Take(10).ToArray(), mel.Select(0, 0).Select(0, 5).ToArray<float>());
    }
}
