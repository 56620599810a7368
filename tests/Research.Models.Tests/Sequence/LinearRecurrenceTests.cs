using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class LinearRecurrenceTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LogSpaceScanEqualsLoopInFloat64(bool withInitialState)
    {
        using var scope = NewScope();
        ManualSeed(1);
        var a = Tensor.Rand([3, 200, 5], DType.Float64) * 0.9 + 0.05;       // (0.05, 0.95)
        var b = Tensor.Rand([3, 200, 5], DType.Float64) + 0.01;
        var h0 = withInitialState ? Tensor.Rand([3, 5], DType.Float64) + 0.1 : null;

        var loop = LinearRecurrence.Sequential(a, b, h0);
        var scan = LinearRecurrence.LogSpace(a.Log(), b.Log(), h0?.Log());

        Assert.Equal(loop.Shape, scan.Shape);
        Assert.True(MaxAbsDiff(loop, scan) < 1e-10, $"max |scan − loop| = {MaxAbsDiff(loop, scan):E2}");
    }

    [Theory]
    [InlineData(64, 16, false)]
    [InlineData(37, 8, true)]     // length not a multiple of the chunk
    [InlineData(5, 16, true)]     // shorter than one chunk
    public void ChunkedScanEqualsLoopForNegativeCoefficients(int time, int chunk, bool withInitialState)
    {
        using var scope = NewScope();
        ManualSeed(2);
        var a = Tensor.Rand([2, time, 4], DType.Float64) * 2 - 1;          // (−1, 1): signs flip
        var b = Tensor.RandN([2, time, 4], DType.Float64);
        var h0 = withInitialState ? Tensor.RandN([2, 4], DType.Float64) : null;

        var loop = LinearRecurrence.Sequential(a, b, h0);
        var chunked = LinearRecurrence.Chunked(a, b, h0, chunk);

        Assert.Equal(loop.Shape, chunked.Shape);
        Assert.True(MaxAbsDiff(loop, chunked) < 1e-12, $"max |chunked − loop| = {MaxAbsDiff(loop, chunked):E2}");
    }

    [Fact]
    public void ChunkedScanGradientsEqualLoopGradients()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var a = (Tensor.Rand([2, 29, 3], DType.Float64) * 2 - 1).RequiresGrad_();
        var b = Tensor.RandN([2, 29, 3], DType.Float64).RequiresGrad_();
        var weights = Tensor.RandN([2, 29, 3], DType.Float64);

        var loopLoss = (LinearRecurrence.Sequential(a, b) * weights).Sum();
        var loopGrads = Autograd.Grad([loopLoss], [a, b]);
        var chunkLoss = (LinearRecurrence.Chunked(a, b, chunk: 8) * weights).Sum();
        var chunkGrads = Autograd.Grad([chunkLoss], [a, b]);

        Assert.True(MaxAbsDiff(loopGrads[0]!, chunkGrads[0]!) < 1e-10);
        Assert.True(MaxAbsDiff(loopGrads[1]!, chunkGrads[1]!) < 1e-10);
    }

    [Fact]
    public void ChunkedScanHandlesZeroCoefficients()
    {
        using var scope = NewScope();
        var a = Tensor.From(new double[] { 0.5, 0, -1, 0.5, 0, 2 }, 1, 6, 1);
        var b = Tensor.From(new double[] { 1, 2, 3, 4, 5, 6 }, 1, 6, 1);

        var chunked = LinearRecurrence.Chunked(a, b, chunk: 4).ToArray<double>();

        // h: 1, 0·1 + 2 = 2, −2 + 3 = 1, 0.5 + 4 = 4.5, 0 + 5 = 5, 10 + 6 = 16
        Assert.Equal(new double[] { 1, 2, 1, 4.5, 5, 16 }, chunked);
    }

    [Fact]
    public void LogSpaceScanDriftsInFloat32ButNotInFloat64()
    {
        using var scope = NewScope();
        ManualSeed(4);
        var a = Tensor.Rand([1, 4096, 8], DType.Float64) * 0.2 + 0.8;
        var b = Tensor.Rand([1, 4096, 8], DType.Float64) * 0.2;
        var loop = LinearRecurrence.Sequential(a, b);

        var scan64 = LinearRecurrence.LogSpace(a.Log(), b.Log());
        var scan32 = LinearRecurrence.LogSpace(a.Float().Log(), b.Float().Log()).Double();
        double rel64 = MaxAbsDiff(scan64, loop) / loop.Abs().Max().Item<double>();
        double rel32 = MaxAbsDiff(scan32, loop) / loop.Abs().Max().Item<double>();

        Assert.True(rel64 < 1e-9, $"float64 relative error {rel64:E2}");
        Assert.True(rel32 > 100 * rel64, $"float32 relative error {rel32:E2} vs float64 {rel64:E2}");
        Assert.True(rel32 < 1e-2, $"float32 relative error {rel32:E2}");
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var scope = NewScope();
        var e = Assert.Throws<ArgumentException>(() => LinearRecurrence.Sequential(Tensor.Zeros(2, 3, 4), Tensor.Zeros(2, 3, 5)));
        Assert.Contains("[2, 3, 4]", e.Message);
    }
}
