using Research.Experiments.Data;

namespace Research.Experiments.Tests;

public class DataTests
{
    [Fact]
    public void DigitsAre1797RowsOf64PixelsWithLabels0To9()
    {
        var d = Sklearn.Digits();
        Assert.Equal((1797, 64), (d.Rows, d.Columns));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), d.Labels.Distinct().Order());
        Assert.Equal(0f, d.Features.Min());
        Assert.Equal(16f, d.Features.Max());
        using var x = d.FeatureTensor();
        Assert.Equal([1797L, 64L], x.Shape);
    }

    [Fact]
    public void IrisWineAndBreastCancerHaveTheirDocumentedShapes()
    {
        var iris = Sklearn.Iris();
        Assert.Equal((150, 4, 3), (iris.Rows, iris.Columns, iris.ClassCount));
        Assert.Equal(5.1f, iris.Features[0]);
        var wine = Sklearn.Wine();
        Assert.Equal((178, 13, 3), (wine.Rows, wine.Columns, wine.ClassCount));
        var cancer = Sklearn.BreastCancer();
        Assert.Equal((569, 30, 2), (cancer.Rows, cancer.Columns, cancer.ClassCount));
    }

    [Fact]
    public void SplitAndStandardizeAreSeededAndUseTrainStatistics()
    {
        var (train, test) = Sklearn.Iris().Split(0.2, seed: 3);
        Assert.Equal((120, 30), (train.Rows, test.Rows));
        Assert.Equal(train.Labels, Sklearn.Iris().Split(0.2, seed: 3).Train.Labels);
        var z = train.Standardized();
        Assert.Equal(0, z.Features.Where((_, i) => i % 4 == 0).Average(), 4);
    }

    [Fact]
    public void EcgIs108000SamplesAt360HzInMillivolts()
    {
        var ecg = ScipyEcg.Load();
        Assert.Equal(108000, ecg.Length);
        Assert.Equal(360, ScipyEcg.SampleRate);
        Assert.InRange(ecg.Average(), -1, 1);
        Assert.InRange(ecg.Max(), 1, 5);   // R peaks of a few millivolts
    }

    [Fact]
    public void SamplePhotosDecodeTo427By640Rgb()
    {
        var china = SampleImages.China();
        Assert.Equal((427, 640), (china.Height, china.Width));
        using var t = china.ToTensor();
        Assert.Equal([3L, 427L, 640L], t.Shape);
        Assert.InRange(t.Mean().Item<float>(), 0.2f, 0.8f);
    }

    [Fact]
    public void MissingDebianFilesNameThePackage()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DebianData.Require("/usr/share/no-such/file.csv", "python3-sklearn"));
        Assert.Contains("apt-get install python3-sklearn", e.Message);
    }

    [Fact]
    public void NpyWriteThenReadRoundTrips()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "a.npy");
        var values = Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray();
        NpyArray.Write(path, values, 3, 4);
        var a = NpyArray.Read(path);
        Assert.Equal([3L, 4L], a.Shape);
        Assert.Equal(values.Select(v => (double)v), a.ToDoubleArray());
        using var t = a.ToTensor();
        Assert.Equal([3L, 4L], t.Shape);
    }

    [Fact]
    public void EspeakProducesNonSilentSpeechInSeveralVoices()
    {
        foreach (var voice in new[] { "en", "en+f3" })
        {
            var clip = Speech.Say("seven", voice, sampleRate: 16000);
            Assert.Equal(16000, clip.SampleRate);
            Assert.InRange(clip.Duration, 0.2, 2.0);
            Assert.True(clip.Rms() > 0.01, $"{voice}: RMS {clip.Rms()}");
        }
        var vowels = Speech.Vowels(voices: ["en"]);
        Assert.Equal(5, vowels.Count);
        Assert.All(vowels, v => Assert.True(v.Clip.Rms() > 0.01));
    }

    [Fact]
    public void SoxSynthesisAndGeneratedSignalsHaveTheRequestedLengthAndLevel()
    {
        var pluck = Sox.Synth("pluck C4", 0.5, 16000);
        Assert.Equal(8000, pluck.Frames);
        Assert.True(pluck.Rms() > 0.01);
        var tone = Data.Signals.Tone(440, 1, 16000, amplitude: 0.5);
        Assert.Equal(0.5 / Math.Sqrt(2), tone.Rms(), 3);
        var wet = Data.Signals.Reverb(tone, rt60: 0.2);
        Assert.Equal(tone.Frames, wet.Frames);
        Assert.Equal(0.1, Data.Signals.PinkNoise(1, seed: 1).Rms(), 3);
    }

    [Fact]
    public void SyntheticTasksHaveTheirDocumentedShapesAndAnswers()
    {
        using (var copy = SyntheticTasks.Copy(4, 5, symbols: 8, delay: 3))
        {
            Assert.Equal([4L, 13L], copy.Inputs.Shape);
            var x = copy.Inputs.ToArray<long>();
            var y = copy.Targets.ToArray<long>();
            Assert.Equal(x[..5], y[8..13]);
            Assert.Equal(9, x[8]);
        }
        using (var adding = SyntheticTasks.Adding(3, 20))
        {
            Assert.Equal([3L, 20L, 2L], adding.Inputs.Shape);
            var x = adding.Inputs.ToArray<float>();
            float sum = 0;
            for (int t = 0; t < 20; t++) sum += x[t * 2] * x[t * 2 + 1];
            Assert.Equal(adding.Targets.ToArray<float>()[0], sum, 5);
        }
        using (var parity = SyntheticTasks.Parity(2, 16))
            Assert.Equal(parity.Inputs.ToArray<float>()[..16].Sum() % 2, parity.Targets.ToArray<long>()[15]);
        using (var recall = SyntheticTasks.AssociativeRecall(2, 4))
        {
            var x = recall.Inputs.ToArray<long>();
            int q = Array.IndexOf(x[..8], x[8]);
            Assert.Equal(x[q + 1], recall.Targets.ToArray<long>()[0]);
        }
        using (var sel = SyntheticTasks.SelectiveCopy(2, 20, tokens: 4))
            Assert.Equal(sel.Inputs.ToArray<long>()[..20].Where(v => v != 0), sel.Targets.ToArray<long>()[..4]);
        var (train, test) = SyntheticTasks.ModularArithmetic(7, SyntheticTasks.ModularOperation.Divide, 0.5);
        using (train)
        using (test)
        {
            Assert.Equal(42, train.Inputs.Size(0) + test.Inputs.Size(0));
            var ab = train.Inputs.ToArray<long>();
            var c = train.Targets.ToArray<long>();
            for (int i = 0; i < c.Length; i++) Assert.Equal(ab[2 * i], c[i] * ab[2 * i + 1] % 7);
        }
    }
}
