using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Flows;

public class FlowLayerTests
{
    private const int Channels = 4, ConditionChannels = 3, Time = 6;

    /// <summary>Every layer kind, and their chain, with conditioning; couplings get non-zero last layers so they are not the identity.</summary>
    private static IEnumerable<(string Name, Func<DType, FlowLayer> Make)> Layers()
    {
        yield return ("actnorm", d => Initialised(new ActNorm(Channels, d), d));
        yield return ("1x1", d => new InvertibleConv1x1(Channels, d));
        yield return ("coupling", d => Active(new AffineCoupling(Channels, ConditionChannels, 5, 2, dtype: d)));
        yield return ("coupling-swap", d => Active(new AffineCoupling(Channels, ConditionChannels, 5, 2, swapHalves: true, dtype: d)));
        yield return ("squeeze", _ => new Squeeze(2));
        yield return ("chain", d => new FlowSequence(Initialised(new ActNorm(Channels, d), d), new InvertibleConv1x1(Channels, d),
            Active(new AffineCoupling(Channels, ConditionChannels, 5, 2, dtype: d)), new Squeeze(2),
            Active(new AffineCoupling(2 * Channels, 2 * ConditionChannels, 5, 2, swapHalves: true, dtype: d))));
    }

    private static ActNorm Initialised(ActNorm layer, DType dtype)
    {
        using var scope = NewScope();
        layer.Forward(Tensor.RandN([5, Channels, Time], dtype) * 3 + 1);
        return layer;
    }

    private static AffineCoupling Active(AffineCoupling layer)
    {
        using (NoGrad()) Init.Normal_(layer.Net.End.Weight, 0, 0.3);
        return layer;
    }

    [Theory]
    [InlineData(DType.Float64, 1e-10)]
    [InlineData(DType.Float32, 1e-5)]
    public void InverseOfForwardIsTheIdentity(DType dtype, double tolerance)
    {
        foreach (var (name, make) in Layers())
        {
            using var scope = NewScope();
            ManualSeed(1);
            using var layer = make(dtype);
            var x = Tensor.RandN([3, Channels, Time], dtype);
            var c = Tensor.RandN([3, ConditionChannels, Time], dtype);
            using var noGrad = NoGrad();
            var (y, logDet) = layer.Forward(x, c);
            Assert.Equal([3], logDet.Shape);
            double error = (layer.Inverse(y, c) - x).Abs().Max().Item<double>();
            Assert.True(error < tolerance, $"{name}: |f⁻¹(f(x)) − x| = {error:E2} ≥ {tolerance:E0}");
        }
    }

    [Fact]
    public void LogDetIsTheJacobiansLogAbsDeterminant()
    {
        foreach (var (name, make) in Layers())
        {
            using var scope = NewScope();
            ManualSeed(2);
            using var layer = make(DType.Float64);
            var x = Tensor.RandN([1, Channels, Time], DType.Float64).RequiresGrad_();
            var c = Tensor.RandN([1, ConditionChannels, Time], DType.Float64);
            var (y, logDet) = layer.Forward(x, c);
            var flat = y.Reshape(-1);
            long n = flat.Size(0);
            var rows = new Tensor[n];                                                   // row i of ∂y/∂x by reverse-mode autograd
            for (long i = 0; i < n; i++) rows[i] = Autograd.Grad(flat[i], x, retainGraph: true).Reshape(-1);
            var (_, logAbsDet) = Linalg.SlogDet(Tensor.Stack(rows));
            double expected = logAbsDet.Item<double>(), measured = logDet.Item<double>();
            Assert.True(Math.Abs(expected - measured) < 1e-9, $"{name}: log-det {measured} vs slogdet of the Jacobian {expected}");
        }
    }

    [Fact]
    public void ActNormStartsWithZeroMeanAndUnitVariance()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var layer = new ActNorm(Channels, DType.Float64);
        var x = Tensor.RandN([8, Channels, 50], DType.Float64) * Tensor.From(new[] { 0.1, 1, 5, 30 }, 1, Channels, 1) + 7;
        var (y, logDet) = layer.Forward(x);
        Assert.True(layer.Initialized);
        Assert.True(y.Mean([0, 2]).Abs().Max().Item<double>() < 1e-10);
        Assert.True((y.Var([0, 2], correction: 0) - 1).Abs().Max().Item<double>() < 1e-4);                     // up to the 1e-6 added to the std
        var (y2, _) = layer.Forward(x * 2);                                            // initialised once: the same affine map afterwards
        Assert.True((y2.Mean([0, 2]) - x.Mean([0, 2]) * layer.LogScale.Exp().Reshape(-1)).Abs().Max().Item<double>() < 1e-8);
        Assert.True((logDet - 50 * layer.LogScale.Sum()).Abs().Max().Item<double>() < 1e-10);
    }

    [Fact]
    public void SqueezeGroupsConsecutiveSamplesIntoChannels()
    {
        using var scope = NewScope();
        var x = Tensor.Arange(2 * 3 * 8, DType.Float64).Reshape(2, 3, 8);
        using var squeeze = new Squeeze(4);
        var y = squeeze.Group(x);
        Assert.Equal([2, 12, 2], y.Shape);
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int j = 0; j < 4; j++)
                    for (int t = 0; t < 2; t++)
                        Assert.Equal(x[b, c, t * 4 + j].Item<double>(), y[b, c * 4 + j, t].Item<double>());
        Assert.Throws<ArgumentException>(() => squeeze.Group(Tensor.Zeros([1, 1, 6])));
    }

    [Fact]
    public void CouplingStartsAsTheIdentityAndOnlyMovesTheSecondHalf()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var fresh = new AffineCoupling(Channels, ConditionChannels, 5, 2, dtype: DType.Float64);
        var x = Tensor.RandN([2, Channels, Time], DType.Float64);
        var c = Tensor.RandN([2, ConditionChannels, Time], DType.Float64);
        var (y, logDet) = fresh.Forward(x, c);
        Assert.Equal(0, (y - x).Abs().Max().Item<double>());
        Assert.Equal(0, logDet.Abs().Max().Item<double>());
        var (moved, _) = Active(fresh).Forward(x, c);
        Assert.Equal(0, (moved.Narrow(1, 0, 2) - x.Narrow(1, 0, 2)).Abs().Max().Item<double>());
        Assert.True((moved.Narrow(1, 2, 2) - x.Narrow(1, 2, 2)).Abs().Max().Item<double>() > 1e-3);
    }

    [Fact]
    public void OneByOneConvolutionStartsAsARotation()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var layer = new InvertibleConv1x1(6, DType.Float64);
        var w = layer.Weight;
        Assert.True((w.Matmul(w.T) - Tensor.Eye(6, dtype: DType.Float64)).Abs().Max().Item<double>() < 1e-12);
        Assert.True(Math.Abs(Linalg.Det(w).Item<double>() - 1) < 1e-12);
    }

    [Fact]
    public void BitsPerDimensionIsTheGaussianNllByHand()
    {
        using var scope = NewScope();
        double[] z = [0.5, -1.0, 2.0, 0.0, 1.5, -0.25];
        double[] logDet = [0.7, -1.2];
        const double sigma = 0.8;
        double total = 0;
        for (int b = 0; b < 2; b++)
        {
            double nats = -logDet[b];
            for (int d = 0; d < 3; d++)
            {
                double v = z[3 * b + d];
                nats += v * v / (2 * sigma * sigma) + 0.5 * Math.Log(2 * Math.PI * sigma * sigma);
            }
            total += nats / 3 / Math.Log(2);
        }
        var measured = FlowSequence.BitsPerDimension(Tensor.From(z, 2, 1, 3), Tensor.From(logDet), sigma).Item<double>();
        Assert.Equal(total / 2, measured, 12);
    }

    [Fact]
    public void ChainKeepsTheConditioningAlignedThroughSqueezes()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var flow = new FlowSequence(new Squeeze(2), Active(new AffineCoupling(2, 2, 4, 1, dtype: DType.Float64)), new Squeeze(2),
            Active(new AffineCoupling(4, 4, 4, 1, dtype: DType.Float64)));
        var x = Tensor.RandN([1, 1, 16], DType.Float64);
        var c = Tensor.RandN([1, 1, 16], DType.Float64);
        var (z, _) = flow.Forward(x, c);
        Assert.Equal([1, 4, 4], z.Shape);
        Assert.Equal([1, 4, 4], flow.NextCondition(c)!.Shape);
        var (other, _) = flow.Forward(x, c * 2);                                       // the conditioning reaches the couplings
        Assert.True((other - z).Abs().Max().Item<double>() > 1e-6);
        Assert.True((flow.Inverse(z, c) - x).Abs().Max().Item<double>() < 1e-12);
    }
}
