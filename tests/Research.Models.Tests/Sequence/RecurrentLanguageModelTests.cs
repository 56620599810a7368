using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class RecurrentLanguageModelTests
{
    [Theory]
    [InlineData(RecurrentKind.MinGru, 100)]
    [InlineData(RecurrentKind.Gru, 64)]
    public void ParameterCountFollowsTheFormula(RecurrentKind kind, int width)
    {
        using var model = new RecurrentLanguageModel(128, width, 2, kind);
        Assert.Equal(RecurrentLanguageModel.ParameterCountOf(128, width, 2, kind), model.ParameterCount());
    }

    [Fact]
    public void MinGruOfWidth100MatchesGruOfWidth64WithinTenPercent()
    {
        double minGru = RecurrentLanguageModel.ParameterCountOf(128, 100, 2, RecurrentKind.MinGru);
        double gru = RecurrentLanguageModel.ParameterCountOf(128, 64, 2, RecurrentKind.Gru);
        Assert.InRange(minGru / gru, 0.9, 1.1);
    }

    [Theory]
    [InlineData(RecurrentKind.MinGru)]
    [InlineData(RecurrentKind.Gru)]
    public void LogitsNeverSeeTheFuture(RecurrentKind kind)
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new RecurrentLanguageModel(16, 12, 2, kind);
        var tokens = Tensor.RandInt(0, 16, [2, 20]);
        var changed = tokens.Clone();
        using (NoGrad()) changed.Narrow(1, 10, 10).Fill_(5);
        var a = model.Forward(tokens).Narrow(1, 0, 10);
        var b = model.Forward(changed).Narrow(1, 0, 10);
        Assert.Equal([2L, 10, 16], a.Shape);
        Assert.True((a - b).Abs().Max().Item<float>() == 0);
    }
}
