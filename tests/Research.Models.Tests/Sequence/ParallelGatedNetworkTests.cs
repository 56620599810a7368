using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class ParallelGatedNetworkTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(30)]
    public void ParallelFormEqualsTheStepByStepDefinitionInFloat64(int history)
    {
        using var scope = NewScope();
        ManualSeed(21);
        using var pgn = new ParallelGatedNetwork(3, 7, history, dtype: DType.Float64);
        var x = Tensor.RandN([4, 30, 3], DType.Float64);
        var parallel = pgn.Forward(x);
        Assert.Equal([4L, 30, 7], parallel.Shape);
        double diff = (parallel - pgn.ForwardSequential(x)).Abs().Max().Item<double>();
        Assert.True(diff < 1e-12, $"max |parallel − sequential| = {diff:E2}");
    }

    [Fact]
    public void OutputAtTDependsOnlyOnTheLastLInputs()
    {
        // autograd: ∂ y_t / ∂ x_s vanishes for s > t (causal) and for s ≤ t − L (outside the HIE window), and not inside it
        using var scope = NewScope();
        ManualSeed(22);
        const int T = 12, L = 4;
        using var pgn = new ParallelGatedNetwork(2, 5, L, dtype: DType.Float64);
        var x = Tensor.RandN([3, T, 2], DType.Float64, requiresGrad: true);
        var y = pgn.Forward(x);
        for (int t = 0; t < T; t++)
        {
            var g = Autograd.Grad(y[.., t].Sum(), x, retainGraph: true).Abs().Sum([0, 2]).ToArray<double>();
            for (int s = 0; s < T; s++)
            {
                bool inside = s <= t && s > t - L;
                Assert.True(inside ? g[s] > 0 : g[s] == 0, $"y_{t} vs x_{s}: |gradient| {g[s]}");
            }
        }
    }

    [Theory]
    [InlineData(ForecastEncoder.Pgn)]
    [InlineData(ForecastEncoder.Gru)]
    public void ForecasterCountsItsParametersAndForecastsTheHorizon(ForecastEncoder kind)
    {
        using var scope = NewScope();
        using var model = new SequenceForecaster(kind, 9, 20, 6);
        Assert.Equal(SequenceForecaster.ParameterCountOf(kind, 9, 20, 6), model.ParameterCount());
        Assert.Equal([5L, 6], model.Forward(Tensor.RandN(5, 20)).Shape);
    }

    [Fact]
    public void ForecasterWithAShortHistorySeesOnlyTheLastStepsOfItsWindow()
    {
        // autograd: the forecast depends on the last 4 of the 20 input steps and on none before them
        using var scope = NewScope();
        ManualSeed(23);
        using var model = new SequenceForecaster(ForecastEncoder.Pgn, 9, 20, 6, history: 4, dtype: DType.Float64);
        Assert.Equal(SequenceForecaster.ParameterCountOf(ForecastEncoder.Pgn, 9, 20, 6, history: 4), model.ParameterCount());
        Assert.Equal(SequenceForecaster.ParameterCountOf(ForecastEncoder.Pgn, 9, 20, 6) - 9 * 16, model.ParameterCount());
        var x = Tensor.RandN([3, 20], DType.Float64, requiresGrad: true);
        var g = Autograd.Grad(model.Forward(x).Sum(), x).Abs().Sum(0).ToArray<double>();
        for (int s = 0; s < 20; s++) Assert.True(s >= 16 ? g[s] > 0 : g[s] == 0, $"forecast vs x_{s}: |gradient| {g[s]}");
    }

    [Fact]
    public void ForecasterRejectsAHistoryLongerThanItsWindowOrOnAGru()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceForecaster(ForecastEncoder.Pgn, 4, 10, 2, history: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceForecaster(ForecastEncoder.Pgn, 4, 10, 2, history: 0));
        Assert.Throws<ArgumentException>(() => new SequenceForecaster(ForecastEncoder.Gru, 4, 10, 2, history: 3));
    }
}
