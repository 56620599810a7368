using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class WaveRnnExperimentTests
{
    [Fact]
    public void RegistryFindsTheExperiment() => Assert.Equal("sequence models", ExperimentRegistry.Find("wrnn")?.Family);

    [Theory]
    [InlineData(Scale.Smoke)]
    [InlineData(Scale.Cpu)]
    public void NetworksAreParameterMatchedAndTheRingHoldsTheWholeCopySequence(Scale scale)
    {
        using var scope = NewScope();
        var s = WaveRnnSettings.For(scale);
        Assert.True(s.CopyRing >= s.Length, $"ring {s.CopyRing} < sequence {s.Length}");
        foreach (var (inputs, outputs, ring) in new[] { (WaveRnnSettings.Vocabulary, WaveRnnSettings.Vocabulary, s.CopyRing), (1, 10, WaveRnnSettings.DigitRing) })
        {
            var counts = WaveRnnExperiment.Networks.ToDictionary(n => n, n => { using var m = WaveRnnExperiment.Create(n, inputs, outputs, ring); return m.ParameterCount(); });
            Assert.Equal(counts["wrnn"], counts["ring-identity"]);
            Assert.InRange((double)counts["irnn"] / counts["wrnn"], 0.9, 1.1);
        }
        Assert.True(scale == Scale.Smoke || (s.Seeds >= 3 && s.LearningRates.Length >= 3));
        Assert.Equal(0, s.CopySteps / 2 % s.EvalEvery);
    }

    [Fact]
    public void CopyBatchIsOneHotWithTheDigitsToRecallAtTheEnd()
    {
        using var scope = NewScope();
        using var batch = WaveRnnExperiment.CopyBatch(4, delay: 5, seed: 3);
        Assert.Equal([4L, 25, WaveRnnSettings.Vocabulary], batch.Inputs.Shape);
        Assert.True(batch.Inputs.Sum(2).Eq(1).All().Item<bool>());
        var tokens = batch.Inputs.ArgMax(2);
        Assert.True(tokens.Narrow(1, 0, 10).Eq(batch.Targets.Narrow(1, 15, 10)).All().Item<bool>());
        Assert.True(tokens.Select(1, 15).Eq(WaveRnnSettings.Symbols + 1).All().Item<bool>());
    }

    [Fact]
    public void BaselineIsTheLossOfGuessingTheDigitsUniformly()
    {
        using var scope = NewScope();
        using var batch = WaveRnnExperiment.CopyBatch(64, delay: 20, seed: 0);
        // Certain blanks, uniform over the 8 digits on the 10 recall steps.
        var logits = Tensor.Full([64, 40, WaveRnnSettings.Vocabulary], -1e4);
        using (NoGrad())
        {
            logits.Narrow(1, 0, 30).Select(2, 0).Fill_(0.0);
            logits.Narrow(1, 30, 10).Narrow(2, 1, WaveRnnSettings.Symbols).Fill_(0.0);
        }
        Assert.Equal(WaveRnnExperiment.BaselineLoss(20), WaveRnnExperiment.CopyLoss(logits, batch.Targets).Item<float>(), 4);
    }
}
