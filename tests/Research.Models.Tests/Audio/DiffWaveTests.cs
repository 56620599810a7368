using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class DiffWaveTests
{
    private static readonly DiffWaveConfig Small = new(Channels: 6, Layers: 4, Cycle: 3, KernelSize: 3, StepFeatures: 8, StepHidden: 12,
        Classes: 3, ClassFeatures: 5);

    [Fact]
    public void StepEncodingIsSinesAndCosinesAtFrequenciesFromOneToTenThousand()
    {
        using var scope = NewScope();
        var code = DiffusionStepEmbedding.Encoding(Tensor.From(new[] { 3L, 40L }), 8, DType.Float64).ToArray<double>();
        double[] steps = [3, 40];
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < 4; j++)
            {
                double frequency = Math.Pow(10, 4.0 * j / 3);                          // 10^(j·4/(h − 1)), h = 4
                Assert.Equal(Math.Sin(frequency * steps[b]), code[b * 8 + j], 9);
                Assert.Equal(Math.Cos(frequency * steps[b]), code[b * 8 + 4 + j], 9);
            }
    }

    [Fact]
    public void PredictsZeroNoiseBeforeTraining()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var net = new DiffWave(Small, DType.Float64);
        var eps = net.Forward(Tensor.RandN([2, 40], DType.Float64), Tensor.From(new[] { 1L, 7L }), Tensor.From(new[] { 0L, 2L }));
        Assert.Equal([2L, 40L], eps.Shape);
        Assert.Equal(0, eps.Abs().Max().Item<double>());
    }

    [Fact]
    public void EachOutputSeesBothSidesUpToHalfTheReceptiveField()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var net = new DiffWave(Small, DType.Float64);
        using (NoGrad()) net.Output.Weight.Fill_(1.0);
        int radius = (Small.ReceptiveField - 1) / 2;                                   // dilations 1, 2, 4, 1: RF 17
        Assert.Equal(17, Small.ReceptiveField);
        const int time = 60, t0 = 30;
        var x = Tensor.RandN([1, time], DType.Float64).RequiresGrad_();
        net.Forward(x, Tensor.From(new[] { 5L }), Tensor.From(new[] { 1L })).Select(1, t0).Sum().Backward();
        var grad = x.Grad!.Squeeze(0).Abs().ToArray<double>();
        for (int t = 0; t < time; t++)
        {
            bool inside = Math.Abs(t - t0) <= radius;
            Assert.True(inside == grad[t] > 0, $"∂ε̂[{t0}]/∂x[{t}] = {grad[t]} (radius {radius})");
        }
    }

    [Fact]
    public void TheStepAndTheClassChangeThePrediction()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var net = new DiffWave(Small, DType.Float64);
        using (NoGrad()) net.Output.Weight.Fill_(1.0);
        var x = Tensor.RandN([1, 30], DType.Float64);
        var reference = net.Forward(x, Tensor.From(new[] { 4L }), Tensor.From(new[] { 0L }));
        Assert.True((net.Forward(x, Tensor.From(new[] { 9L }), Tensor.From(new[] { 0L })) - reference).Abs().Max().Item<double>() > 1e-6);
        Assert.True((net.Forward(x, Tensor.From(new[] { 4L }), Tensor.From(new[] { 2L })) - reference).Abs().Max().Item<double>() > 1e-6);
        Assert.Throws<ArgumentException>(() => net.Forward(x, Tensor.From(new[] { 4L })));
        using var unconditional = new DiffWave(Small with { Classes = 0 }, DType.Float64);
        Assert.Null(unconditional.ClassEmbedding);
        Assert.Equal([1L, 30L], unconditional.Forward(x, Tensor.From(new[] { 4L })).Shape);
    }
}
