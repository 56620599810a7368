using Research.Models.Audio;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class WaveNetTests
{
    private static readonly WaveNetConfig Small = new(ResidualChannels: 8, GateChannels: 8, SkipChannels: 16, HeadChannels: 16, Blocks: 2, LayersPerBlock: 4);

    [Fact]
    public void ReceptiveFieldFollowsTheDilations()
    {
        Assert.Equal([1, 2, 4, 8, 1, 2, 4, 8], Small.Dilations);
        Assert.Equal(2 + 2 * 15, Small.ReceptiveField);                                   // 1 + (k_in − 1) + Σ d
        Assert.Equal(2 + 2 * 255, new WaveNetConfig().ReceptiveField);                    // the default: 512 samples
        Assert.Equal(1 + 2 + 2 * 2 * 7, new WaveNetConfig(Blocks: 2, LayersPerBlock: 3, KernelSize: 3, InputKernelSize: 3).ReceptiveField);
    }

    [Fact]
    public void ParameterCountIsTheModules()
    {
        foreach (var config in new[] { Small, Small with { KernelSize = 3, InputKernelSize = 3 }, Small with { Blocks = 1, LayersPerBlock = 1, KernelSize = 9 } })
        {
            using var model = new WaveNet(config);
            Assert.Equal(model.ParameterCount(), config.ParameterCount);
        }
    }

    [Fact]
    public void UndilatedStackHasDilationOneAndTheSameParameters()
    {
        var undilated = Small with { Dilated = false };
        Assert.Equal(Enumerable.Repeat(1, 8), undilated.Dilations);
        Assert.Equal(2 + 8, undilated.ReceptiveField);                                    // 1 + (k_in − 1) + one sample per layer
        using var model = new WaveNet(undilated);
        Assert.All(model.Layers, l => Assert.Equal(1, l.Dilation));
        Assert.Equal(Small.ParameterCount, model.ParameterCount());
    }

    [Fact]
    public void ForwardMapsCodesToLogitsPerSample()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new WaveNet(Small);
        var codes = Tensor.RandInt(0, 256, [3, 50]);
        var logits = model.Forward(codes);
        Assert.Equal([3, 256, 50], logits.Shape);
        var oneHot = F.OneHot(codes, 256).Float().Transpose(1, 2);                          // [3, 256, 50]
        Assert.Equal(0, (model.Forward(oneHot) - logits).Abs().Max().Item<float>());
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.RandInt(0, 256, [50])));
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.RandN(3, 255, 50)));
    }

    [Fact]
    public void CausalStackNeverSeesTheFuture()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new WaveNet(Small);
        var codes = Tensor.RandInt(0, 256, [2, 80]);
        const int t = 40;
        var perturbed = codes.Clone();
        perturbed.Narrow(1, t + 1, 80 - t - 1).Copy_(Tensor.RandInt(0, 256, [2, 80 - t - 1]));
        using var noGrad = NoGrad();
        var before = model.Forward(codes);
        var after = model.Forward(perturbed);
        Assert.Equal(0, (before.Narrow(2, 0, t + 1) - after.Narrow(2, 0, t + 1)).Abs().Max().Item<float>());
        Assert.True((before.Narrow(2, t + 1, 80 - t - 1) - after.Narrow(2, t + 1, 80 - t - 1)).Abs().Max().Item<float>() > 0);
    }

    [Fact]
    public void GradientOfOutputIsNonZeroExactlyOnTheReceptiveField()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new WaveNet(Small, dtype: DType.Float64);
        const int time = 100, t = 70;
        int rf = model.ReceptiveField;                                                      // 32
        var oneHot = F.OneHot(Tensor.RandInt(0, 256, [1, time]), 256).Double().Transpose(1, 2).Contiguous().RequiresGrad_();
        var logits = model.Forward(oneHot);                                                 // [1, 256, time]
        var probe = Tensor.RandN([256], DType.Float64);
        (logits.Select(2, t).Squeeze(0) * probe).Sum().Backward();
        var perLag = oneHot.Grad!.Abs().Sum(dim: 1).Squeeze(0).ToArray<double>();         // |∂ out[t] / ∂ input[s]| summed over classes
        for (int s = 0; s < time; s++)
        {
            bool inside = s > t - rf && s <= t;
            if (inside) Assert.True(perLag[s] > 0, $"input {s} (lag {t - s}) is inside the receptive field {rf} but has zero gradient");
            else Assert.True(perLag[s] == 0, $"input {s} (lag {t - s}) is outside the receptive field {rf} but has gradient {perLag[s]:E2}");
        }
    }

    [Fact]
    public void QueuedStepsMatchTheTeacherForcedForward()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new WaveNet(Small with { KernelSize = 3, InputKernelSize = 3 }, dtype: DType.Float64);
        var codes = Tensor.RandInt(0, 256, [2, 60]);
        using var noGrad = NoGrad();
        var expected = model.Forward(codes);                                                // [2, 256, 60]
        using var queues = new WaveNetQueues(model, 2);
        for (int t = 0; t < 60; t++)
        {
            using var step = NewScope();
            var logits = queues.Step(codes.Select(1, t));                                   // [2, 256]
            var diff = (logits - expected.Select(2, t)).Abs().Max().Item<double>();
            Assert.True(diff < 1e-10, $"step {t}: |queued − forward| = {diff:E2}");
        }
        Assert.Equal(60, queues.Time);
    }

    [Fact]
    public void GenerateReturnsReproducibleCodesInRange()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var model = new WaveNet(Small);
        var a = model.Generate(300, seed: 7, batch: 2);
        var b = model.Generate(300, seed: 7, batch: 2);
        Assert.Equal([2, 300], a.Shape);
        Assert.Equal(DType.Int64, a.DType);
        Assert.True(a.Min().Item<long>() >= 0 && a.Max().Item<long>() <= 255);
        Assert.True(a.Eq(b).All().Item<bool>());
        Assert.True(a.Unique().Size(0) > 10, "an untrained network samples many different codes");
    }

    [Fact]
    public void SamplesFollowTheTemperedSoftmax()
    {
        using var scope = NewScope();
        ManualSeed(8);
        using var model = new WaveNet(Small);
        const int draws = 20000;
        var prime = Tensor.Full([draws, 5], 100, DType.Int64);                            // the same history in every row
        Tensor probabilities;
        using (NoGrad()) probabilities = (model.Forward(prime.Narrow(0, 0, 1)).Select(2, 4).Squeeze(0) / 0.5).Softmax(0);   // [256]
        var codes = model.Generate(1, seed: 3, temperature: 0.5, prime: prime).Squeeze(1);   // [draws]
        var frequencies = codes.BinCount(minLength: 256).Double() / draws;
        var totalVariation = 0.5 * (frequencies - probabilities.Double()).Abs().Sum().Item<double>();
        Assert.True(totalVariation < 0.05, $"total variation between sample frequencies and softmax(logits / T): {totalVariation:F3}");
    }

    [Fact]
    public void GreedyGenerationFollowsTheForwardArgmax()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var model = new WaveNet(Small, dtype: DType.Float64);
        var prime = Tensor.RandInt(0, 256, [1, 20]);
        var generated = model.Generate(40, temperature: 0, prime: prime);                   // [1, 40]
        var sequence = Tensor.Cat([prime, generated], 1);                                   // [1, 60]
        using var noGrad = NoGrad();
        var predicted = model.Forward(sequence.Narrow(1, 0, 59)).ArgMax(1);                 // argmax p(x[t+1] | x[≤t])
        Assert.True(predicted.Narrow(1, 19, 40).Eq(generated).All().Item<bool>());
    }

    [Fact]
    public void LearnsAToneWellBelowTheUniformNll()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var model = new WaveNet(Small);
        using var adam = new Adam(model.Parameters(), lr: 3e-3);
        var t = Tensor.Arange(600).Double();
        var wave = (t * (2 * Math.PI * 440 / 8000)).Sin() * 0.5;                          // 440 Hz at 8 kHz
        var codes = MuLawCodes(wave).Unsqueeze(0);                                          // [1, 600]
        double nll = double.NaN;
        for (int step = 0; step < 150; step++)
        {
            using var _ = NewScope();
            var loss = model.NextSampleNll(codes);
            adam.ZeroGrad();
            loss.Backward();
            adam.Step();
            nll = loss.Item<float>();
        }
        Assert.True(nll < 1.0, $"NLL after 150 steps {nll:F3} nats (uniform: {Math.Log(256):F2})");
    }

    private static Tensor MuLawCodes(Tensor x)
    {
        var f = x.Sign() * (x.Abs() * 255).Log1p() / Math.Log(256);
        return ((f + 1) / 2 * 255 + 0.5).Floor().Long();
    }
}
