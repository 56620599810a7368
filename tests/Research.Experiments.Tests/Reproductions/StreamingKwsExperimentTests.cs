using Research.Experiments.Data;
using Research.Experiments.Reproductions;

namespace Research.Experiments.Tests.Reproductions;

public class StreamingKwsExperimentTests
{
    [Fact]
    public void RegistryListsStreamingKwsAsAudioAnalysis()
    {
        var experiment = ExperimentRegistry.Find("streaming-kws");
        Assert.IsType<StreamingKwsExperiment>(experiment);
        Assert.Equal("audio analysis", experiment.Family);
        Assert.Equal(6, StreamingKwsSettings.For(Scale.Cpu).Net.Classes);
        Assert.Equal(SpokenKeywords.Classes.Count, StreamingKwsSettings.For(Scale.Smoke).Net.Classes);
        Assert.Empty(SpokenKeywords.TrainingVoices.Intersect(SpokenKeywords.HeldOutVoices));
    }

    [Fact]
    public void FramesAreSilenceBeforeTheWordTheKeywordAfterItAndIgnoredInside()
    {
        var s = StreamingKwsSettings.For(Scale.Smoke);
        var word = new SpokenWord(new float[800], 3, "no", "en", 150);                           // samples 1600 … 2400, hop 80
        Assert.Equal(0, StreamingKwsExperiment.FrameTarget(s, word, 1600, 17));                  // (17 + 2)·80 < 1600
        Assert.Equal(-100, StreamingKwsExperiment.FrameTarget(s, word, 1600, 18));
        Assert.Equal(-100, StreamingKwsExperiment.FrameTarget(s, word, 1600, 31));
        Assert.Equal(3, StreamingKwsExperiment.FrameTarget(s, word, 1600, 32));                  // 32·80 ≥ 2400 + 160
        Assert.Equal(0, StreamingKwsExperiment.FrameTarget(s, null, -1, 50));
    }

    [Fact]
    public void ClipsHoldTheWordBeforeNinetyPercentInNoiseOfTheStatedLevel()
    {
        var word = new SpokenWord(Enumerable.Repeat(1f, 300).ToArray(), 2, "yes", "en", 150);
        var random = new Random(0);
        double noise = 0;
        for (int i = 0; i < 50; i++)
        {
            var clip = SpokenKeywords.Clip(random, word, 1000, (20, 20));
            var loud = Enumerable.Range(0, 1000).Where(t => clip[t] > 0.5f).ToArray();
            Assert.Equal(300, loud.Length);
            Assert.True(loud[^1] < 900);
            var silence = SpokenKeywords.Clip(random, null, 1000, (20, 20));
            noise += silence.Average(v => (double)v * v) / 50;
        }
        Assert.InRange(Math.Sqrt(noise) / (0.1 * Math.Pow(10, -1.0)), 0.8, 1.2);
    }
}
