using Research.Models.Operators;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Operators;

public class LocalIntegralConv1dTests
{
    private static double RelativeDifference(Tensor a, Tensor b) => (a - b).Norm().Item<double>() / b.Norm().Item<double>();

    [Fact]
    public void OnItsReferenceGridWithoutDilationItIsACircularConv1d()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var layer = new LocalIntegralConv1d(3, 4, kernelSize: 5, dilation: 1, referencePoints: 32, DType.Float64);
        using var conv = new Conv1d(3, 4, 5, padding: Padding.Same, paddingMode: PaddingMode.Circular, dtype: DType.Float64);
        conv.LoadStateDict(layer.StateDict());
        var v = Tensor.RandN([2, 3, 32], DType.Float64);
        Assert.True((layer.Forward(v) - conv.Forward(v)).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void DiscreteKernelIsTheHatInterpolationOfTheTapsWithTheirSumKept()
    {
        // c_m = (h/s) Σ_j w_j φ((m·h − j·s)/s), s = dilation·h₀, m·h wrapped into [−½, ½), written out as loops;
        // the taps of every node sum to its weight, as in the dilated convolution.
        using var scope = NewScope();
        ManualSeed(2);
        const int k = 3, dilation = 2, reference = 16, n = 64;
        using var layer = new LocalIntegralConv1d(1, 1, k, dilation, reference, DType.Float64);
        var w = layer.Weight.Detach().Reshape(-1).ToArray<double>();
        var taps = layer.Taps(n).Reshape(-1).ToArray<double>();
        double h = 1.0 / n, h0 = 1.0 / reference, s = dilation * h0;
        for (int m = 0; m < n; m++)
        {
            double r = (m >= n / 2 ? m - n : m) * h, expected = 0;
            for (int j = 0; j < k; j++) expected += w[j] * Math.Max(0, 1 - Math.Abs(r - (j - 1) * s) / s);
            Assert.Equal(expected * h / s, taps[m], 12);
        }
        Assert.Equal(w.Sum(), taps.Sum(), 12);
        Assert.Equal(layer.HalfSupport, 2 * s, 12);
    }

    [Fact]
    public void ConvergesToOneOperatorAsTheGridIsRefinedUnlikeAGridUnitConvolution()
    {
        // The same weights on 64 and 512 points give the same function (sampled at the common points) up to quadrature
        // error; a grid-unit Conv1d with the same weights computes a different operator on every grid.
        using var scope = NewScope();
        ManualSeed(3);
        using var layer = new LocalIntegralConv1d(2, 2, kernelSize: 5, dilation: 2, referencePoints: 64, DType.Float64);
        using var conv = new Conv1d(2, 2, 5, padding: Padding.Same, dilation: 2, paddingMode: PaddingMode.Circular, dtype: DType.Float64);
        conv.LoadStateDict(layer.StateDict());
        var fine = FourierNeuralOperatorTests.SmoothField(4, 512, seed: 4).Reshape(2, 2, 512);
        var coarse = fine.Slice(-1, 0, 512, 8);
        Assert.True(RelativeDifference(layer.Forward(fine).Slice(-1, 0, 512, 8), layer.Forward(coarse)) < 1e-2);
        Assert.True(RelativeDifference(conv.Forward(fine).Slice(-1, 0, 512, 8), conv.Forward(coarse)) > 0.3);
    }

    [Fact]
    public void ConvertedCnnHasTheCnnsParametersAndEqualsItOnTheReferenceGrid()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var config = new ConvolutionalBaselineConfig(Width: 6, KernelSize: 3, Layers: 3, ProjectionWidth: 8, DilationGrowth: 1);
        using var cnn = new ConvolutionalBaseline(config, DType.Float64);
        using var converted = new ConvolutionalBaseline(config with { ReferencePoints = 40 }, DType.Float64);
        Assert.Equal(cnn.NamedParameters().Select(p => p.Name), converted.NamedParameters().Select(p => p.Name));
        converted.LoadStateDict(cnn.StateDict());
        var a = Tensor.RandN([2, 40], DType.Float64);
        Assert.True((converted.Forward(a) - cnn.Forward(a)).Abs().Max().Item<double>() < 1e-12);
        Assert.Equal([2L, 160], converted.Forward(Tensor.RandN([2, 160], DType.Float64)).Shape);
    }

    [Fact]
    public void RejectsKernelsWiderThanTheDomainAndBadShapes()
    {
        using var scope = NewScope();
        Assert.Throws<ArgumentException>(() => new LocalIntegralConv1d(1, 1, 5, dilation: 16, referencePoints: 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalIntegralConv1d(1, 1, 4, 1, 64));
        using var layer = new LocalIntegralConv1d(2, 3, 3, 1, 32);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN(1, 3, 32)));
    }
}
