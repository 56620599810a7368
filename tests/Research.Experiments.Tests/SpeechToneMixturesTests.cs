using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class ScaleInvariantSdrTests
{
    // The definition written out in doubles: zero-mean, α = ⟨ŝ, s⟩/‖s‖², 10 log10(‖αs‖² / ‖ŝ − αs‖²).
    private static double Definition(double[] estimate, double[] reference)
    {
        double me = estimate.Average(), mr = reference.Average();
        var e = estimate.Select(v => v - me).ToArray();
        var s = reference.Select(v => v - mr).ToArray();
        double alpha = e.Zip(s, (a, b) => a * b).Sum() / s.Sum(v => v * v);
        double target = s.Sum(v => alpha * alpha * v * v);
        double noise = e.Zip(s, (a, b) => (a - alpha * b) * (a - alpha * b)).Sum();
        return 10 * Math.Log10(target / noise);
    }

    [Fact]
    public void MatchesTheDefinitionRowByRow()
    {
        using var scope = NewScope();
        var random = new Random(1);
        var reference = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 200).Select(_ => random.NextDouble() - 0.5).ToArray()).ToArray();
        var estimate = reference.Select((r, i) => r.Select(v => 0.7 * v + (i + 1) * 0.1 * (random.NextDouble() - 0.5) + 0.3).ToArray()).ToArray();
        var got = ScaleInvariantSdr.Compute(Tensor.From(estimate.SelectMany(r => r).ToArray(), 3, 200),
            Tensor.From(reference.SelectMany(r => r).ToArray(), 3, 200)).ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(Definition(estimate[i], reference[i]), got[i], 9);
    }

    [Fact]
    public void AnOrthogonalErrorOfKnownEnergyGivesItsRatio()
    {
        // s = sin, error = cos at a tenth of the amplitude (orthogonal over whole periods): exactly 20 dB, at any scale.
        var s = Enumerable.Range(0, 800).Select(t => (float)Math.Sin(2 * Math.PI * 5 * t / 800)).ToArray();
        var e = Enumerable.Range(0, 800).Select(t => (float)(3 * (s[t] + 0.1 * Math.Cos(2 * Math.PI * 5 * t / 800)))).ToArray();
        Assert.Equal(20.0, ScaleInvariantSdr.Of(e, s), 4);
    }

    [Fact]
    public void ImprovementOfTheMixtureItselfIsZero()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var s = Tensor.RandN([2, 300]);
        var m = s + Tensor.RandN([2, 300]);
        var gain = ScaleInvariantSdr.Improvement(m * 2, s, m).ToArray<double>();
        Assert.All(gain, g => Assert.Equal(0, g, 9));
    }
}

public class IdealRatioMaskTests
{
    [Fact]
    public void WithoutInterferenceItReturnsTheSource()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var s = Tensor.RandN([2, 1024]);
        var estimate = IdealRatioMask.Separate(s, Tensor.Zeros([2, 1024]));
        Assert.True((estimate - s).Abs().Max().Item<float>() < 1e-4f);
    }

    [Fact]
    public void RemovesAToneFromNoiseFarBetterThanTheMixture()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var s = Tensor.RandN([1, 4000]) * 0.1;
        var tone = Tensor.From(Enumerable.Range(0, 4000).Select(t => (float)Math.Sin(2 * Math.PI * 1000 * t / 8000)).ToArray(), 1, 4000);
        var estimate = IdealRatioMask.Separate(s, tone);
        Assert.True(ScaleInvariantSdr.Improvement(estimate, s, s + tone).Item<double>() > 10);
    }
}

public class SpeechToneMixturesTests
{
    [Fact]
    public void HeldOutFrequenciesLieBetweenTrainingFrequencies()
    {
        var grid = SpeechToneMixtures.ToneGrid(25);
        Assert.Equal(110, grid[0], 9);
        Assert.Equal(1760, grid[^1], 9);
        var train = SpeechToneMixtures.TrainingFrequencies(25);
        var held = SpeechToneMixtures.HeldOutFrequencies(25);
        Assert.Equal(13, train.Length);
        Assert.Equal(12, held.Length);
        Assert.Empty(train.Intersect(held));
        Assert.All(held, h => Assert.True(h > train.Min() && h < train.Max()));           // interpolation, not extrapolation
        // Every held-out tone is at least a semitone from every training tone.
        Assert.All(held, h => Assert.True(train.Min(f => Math.Abs(12 * Math.Log2(h / f))) > 1.0));
    }

    [Fact]
    public void SplitsShareNoVoiceOrSentence()
    {
        Assert.Empty(SpeechToneMixtures.TrainingVoices.Intersect(SpeechToneMixtures.HeldOutVoices));
        var train = SpeechToneMixtures.TrainingSentences;
        Assert.Empty(train.Intersect(SpeechToneMixtures.HeldOutSentences));
        Assert.DoesNotContain(SpeechToneMixtures.ValidationSentence, train.Concat(SpeechToneMixtures.HeldOutSentences));
    }

    [Fact]
    public void InterferenceHasTheRequestedRatioToTheSpeech()
    {
        // Stand-in tones (no SoX): the ratio is set against the utterances' RMS.
        float[] Tone(string w, double f) => Enumerable.Range(0, 1000).Select(t => (float)Math.Sin(2 * Math.PI * f * t / 8000)).ToArray();
        var n = SpeechToneMixtures.Interference(new ToneSpec(("sine", 200), ("sine", 500)), 800, 100, ratioDb: 6, 8000, Tone);
        double rms = Math.Sqrt(n.Sum(v => (double)v * v) / n.Length);
        Assert.Equal(6, 20 * Math.Log10(SpeechToneMixtures.SpeechRms / rms), 4);
    }

    [Fact]
    public void MixturesAreTheSumOfTheirSources()
    {
        using var batch = SpeechToneMixtures.Stack([([1f, 2f, 3f], [0.5f, 0f, -1f]), ([0f, 1f, 0f], [1f, 1f, 1f])]);
        Assert.Equal([2L, 1, 3], batch.Mixtures.Shape);
        Assert.Equal([2L, 2, 3], batch.Sources.Shape);
        Assert.Equal(new float[] { 1.5f, 2f, 2f, 1f, 2f, 1f }, batch.Mixtures.Reshape(-1).ToArray<float>());
        Assert.Equal(0, (batch.Sources.Sum(dim: 1, keepDim: true) - batch.Mixtures).Abs().Max().Item<float>());
    }

    [Fact]
    public void SoxTonesHaveTheirPitchAndUnitLevel()
    {
        var tone = SpeechToneMixtures.Tone("square", 250, 8000);
        Assert.Equal((int)(SpeechToneMixtures.ToneSeconds * 8000), tone.Length);
        Assert.Equal(1.0, Math.Sqrt(tone.Sum(v => (double)v * v) / tone.Length), 3);
        int crossings = Enumerable.Range(1, 8000).Count(t => tone[t - 1] < 0 && tone[t] >= 0);   // one per period in 1 s
        Assert.InRange(crossings, 248, 252);
    }

    [Fact]
    public void PoolBatchesHaveTheRequestedShapeAndRatioRange()
    {
        var pool = new SpeechTonePool([0], [0], SpeechToneMixtures.TrainingFrequencies(8), ["sine"], 8000);
        using var batch = pool.Batch(new Random(0), 3, 512);
        Assert.Equal([3L, 1, 512], batch.Mixtures.Shape);
        Assert.Equal([3L, 2, 512], batch.Sources.Shape);
        Assert.True((batch.Sources.Sum(dim: 1, keepDim: true) - batch.Mixtures).Abs().Max().Item<float>() < 1e-6f);
    }
}
