using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class MinGruTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void ParallelScanEqualsSequentialLoopInFloat64()
    {
        using var scope = NewScope();
        ManualSeed(7);
        using var gru = new MinGru(6, 10, dtype: DType.Float64);
        var x = Tensor.RandN([4, 300, 6], DType.Float64) * 2;

        var scan = gru.Forward(x);
        var loop = gru.ForwardSequential(x);

        Assert.Equal([4L, 300, 10], scan.Shape);
        Assert.True(MaxAbsDiff(scan, loop) < 1e-5, $"max |scan − loop| = {MaxAbsDiff(scan, loop):E2}");
        Assert.True(MaxAbsDiff(scan, loop) < 1e-10, "float64 should agree far beyond 1e-5");
    }

    [Fact]
    public void ParallelScanEqualsLoopFromAnInitialState()
    {
        using var scope = NewScope();
        ManualSeed(8);
        using var gru = new MinGru(3, 5, dtype: DType.Float64);
        var x = Tensor.RandN([2, 50, 3], DType.Float64);
        var h0 = Tensor.Rand([2, 5], DType.Float64) + 0.1;

        Assert.True(MaxAbsDiff(gru.Forward(x, h0), gru.ForwardSequential(x, h0)) < 1e-10);
    }

    [Fact]
    public void ScanGradientsEqualLoopGradients()
    {
        // Relative to each gradient's largest entry, float64, T = 256 (the scan's gradient error grows with T: ~1e-11 at 512).
        using var scope = NewScope();
        ManualSeed(9);
        using var gru = new MinGru(4, 6, dtype: DType.Float64);
        var x = Tensor.RandN([2, 256, 4], DType.Float64);
        var parameters = gru.Parameters().Cast<Tensor>().ToArray();

        var scanGrads = Autograd.Grad([gru.Forward(x).Square().Sum()], parameters);
        var loopGrads = Autograd.Grad([gru.ForwardSequential(x).Square().Sum()], parameters);

        for (int i = 0; i < parameters.Length; i++)
        {
            double relative = MaxAbsDiff(scanGrads[i]!, loopGrads[i]!) / loopGrads[i]!.Abs().Max().Item<double>();
            Assert.True(relative < 1e-10, $"gradient {i} differs by {relative:E2} (relative)");
        }
    }

    [Fact]
    public void CandidateActivationIsPositiveAndItsLogIsExact()
    {
        using var scope = NewScope();
        var x = Tensor.Linspace(-30, 30, 601, DType.Float64);

        var g = MinGru.G(x);

        Assert.True(g.Min().Item<double>() > 0);
        Assert.True(MaxAbsDiff(MinGru.LogG(x), g.Log()) < 1e-12);
        // continuous at 0: σ(0) = 0 + ½
        Assert.Equal(0.5, MinGru.G(Tensor.ScalarTensor(0.0)).Item<double>(), 12);
    }

    [Fact]
    public void ParametersAreNamedAfterThePaper()
    {
        using var gru = new MinGru(3, 4);
        var names = gru.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["gate.weight", "gate.bias", "candidate.weight", "candidate.bias"], names);
    }
}
