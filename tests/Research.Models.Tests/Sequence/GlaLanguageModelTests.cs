using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class GlaLanguageModelTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Theory]
    [InlineData(SequenceMixer.GatedLinearAttention)]
    [InlineData(SequenceMixer.LinearAttention)]
    [InlineData(SequenceMixer.SoftmaxAttention)]
    public void LogitsAreCausalForEveryMixer(SequenceMixer mixer)
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new GlaLanguageModel(new GlaModelConfig(Vocab: 11, Width: 16, Layers: 2, Heads: 2, Mixer: mixer, Chunk: 4, MaxLength: 32), dtype: DType.Float64);
        var tokens = Tensor.RandInt(0, 11, [3, 19]);
        var changed = tokens.Clone();
        changed[.., 12..] = Tensor.RandInt(0, 11, [3, 7]);

        var logits = model.Forward(tokens);
        var logitsChanged = model.Forward(changed);

        Assert.Equal([3L, 19, 11], logits.Shape);
        Assert.True(MaxAbsDiff(logits.Narrow(1, 0, 12), logitsChanged.Narrow(1, 0, 12)) < 1e-12, "logits before t = 12 saw later tokens");
        Assert.True(MaxAbsDiff(logits.Narrow(1, 12, 7), logitsChanged.Narrow(1, 12, 7)) > 1e-6);
    }

    [Fact]
    public void TheFormOfTheRecurrenceDoesNotChangeTheLogits()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new GlaLanguageModel(new GlaModelConfig(Vocab: 9, Width: 16, Layers: 2, Heads: 2, Chunk: 5), dtype: DType.Float64);
        var tokens = Tensor.RandInt(0, 9, [2, 23]);

        var chunked = model.Forward(tokens);
        model.SetForm(GlaForm.Recurrent);
        var recurrent = model.Forward(tokens);
        model.SetForm(GlaForm.Parallel);
        var parallel = model.Forward(tokens);

        Assert.Equal(2, model.GlaLayers.Count());
        Assert.True(MaxAbsDiff(chunked, recurrent) < 1e-10);
        Assert.True(MaxAbsDiff(chunked, parallel) < 1e-10);
    }

    [Fact]
    public void GatesHaveOneMapPerGlaBlockAndTheSoftmaxModelHasPositions()
    {
        using var scope = NewScope();
        using var gla = new GlaLanguageModel(new GlaModelConfig(Vocab: 7, Width: 16, Layers: 3, Heads: 2));
        using var softmax = new GlaLanguageModel(new GlaModelConfig(Vocab: 7, Width: 16, Layers: 1, Heads: 2, Mixer: SequenceMixer.SoftmaxAttention, MaxLength: 8));
        var tokens = Tensor.RandInt(0, 7, [2, 6]);

        var gates = gla.Gates(tokens);
        Assert.Equal(3, gates.Length);
        Assert.All(gates, g => Assert.Equal([2L, 2, 6, 4], g.Shape));                  // d_k = 8 over 2 heads
        Assert.Null(gla.Positions);
        Assert.Empty(softmax.Gates(tokens));
        Assert.NotNull(softmax.Positions);
        Assert.Contains("exceeds the model's 8 positions", Assert.Throws<ArgumentException>(() => softmax.Forward(Tensor.Zeros([1, 9], DType.Int64))).Message);
        Assert.Contains("[batch, time]", Assert.Throws<ArgumentException>(() => gla.Forward(Tensor.Zeros([9], DType.Int64))).Message);
    }
}
