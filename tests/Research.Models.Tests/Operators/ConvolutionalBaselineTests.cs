using Research.Models.Operators;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Operators;

public class ConvolutionalBaselineTests
{
    [Fact]
    public void DilationsAndReceptiveFieldFollowTheConfig()
    {
        var c = new ConvolutionalBaselineConfig(KernelSize: 5, Layers: 4, DilationGrowth: 2);
        Assert.Equal([1, 2, 4, 8], c.Dilations);
        Assert.Equal(1 + 4 * 15, c.ReceptiveField);
        Assert.Equal(1 + 3 * 2, new ConvolutionalBaselineConfig(KernelSize: 3, Layers: 3, DilationGrowth: 1).ReceptiveField);
    }

    [Fact]
    public void OutputDependsExactlyOnTheReceptiveFieldAroundEachPoint()
    {
        // ∂u(j)/∂a(i) is non-zero exactly for the circular distances |i − j| ≤ (RF − 1)/2.
        using var scope = NewScope();
        ManualSeed(1);
        var config = new ConvolutionalBaselineConfig(Width: 6, KernelSize: 3, Layers: 3, ProjectionWidth: 6, DilationGrowth: 2);
        using var cnn = new ConvolutionalBaseline(config, DType.Float64);
        const int n = 40, j = 3;
        var a = Tensor.RandN([1, n], DType.Float64).RequiresGrad_();
        cnn.Forward(a).Select(1, j).Sum().Backward();
        var grad = a.Grad!.Reshape(-1).ToArray<double>();
        int half = (config.ReceptiveField - 1) / 2;                        // 7
        for (int i = 0; i < n; i++)
        {
            int distance = Math.Min(Math.Abs(i - j), n - Math.Abs(i - j));
            if (distance <= half) Assert.True(grad[i] != 0, $"no dependence on a({i}), distance {distance}");
            else Assert.Equal(0.0, grad[i]);
        }
    }

    [Fact]
    public void CommutesWithCircularShifts()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var cnn = new ConvolutionalBaseline(new ConvolutionalBaselineConfig(Width: 8, Layers: 3), DType.Float64);
        var a = Tensor.RandN([2, 50], DType.Float64);
        Assert.True((cnn.Forward(a.Roll(9, 1)) - cnn.Forward(a).Roll(9, 1)).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void ShapesAndBadConfigurations()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var cnn = new ConvolutionalBaseline(new ConvolutionalBaselineConfig(Width: 8, Layers: 2));
        Assert.Equal([3L, 77], cnn.Forward(Tensor.RandN(3, 77)).Shape);
        Assert.Equal([3L, 1, 64], cnn.Forward(Tensor.RandN(3, 1, 64)).Shape);
        Assert.Throws<ArgumentException>(() => cnn.Forward(Tensor.RandN(3, 2, 64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvolutionalBaseline(new ConvolutionalBaselineConfig(KernelSize: 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvolutionalBaseline(new ConvolutionalBaselineConfig(Layers: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvolutionalBaseline(new ConvolutionalBaselineConfig(DilationGrowth: 0)));
    }
}
