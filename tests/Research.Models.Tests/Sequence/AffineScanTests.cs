using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class AffineScanTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    // Random matrices with spectral norm ≤ 0.9 (a stable recurrence), [batch, time, d, d].
    private static Tensor StableMatrices(long batch, long time, long d)
    {
        using var scope = NewScope();
        var m = Tensor.RandN([batch, time, d, d], DType.Float64);
        return scope.Keep(m * (0.9 / Math.Sqrt(d) / 2.5));
    }

    // The definition, written out once more with plain loops over time (both directions).
    private static Tensor Loop(Tensor a, Tensor b, Tensor? h0, bool reverse)
    {
        using var scope = NewScope();
        long time = a.Size(1);
        var states = new Tensor[time];
        Tensor h = h0 ?? b.Select(1, 0).ZerosLike();
        for (long i = 0; i < time; i++)
        {
            long t = reverse ? time - 1 - i : i;
            var at = a.Select(1, t);
            h = (a.Dim == 4 ? at.Matmul(h.Unsqueeze(-1)).Squeeze(-1) : at * h) + b.Select(1, t);
            states[t] = h;
        }
        return scope.Keep(Tensor.Stack(states, 1));
    }

    public static TheoryData<AffineScanMethod, int, bool, bool> Cases()
    {
        var data = new TheoryData<AffineScanMethod, int, bool, bool>();
        foreach (var method in Enum.GetValues<AffineScanMethod>())
            foreach (var (time, h0, reverse) in new[] { (37, false, false), (37, true, false), (50, true, true), (1, true, false), (2, false, true) })
                data.Add(method, time, h0, reverse);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatrixScanEqualsLoopInFloat64(AffineScanMethod method, int time, bool withInitialState, bool reverse)
    {
        using var scope = NewScope();
        ManualSeed(11);
        var a = StableMatrices(2, time, 5);
        var b = Tensor.RandN([2, time, 5], DType.Float64);
        var h0 = withInitialState ? Tensor.RandN([2, 5], DType.Float64) : null;

        var scan = AffineScan.Matrix(a, b, h0, reverse, method);
        var loop = Loop(a, b, h0, reverse);

        Assert.Equal(loop.Shape, scan.Shape);
        Assert.True(MaxAbsDiff(loop, scan) < 1e-12, $"{method}: max |scan − loop| = {MaxAbsDiff(loop, scan):E2}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DiagonalScanEqualsLoopInFloat64(AffineScanMethod method, int time, bool withInitialState, bool reverse)
    {
        using var scope = NewScope();
        ManualSeed(12);
        var a = Tensor.Rand([3, time, 4], DType.Float64) * 2.2 - 1.1;      // signs flip, some |a| > 1
        var b = Tensor.RandN([3, time, 4], DType.Float64);
        var h0 = withInitialState ? Tensor.RandN([3, 4], DType.Float64) : null;

        var scan = AffineScan.Diagonal(a, b, h0, reverse, method);
        var loop = Loop(a, b, h0, reverse);

        Assert.True(MaxAbsDiff(loop, scan) < 1e-11, $"{method}: max |scan − loop| = {MaxAbsDiff(loop, scan):E2}");
    }

    [Theory]
    [InlineData(AffineScanMethod.Doubling, false, true)]
    [InlineData(AffineScanMethod.Doubling, true, false)]
    [InlineData(AffineScanMethod.Chunked, false, true)]
    [InlineData(AffineScanMethod.Chunked, true, false)]
    [InlineData(AffineScanMethod.Chunked, true, true)]
    public void MatrixScanGradientsEqualLoopGradients(AffineScanMethod method, bool reverse, bool withInitialState)
    {
        using var scope = NewScope();
        ManualSeed(13);
        var a = StableMatrices(2, 23, 4).RequiresGrad_();
        var b = Tensor.RandN([2, 23, 4], DType.Float64).RequiresGrad_();
        var h0 = withInitialState ? Tensor.RandN([2, 4], DType.Float64).RequiresGrad_() : null;
        var weights = Tensor.RandN([2, 23, 4], DType.Float64);
        Tensor[] inputs = h0 is null ? [a, b] : [a, b, h0];

        var loopGrads = Autograd.Grad([(Loop(a, b, h0, reverse) * weights).Sum()], inputs);
        var scanGrads = Autograd.Grad([(AffineScan.Matrix(a, b, h0, reverse, method) * weights).Sum()], inputs);

        for (int i = 0; i < inputs.Length; i++)
            Assert.True(MaxAbsDiff(loopGrads[i]!, scanGrads[i]!) < 1e-12, $"input {i}: {MaxAbsDiff(loopGrads[i]!, scanGrads[i]!):E2}");
    }

    [Theory]
    [InlineData(AffineScanMethod.Doubling, false)]
    [InlineData(AffineScanMethod.Doubling, true)]
    [InlineData(AffineScanMethod.Chunked, false)]
    [InlineData(AffineScanMethod.Chunked, true)]
    public void DiagonalScanGradientsEqualLoopGradients(AffineScanMethod method, bool reverse)
    {
        using var scope = NewScope();
        ManualSeed(14);
        var a = (Tensor.Rand([2, 19, 3], DType.Float64) * 2 - 1).RequiresGrad_();
        var b = Tensor.RandN([2, 19, 3], DType.Float64).RequiresGrad_();
        var h0 = Tensor.RandN([2, 3], DType.Float64).RequiresGrad_();
        var weights = Tensor.RandN([2, 19, 3], DType.Float64);

        var loopGrads = Autograd.Grad([(Loop(a, b, h0, reverse) * weights).Sum()], [a, b, h0]);
        var scanGrads = Autograd.Grad([(AffineScan.Diagonal(a, b, h0, reverse, method) * weights).Sum()], [a, b, h0]);

        for (int i = 0; i < 3; i++)
            Assert.True(MaxAbsDiff(loopGrads[i]!, scanGrads[i]!) < 1e-12, $"input {i}: {MaxAbsDiff(loopGrads[i]!, scanGrads[i]!):E2}");
    }

    [Fact]
    public void GradientsFlowOnlyToInputsThatAskForThem()
    {
        using var scope = NewScope();
        ManualSeed(15);
        var a = StableMatrices(1, 9, 3);                                      // a constant Jacobian, as in a Newton step
        var b = Tensor.RandN([1, 9, 3], DType.Float64).RequiresGrad_();
        var h0 = Tensor.RandN([1, 3], DType.Float64);

        var grad = Autograd.Grad([AffineScan.Matrix(a, b, h0, method: AffineScanMethod.Doubling).Sum()], [b])[0]!;
        var expected = Autograd.Grad([Loop(a, b, h0, false).Sum()], [b])[0]!;

        Assert.True(MaxAbsDiff(grad, expected) < 1e-12);
    }

    [Fact]
    public void AdjointBackwardFreesWhatItSaved()
    {
        using var live = Tensor.TrackLive();
        using (NewScope())
        {
            var a = StableMatrices(1, 8, 2).RequiresGrad_();
            var b = Tensor.RandN([1, 8, 2], DType.Float64).RequiresGrad_();
            AffineScan.Matrix(a, b).Sum().Backward();
        }
        Assert.Equal(0L, live.Count);
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithTheShapes()
    {
        using var scope = NewScope();
        var e = Assert.Throws<ArgumentException>(() => AffineScan.Matrix(Tensor.Zeros(1, 4, 3, 3), Tensor.Zeros(1, 4, 2)));
        Assert.Contains("[1, 4, 2]", e.Message);
    }
}
