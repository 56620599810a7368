using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Speech;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class DcttsExperimentTests
{
    [Fact]
    public void RegistryListsDcttsAsAudioGeneration()
    {
        var experiment = ExperimentRegistry.Find("dctts");
        Assert.IsType<DcttsExperiment>(experiment);
        Assert.Equal("audio generation", experiment.Family);
    }

    [Fact]
    public void FullScalesSweepTheLearningRateOnValidationPhrasesOverFiveSeeds()
    {
        foreach (var scale in new[] { Scale.Cpu, Scale.Gpu })
        {
            var s = DcttsSettings.For(scale);
            Assert.True(s.Seeds >= 5 && s.FullClaim && s.Steps % s.EvalEvery == 0, $"{scale}");
            Assert.True(s.LearningRates.Length >= 3 && s.LearningRates.Distinct().Count() == s.LearningRates.Length, $"{scale}");
            Assert.True(s.Validation > 0, $"{scale}: the sweep must be chosen on validation phrases, not the test phrases");
        }
        Assert.Equal(["guided", "unguided", "shuffled"], DcttsExperiment.Variants);
    }

    [Fact]
    public void ValidationPhrasesComeFromTheCorpusDrawAndLeaveTheTestPhrasesAsTheyWere()
    {
        var s = DcttsSettings.For(Scale.Smoke) with { Validation = 3 };
        var corpus = DcttsExperiment.Corpus(s);
        var without = DcttsExperiment.Corpus(s with { Validation = 0 });
        Assert.Equal(s.HeldOut, corpus.HeldOut.Count);
        Assert.Equal(s.Phrases - s.HeldOut, corpus.Train.Count);
        Assert.Equal(s.Validation, corpus.Validation.Count);
        Assert.Equal(without.HeldOut.Select(p => p.Text), corpus.HeldOut.Select(p => p.Text));
        Assert.Equal(without.Train.Select(p => p.Text), corpus.Train.Select(p => p.Text));
        var seen = corpus.Train.Concat(corpus.HeldOut).Select(p => p.Text).ToHashSet();
        Assert.All(corpus.Validation, p => Assert.DoesNotContain(p.Text, seen));
    }

    [Fact]
    public void PreparedBatchStacksStandardisedFramesAndShiftsThem()
    {
        using var scope = NewScope();
        var mel = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 1, 5, 2);        // 5 frames of 2 bands
        using var batch = new PhraseBatch(Tensor.From(new long[] { 3, 4 }, 1, 2), Tensor.From(new long[] { 2 }, 1), mel.Clone(),
            Tensor.From(new long[] { 5 }, 1), Tensor.Zeros(1, 5));
        var b = DcttsExperiment.Prepare(batch, 2, mean: 1, std: 2);
        Assert.Equal(new long[] { 3 }, b.Steps.ToArray<long>());
        Assert.Equal(new long[] { 1, 3, 4 }, b.Targets.Shape);
        Assert.Equal(new float[] { 0, 0.5f, 1, 1.5f }, b.Targets[0][0].ToArray<float>());
        Assert.Equal(new float[] { 0, 0, 0, 0 }, b.Input[0][0].ToArray<float>());
        Assert.Equal(b.Targets[0][1].ToArray<float>(), b.Input[0][2].ToArray<float>());
        var floor = (float)((Math.Log(PhraseCorpus.Floor) - 1) / 2);
        Assert.Equal(new float[] { 4, 4.5f, floor, floor }, b.Targets[0][2].ToArray<float>());
    }

    [Fact]
    public void MaskedL1IgnoresPaddingSteps()
    {
        using var scope = NewScope();
        var predicted = Tensor.Zeros(2, 3, 2);
        var targets = Tensor.From(new float[] { 1, 1, 1, 1, 9, 9, 2, 2, 9, 9, 9, 9 }, 2, 3, 2);
        var l1 = DcttsExperiment.MaskedL1(predicted, targets, Tensor.From(new long[] { 2, 1 }, 2));
        Assert.Equal((4 * 1 + 2 * 2) / 6.0, l1.Item<float>(), 5);
    }

    [Fact]
    public void SmokeRunRecordsEveryVariantAndAnExample()
    {
        var (result, _) = ExperimentRunner.Run(new DcttsExperiment(), Scale.Smoke, Device.CPU);
        var o = result.OutcomeAs<DcttsOutcome>();
        Assert.True(result.ClaimHolds, result.Detail);
        Assert.Equal(DcttsExperiment.Variants, o.Curves.Keys.ToArray());
        Assert.All(o.Curves.Values, c => Assert.Equal(o.Settings.Steps / o.Settings.EvalEvery + 1, c[0].Length));
        Assert.Equal(o.TargetMel.Length, o.FreeRunningMel["guided"].Length);
        Assert.Equal(o.Text.Length, o.Snapshots["guided"][0].Length);
        Assert.True(o.Waves["guided, free-running"].Length >= o.SampleRate, "the players need ≥ 1 s");
        Assert.True(o.Parameters > 0);
        Assert.All(DcttsExperiment.Variants, v => Assert.Equal(o.Settings.LearningRates[0], o.Tuning.Chosen[v]));
    }
}
