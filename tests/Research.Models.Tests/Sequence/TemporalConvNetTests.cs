using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class TemporalConvNetTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    /// <summary>w = g · v / ‖v‖ with ‖v‖ over everything but the output channel, written out.</summary>
    private static Tensor ReparametrisedWeight(Conv1d conv)
    {
        using var scope = NewScope();
        var v = (Tensor)conv.WeightV!;                                                    // [out, in, k]
        var norm = v.Square().Sum(dim: 2, keepDim: true).Sum(dim: 1, keepDim: true).Sqrt();   // [out, 1, 1]
        return scope.Keep(conv.WeightG! * v / norm);
    }

    /// <summary>The definition of a dilated causal convolution: y[t] = b + Σ_j W[:, :, j] x[t − (k−1−j)d], zero before the start.</summary>
    private static Tensor CausalConvLoop(Tensor x, Tensor w, Tensor? b, int dilation)
    {
        using var scope = NewScope();
        long time = x.Size(2), k = w.Size(2);
        var steps = new Tensor[time];
        for (long t = 0; t < time; t++)
        {
            var y = Tensor.Zeros([x.Size(0), w.Size(0)], x.DType);                      // [batch, out]
            for (long j = 0; j < k; j++)
            {
                long s = t - (k - 1 - j) * dilation;
                if (s >= 0) y = y + x.Select(2, s).Matmul(w.Select(2, j).T);          // [batch, in] · [in, out]
            }
            steps[t] = b is null ? y : y + b;
        }
        return scope.Keep(Tensor.Stack(steps, 2));                                      // [batch, out, time]
    }

    [Fact]
    public void ReceptiveFieldFollowsTheFormula()
    {
        Assert.Equal(1, TemporalConvNet.ReceptiveFieldOf(2, 0));
        Assert.Equal(3, TemporalConvNet.ReceptiveFieldOf(2, 1));                        // one block: two convolutions of kernel 2
        Assert.Equal(1 + 2 * 1 * 15, TemporalConvNet.ReceptiveFieldOf(2, 4));
        Assert.Equal(1 + 2 * 7 * 255, TemporalConvNet.ReceptiveFieldOf(8, 8));          // the paper's copy-memory TCN
        Assert.Equal(1, TemporalConvNet.ReceptiveFieldOf(1, 5));                        // kernel 1 sees only the present
        Assert.Equal(6, TemporalConvNet.LevelsFor(220, 4));                             // 1 + 6·31 = 187 < 220 ≤ 1 + 6·63 = 379
        Assert.Equal(379, TemporalConvNet.ReceptiveFieldOf(4, TemporalConvNet.LevelsFor(220, 4)));
        Assert.Equal(0, TemporalConvNet.LevelsFor(1, 2));

        using var tcn = new TemporalConvNet(3, [5, 5, 5, 5], kernelSize: 3);
        Assert.Equal([1, 2, 4, 8], tcn.Blocks.Select(b => b.Dilation));
        Assert.Equal(tcn.ReceptiveField, 1 + tcn.Blocks.Sum(b => b.ReceptiveFieldGrowth));
    }

    [Fact]
    public void ShapesAndResidualProjections()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var tcn = new TemporalConvNet(3, [8, 8, 5], kernelSize: 3);
        Assert.Equal([2L, 5, 40], tcn.Forward(Tensor.RandN(2, 3, 40)).Shape);
        Assert.Equal([2L, 5, 1], tcn.Forward(Tensor.RandN(2, 3, 1)).Shape);             // a single step
        Assert.Equal(5, tcn.OutputChannels);
        Assert.NotNull(tcn.Blocks[0].Downsample);                                      // 3 → 8: 1×1 on the residual
        Assert.Null(tcn.Blocks[1].Downsample);                                         // 8 → 8: identity
        Assert.NotNull(tcn.Blocks[2].Downsample);                                      // 8 → 5
        Assert.Equal([8L, 3, 3], tcn.Blocks[0].Conv1.WeightV!.Shape);
        Assert.Equal([8L, 1, 1], tcn.Blocks[0].Conv1.WeightG!.Shape);                  // one magnitude per output channel
        Assert.Equal([8L, 3, 1], tcn.Blocks[0].Downsample!.Weight.Shape);
        var names = tcn.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Contains("blocks.0.conv1.weight_g", names);
        Assert.Contains("blocks.0.downsample.weight", names);
        Assert.DoesNotContain("blocks.1.downsample.weight", names);
        // per block: 2 convolutions (v, g, b) and, when the channels change, the 1×1 (w, b)
        long expected = (8 * 3 * 3 + 8 + 8 + 8 * 8 * 3 + 8 + 8 + 8 * 3 + 8) + (2 * (8 * 8 * 3 + 8 + 8)) + (5 * 8 * 3 + 5 + 5 + 5 * 5 * 3 + 5 + 5 + 5 * 8 + 5);
        Assert.Equal(expected, tcn.ParameterCount());
    }

    [Fact]
    public void BlockEqualsItsDefinitionWrittenAsALoop()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var block = new TemporalBlock(3, 4, kernelSize: 3, dilation: 2, dropout: 0.3, dtype: DType.Float64);
        block.Eval();                                                                   // dropout off
        var x = Tensor.RandN([2, 3, 25], DType.Float64);
        using var noGrad = NoGrad();
        var h = CausalConvLoop(x, ReparametrisedWeight(block.Conv1), block.Conv1.Bias, 2).Relu();
        h = CausalConvLoop(h, ReparametrisedWeight(block.Conv2), block.Conv2.Bias, 2).Relu();
        var residual = CausalConvLoop(x, block.Downsample!.Weight, block.Downsample.Bias, 1);   // 1×1
        var expected = (h + residual).Relu();
        var actual = block.Forward(x);
        Assert.Equal([2L, 4, 25], actual.Shape);
        Assert.True(MaxAbsDiff(actual, expected) < 1e-12, $"|block − loop| = {MaxAbsDiff(actual, expected):E2}");
        Assert.True(actual.Min().Item<double>() >= 0);                                  // the block ends with a ReLU
    }

    [Fact]
    public void IdentityResidualWhenTheChannelsAgree()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var block = new TemporalBlock(4, 4, kernelSize: 2, dilation: 4, dtype: DType.Float64);
        var x = Tensor.RandN([1, 4, 20], DType.Float64);
        using var noGrad = NoGrad();
        var h = CausalConvLoop(x, ReparametrisedWeight(block.Conv1), block.Conv1.Bias, 4).Relu();
        h = CausalConvLoop(h, ReparametrisedWeight(block.Conv2), block.Conv2.Bias, 4).Relu();
        Assert.True(MaxAbsDiff(block.Forward(x), (h + x).Relu()) < 1e-12);
    }

    [Fact]
    public void WeightNormIsThePlainConvolutionWithTheReparametrisedWeight()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var block = new TemporalBlock(5, 6, kernelSize: 4, dilation: 3, dtype: DType.Float64);
        var conv = block.Conv1;
        Assert.True(conv.HasWeightNorm);
        Assert.Throws<InvalidOperationException>(() => conv.Weight);                   // only g and v are parameters
        var x = Tensor.RandN([3, 5, 30], DType.Float64);
        using var noGrad = NoGrad();
        var w = ReparametrisedWeight(conv);
        // the same function as a plain causal convolution with w = g · v / ‖v‖ ...
        var plain = F.Conv1d(x, w, conv.Bias, padding: Padding.Causal, dilation: 3);
        Assert.True(MaxAbsDiff(conv.Forward(x), plain) < 1e-12);
        // ... g starts at ‖v‖, so the initial function is the unnormalised layer's ...
        Assert.True(MaxAbsDiff(w, conv.WeightV!) < 1e-12);
        // ... rescaling v changes nothing (only its direction matters) ...
        var before = conv.Forward(x);
        conv.WeightV!.Mul_(3.7);
        Assert.True(MaxAbsDiff(conv.Forward(x), before) < 1e-12);
        // ... g sets each output channel's norm: doubling g[0] doubles channel 0 (before the bias) and nothing else
        conv.WeightG!.Select(0, 0).Mul_(2.0);
        var scaled = conv.Forward(x);
        var bias = conv.Bias!.Reshape(1, -1, 1);
        Assert.True(MaxAbsDiff((scaled - bias).Select(1, 0), 2.0 * (before - bias).Select(1, 0)) < 1e-12);
        Assert.True(MaxAbsDiff(scaled.Narrow(1, 1, 5), before.Narrow(1, 1, 5)) < 1e-12);
        // folding the reparametrisation back into a plain weight keeps the function
        conv.RemoveWeightNorm();
        Assert.True(MaxAbsDiff(conv.Forward(x), scaled) < 1e-12);

        using var unnormalised = new TemporalBlock(5, 6, kernelSize: 4, dilation: 3, weightNorm: false);
        Assert.False(unnormalised.Conv1.HasWeightNorm);
        Assert.Null(unnormalised.Conv2.WeightG);
    }

    [Fact]
    public void WeightNormGradientsMatchFiniteDifferences()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var block = new TemporalBlock(2, 3, kernelSize: 3, dilation: 2, dtype: DType.Float64);
        var x = Tensor.RandN([2, 2, 12], DType.Float64);
        var probe = Tensor.RandN([2, 3, 12], DType.Float64);
        double Loss() { using var s = NewScope(); return (block.Forward(x) * probe).Sum().Item<double>(); }
        var g = (Tensor)block.Conv1.WeightG!;
        var v = (Tensor)block.Conv1.WeightV!;
        var grads = Autograd.Grad([(block.Forward(x) * probe).Sum()], [g, v]);
        const double eps = 1e-6;
        foreach (var (param, grad) in new[] { (g, grads[0]!), (v, grads[1]!) })
        {
            var flat = param.Reshape(-1);
            var analytic = grad.Reshape(-1).ToArray<double>();
            for (int i = 0; i < analytic.Length; i++)
            {
                double numeric;
                using (NoGrad())
                {
                    double old = flat[i].Item<double>();
                    flat[i].Fill_(old + eps);
                    double up = Loss();
                    flat[i].Fill_(old - eps);
                    double down = Loss();
                    flat[i].Fill_(old);
                    numeric = (up - down) / (2 * eps);
                }
                Assert.True(Math.Abs(numeric - analytic[i]) < 1e-6 * (1 + Math.Abs(numeric)), $"element {i}: autograd {analytic[i]:E4}, finite differences {numeric:E4}");
            }
        }
    }

    [Fact]
    public void OutputsNeverDependOnLaterInputs()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var tcn = new TemporalConvNet(3, [6, 6, 6], kernelSize: 3);
        var x = Tensor.RandN(2, 3, 60);
        const int t = 30;
        var perturbed = x.Clone();
        perturbed.Narrow(2, t + 1, 60 - t - 1).Copy_(Tensor.RandN(2, 3, 60 - t - 1));
        using var noGrad = NoGrad();
        var before = tcn.Forward(x);
        var after = tcn.Forward(perturbed);
        Assert.Equal(0, MaxAbsDiff(before.Narrow(2, 0, t + 1), after.Narrow(2, 0, t + 1)));   // bitwise unchanged up to t
        Assert.True(MaxAbsDiff(before.Narrow(2, t + 1, 60 - t - 1), after.Narrow(2, t + 1, 60 - t - 1)) > 0);
    }

    [Theory]
    [InlineData(2, 4)]
    [InlineData(3, 3)]
    [InlineData(5, 2)]
    public void GradientIsNonZeroExactlyOnTheReceptiveField(int kernelSize, int levels)
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var tcn = new TemporalConvNet(4, Enumerable.Repeat(8, levels).ToArray(), kernelSize, dtype: DType.Float64);
        int rf = tcn.ReceptiveField;
        Assert.Equal(1 + 2 * (kernelSize - 1) * ((1 << levels) - 1), rf);
        int time = rf + 30, t = rf + 10;
        var x = Tensor.RandN([4, 4, time], DType.Float64).RequiresGrad_();
        var probe = Tensor.RandN([4, 8], DType.Float64);
        (tcn.Forward(x).Select(2, t) * probe).Sum().Backward();
        var perStep = x.Grad!.Abs().Sum(dim: 1).Sum(dim: 0).ToArray<double>();         // |∂ out[t] / ∂ x[s]| summed over channels and batch
        for (int s = 0; s < time; s++)
        {
            bool inside = s > t - rf && s <= t;
            if (inside) Assert.True(perStep[s] > 0, $"input {s} (lag {t - s}) is inside the receptive field {rf} but has zero gradient");
            else Assert.True(perStep[s] == 0, $"input {s} (lag {t - s}) is outside the receptive field {rf} but has gradient {perStep[s]:E2}");
        }
    }

    [Fact]
    public void DropoutIsActiveOnlyInTraining()
    {
        using var scope = NewScope();
        ManualSeed(7);
        using var tcn = new TemporalConvNet(3, [6, 6], kernelSize: 2, dropout: 0.5);
        Assert.All(tcn.Blocks, b => Assert.Equal(0.5, b.Dropout1.P));
        var x = Tensor.RandN(2, 3, 20);
        using var noGrad = NoGrad();
        Assert.True(MaxAbsDiff(tcn.Forward(x), tcn.Forward(x)) > 0);                   // training: two different masks
        tcn.Eval();
        Assert.Equal(0, MaxAbsDiff(tcn.Forward(x), tcn.Forward(x)));
        // spatial dropout: a dropped channel of the first convolution is zero at every step
        tcn.Train();
        var h = tcn.Blocks[0].Dropout1.Forward(Tensor.Ones(4, 6, 20));
        var perChannel = h.Abs().Sum(dim: 2);                                          // [4, 6]
        var expectedSums = (h.Select(2, 0) * 20.0);                                   // each channel is constant in time
        Assert.True(MaxAbsDiff(perChannel, expectedSums) < 1e-5);
        Assert.True(perChannel.Eq(0).Any().Item<bool>(), "some channel should be dropped with p = 0.5 over 24 channels");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        using var scope = NewScope();
        using var tcn = new TemporalConvNet(3, [4, 4], kernelSize: 2);
        var wrongChannels = Assert.Throws<ArgumentException>(() => tcn.Forward(Tensor.RandN(2, 5, 10)));
        Assert.Contains("[batch, 3, time]", wrongChannels.Message);
        Assert.Throws<ArgumentException>(() => tcn.Forward(Tensor.RandN(3, 10)));       // missing batch dimension
        var ints = Assert.Throws<ArgumentException>(() => tcn.Forward(Tensor.RandInt(0, 3, [2, 3, 10])));
        Assert.Contains("floating-point", ints.Message);
        Assert.Throws<ArgumentException>(() => tcn.Blocks[1].Forward(Tensor.RandN(2, 3, 10)));
        Assert.Throws<ArgumentException>(() => new TemporalConvNet(3, Array.Empty<int>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalConvNet(3, [4, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalConvNet(0, [4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalConvNet(3, [4], kernelSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalConvNet(3, [4], dropout: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalBlock(3, 4, 2, dilation: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TemporalConvNet.LevelsFor(100, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TemporalConvNet.ReceptiveFieldOf(2, 31));
    }
}
