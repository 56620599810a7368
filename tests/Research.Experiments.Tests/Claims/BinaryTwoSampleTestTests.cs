using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Claims;

public class BinaryTwoSampleTestTests
{
    [Fact]
    public void FeaturesArePixelsThenPairsPerLag()
    {
        using var scope = NewScope();
        var x = Tensor.From(new[] { 1.0, 1, 0, 1 }).Reshape([1, 4]);
        var f = BinaryTwoSampleTest.Features(x, [1, 3]);
        Assert.Equal(new byte[] { 1, 1, 0, 1, /* lag 1 */ 1, 0, 0, /* lag 3 */ 1 }, f[0]);
    }

    [Fact]
    public void StatisticIsTheLargestStandardisedMeanDifference()
    {
        // one pixel: a = (1, 1, 1, 0) mean 0.75, b = (1, 0, 0, 0, 0, 0) mean 1/6; pooled 0.4; the constant pixel is skipped
        using var scope = NewScope();
        var a = Tensor.From(new[] { 1.0, 1, 1, 1, 1, 1, 0, 1 }).Reshape([4, 2]);
        var b = Tensor.From(new[] { 1.0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }).Reshape([6, 2]);
        var pooled = BinaryTwoSampleTest.Features(a, []).Concat(BinaryTwoSampleTest.Features(b, [])).ToArray();
        double expected = (0.75 - 1.0 / 6) / Math.Sqrt(0.4 * 0.6 * (1.0 / 4 + 1.0 / 6));
        Assert.Equal(expected, BinaryTwoSampleTest.Statistic(pooled, 4), 12);
        Assert.Equal(expected, BinaryTwoSampleTest.Run(a, b, [], 9, 0).Statistic, 12);
    }

    [Fact]
    public void IdenticalSamplesHavePValueOne()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var x = (Tensor.Rand([50, 10], DType.Float64) < 0.5).Double();
        var outcome = BinaryTwoSampleTest.Run(x, x.Clone(), [1], 99, 1);
        Assert.Equal(0.0, outcome.Statistic);
        Assert.Equal(1.0, outcome.PValue);
        Assert.Equal(10 + 9, outcome.Features);
    }

    [Fact]
    public void DifferentMarginalsGetTheSmallestPValue()
    {
        using var scope = NewScope();
        ManualSeed(4);
        var a = (Tensor.Rand([300, 8], DType.Float64) < 0.3).Double();
        var b = (Tensor.Rand([300, 8], DType.Float64) < 0.6).Double();
        Assert.Equal(1.0 / 200, BinaryTwoSampleTest.Run(a, b, [1], 199, 2).PValue);
    }

    [Fact]
    public void SameMarginalsButBrokenPairsAreDetectedThroughThePairFeatures()
    {
        // a: x_{t+1} = x_t (runs), b: independent pixels with the same marginals ½ — only the pair features tell them apart
        using var scope = NewScope();
        ManualSeed(5);
        var a = (Tensor.Rand([400, 1], DType.Float64) < 0.5).Double().Expand([400, 6]).Contiguous();
        var b = (Tensor.Rand([400, 6], DType.Float64) < 0.5).Double();
        Assert.True(BinaryTwoSampleTest.Run(a, b, [], 199, 3).PValue > 0.01);
        Assert.Equal(1.0 / 200, BinaryTwoSampleTest.Run(a, b, [1], 199, 3).PValue);
    }

    [Fact]
    public void PValuesOfSamplesFromOneDistributionAreNotSmallTooOften()
    {
        // the level: over 40 pairs of samples from the same Bernoulli sequences, p ≤ 0.05 about 2 times (binomial: ≤ 8 by far)
        using var scope = NewScope();
        ManualSeed(6);
        var probabilities = Tensor.Rand([12], DType.Float64);
        int small = Enumerable.Range(0, 40).Count(i =>
        {
            using var inner = NewScope();
            var a = (Tensor.Rand([100, 12], DType.Float64) < probabilities).Double();
            var b = (Tensor.Rand([100, 12], DType.Float64) < probabilities).Double();
            return BinaryTwoSampleTest.Run(a, b, [1, 2], 99, i).PValue <= 0.05;
        });
        Assert.True(small <= 8, $"{small}/40 p-values ≤ 0.05");
    }
}
