using Research.Models.Audio;
using Research.Models.Compression;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class DualSoftmaxWaveRnnTests
{
    private static readonly DualSoftmaxWaveRnnConfig Small = new(Hidden: 8, HeadWidth: 6);

    // A pitched 16-bit test signal [batch, time]: a sine whose coarse and fine bytes both vary.
    private static Tensor Tone(long batch, long time)
    {
        var values = new long[batch * time];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++)
                values[b * time + t] = 32768 + (long)Math.Round(20000 * Math.Sin(0.3 * t + b) + 37 * b);
        return Tensor.From(values, batch, time);
    }

    [Fact]
    public void CoarseAndFineBytesRoundTripSixteenBitSamples()
    {
        using var scope = NewScope();
        long[] values = [0, 1, 255, 256, 257, 32767, 32768, 40000, 65279, 65280, 65535];
        var samples = Tensor.From(values, values.Length);
        var (coarse, fine) = DualSoftmaxWaveRnn.Split(samples);
        Assert.Equal(values.Select(v => v >> 8), coarse.ToArray<long>());
        Assert.Equal(values.Select(v => v & 255), fine.ToArray<long>());
        Assert.Equal(values, DualSoftmaxWaveRnn.Combine(coarse, fine).ToArray<long>());
        var random = Tensor.RandInt(0, 65536, [4, 100]);
        var (c, f) = DualSoftmaxWaveRnn.Split(random);
        Assert.Equal(random.ToArray<long>(), DualSoftmaxWaveRnn.Combine(c, f).ToArray<long>());
        Assert.True(c.Min().Item<long>() >= 0 && c.Max().Item<long>() <= 255 && f.Min().Item<long>() >= 0 && f.Max().Item<long>() <= 255);
        var grid = Tensor.From(new[] { -1f, -0.5f, 0f, 1f / 32768, 0.25f, 32767f / 32768 });
        var quantized = DualSoftmaxWaveRnn.Quantize(grid);
        Assert.Equal(new long[] { 0, 16384, 32768, 32769, 40960, 65535 }, quantized.ToArray<long>());
        Assert.Equal(grid.ToArray<float>(), DualSoftmaxWaveRnn.Dequantize(quantized).ToArray<float>());
        Assert.Equal(65535, DualSoftmaxWaveRnn.Quantize(Tensor.From(new[] { 1.5f })).Item<long>());       // clipped
        Assert.Throws<ArgumentException>(() => DualSoftmaxWaveRnn.Split(grid));
    }

    [Fact]
    public void ParameterCountIsTheModulesLessTheMaskedInputs()
    {
        foreach (var config in new[] { Small, new DualSoftmaxWaveRnnConfig(12, 5), new DualSoftmaxWaveRnnConfig(64, 90) })
        {
            using var model = new DualSoftmaxWaveRnn(config);
            Assert.Equal(model.ParameterCount() - 3L * config.Half, config.ParameterCount);
            Assert.Equal(config.ParameterCount, MagnitudePruner.CountNonzero(model));                    // the masked inputs are stored as 0
            Assert.Equal(3L * config.Hidden * config.Hidden, model.RecurrentWeight.NumEl);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new DualSoftmaxWaveRnn(new DualSoftmaxWaveRnnConfig(7, 4)));
        var wide = new DualSoftmaxWaveRnnConfig(256, 64);
        var matched = DualSoftmaxWaveRnnConfig.Matching(64, wide.NonzeroParameters(15.0 / 16));
        Assert.Equal(wide.RecurrentWeights / 16, matched.RecurrentWeights);
        Assert.InRange(matched.ParameterCount / (double)wide.NonzeroParameters(15.0 / 16), 0.99, 1.01);
    }

    [Fact]
    public void FineHeadSeesTheCurrentCoarseByteAndNothingSeesTheFuture()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new DualSoftmaxWaveRnn(Small, DType.Float64);
        var samples = Tone(2, 12);
        const int t = 6;                                                      // the sample changed; output p predicts sample p + 1
        var (coarse, fine, _) = model.Forward(samples);
        var values = samples.ToArray<long>();
        values[t] ^= 0x5A00;                                                  // a different coarse byte, the same fine byte
        var (coarseC, fineC, _) = model.Forward(Tensor.From(values, 2, 12));
        Assert.True((coarseC.Narrow(1, 0, t) - coarse.Narrow(1, 0, t)).Abs().Max().Item<double>() < 1e-12);          // P(c_≤t)
        Assert.True((fineC.Narrow(1, 0, t - 1) - fine.Narrow(1, 0, t - 1)).Abs().Max().Item<double>() < 1e-12);      // P(f_<t)
        Assert.True((fineC.Select(1, t - 1) - fine.Select(1, t - 1)).Abs().Max().Item<double>() > 1e-6);          // P(f_t | c_t)
        Assert.True((coarseC.Select(1, t) - coarse.Select(1, t)).Abs().Max().Item<double>() > 1e-6);              // P(c_t+1) sees s_t
        values = samples.ToArray<long>();
        values[t] ^= 0x5A;                                                    // the same coarse byte, a different fine byte
        var (coarseF, fineF, _) = model.Forward(Tensor.From(values, 2, 12));
        Assert.True((coarseF.Narrow(1, 0, t) - coarse.Narrow(1, 0, t)).Abs().Max().Item<double>() < 1e-12);
        Assert.True((fineF.Narrow(1, 0, t) - fine.Narrow(1, 0, t)).Abs().Max().Item<double>() < 1e-12);              // P(f_t) does not see f_t
    }

    [Fact]
    public void CoarseLogitsHaveNoGradientFromTheCurrentCoarseInput()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new DualSoftmaxWaveRnn(Small, DType.Float64);
        var x = Tensor.RandN([1, 5, 3], DType.Float64).RequiresGrad_();      // x_t = [c_{t−1}, f_{t−1}, c_t], soft inputs
        var cell = model.Cell;
        var (states, _) = F.Gru(x, cell.WeightIh * model.InputMask, cell.WeightHh, cell.BiasIh, cell.BiasHh);
        var halves = states.Chunk(2, 2);
        halves[0].Select(1, 4).Sum().Backward(retainGraph: true);             // y_c at the last step
        var grad = x.Grad!.Select(0, 0);                                      // [5, 3]
        Assert.Equal(0, grad.Select(0, 4).Select(0, 2).Abs().Item<double>());  // ∂y_c,t / ∂c_t = 0
        Assert.True(grad.Select(0, 4).Narrow(0, 0, 2).Abs().Sum().Item<double>() > 0);
        Assert.True(grad.Select(0, 3).Select(0, 2).Abs().Item<double>() > 0);  // c_{t−1} reached y_c through h_{t−1}
        x.Grad!.Zero_();
        halves[1].Select(1, 4).Sum().Backward();                              // y_f at the last step sees c_t
        Assert.True(x.Grad!.Select(0, 0).Select(0, 4).Select(0, 2).Abs().Item<double>() > 0);
    }

    [Fact]
    public void SteppingGivesTheTeacherForcedLikelihood()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var model = new DualSoftmaxWaveRnn(new DualSoftmaxWaveRnnConfig(10, 7), DType.Float64);
        var samples = Tone(2, 30);
        const int conditionOn = 3;
        var (nllCoarse, nllFine) = model.NextSampleNll(samples, conditionOn);
        var (_, _, last) = model.Forward(samples);
        var (c, f) = DualSoftmaxWaveRnn.Split(samples);
        using var stepper = new DualSoftmaxWaveRnnStepper(model, 2);
        double coarseSum = 0, fineSum = 0;
        for (int t = 1; t < 30; t++)
        {
            var lc = stepper.CoarseLogits(c.Select(1, t - 1), f.Select(1, t - 1)).LogSoftmax(1).Gather(1, c.Narrow(1, t, 1));
            var lf = stepper.FineLogits(c.Select(1, t)).LogSoftmax(1).Gather(1, f.Narrow(1, t, 1));
            if (t < conditionOn) continue;
            coarseSum -= lc.Sum().Item<double>();
            fineSum -= lf.Sum().Item<double>();
        }
        int scored = 2 * (30 - conditionOn);
        Assert.Equal(nllCoarse.Item<double>(), coarseSum / scored, 10);
        Assert.Equal(nllFine.Item<double>(), fineSum / scored, 10);
        Assert.True((stepper.State - last).Abs().Max().Item<double>() < 1e-12);
        Assert.Throws<InvalidOperationException>(() => stepper.FineLogits(c.Select(1, 0)));
    }

    [Fact]
    public void GenerateDependsOnTheSeedOnlyAndContinuesThePrime()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var model = new DualSoftmaxWaveRnn(Small);
        var prime = Tone(2, 10);
        var a = model.Generate(15, seed: 7, prime: prime);
        var b = model.Generate(15, seed: 7, prime: prime);
        Assert.Equal([2, 15], a.Shape);
        Assert.Equal(a.ToArray<long>(), b.ToArray<long>());
        Assert.True(a.Min().Item<long>() >= 0 && a.Max().Item<long>() <= 65535);
        Assert.NotEqual(a.ToArray<long>(), model.Generate(15, seed: 8, prime: prime).ToArray<long>());
        var greedy = model.Generate(3, temperature: 0, batch: 3);
        Assert.Equal([3, 3], greedy.Shape);
        Assert.Equal(greedy.Select(0, 0).ToArray<long>(), greedy.Select(0, 2).ToArray<long>());           // same start, no randomness
    }

    [Fact]
    public void PruningTheRecurrentWeightsKeepsTheTargetNonzeroCount()
    {
        using var scope = NewScope();
        ManualSeed(6);
        var config = new DualSoftmaxWaveRnnConfig(16, 8);
        using var model = new DualSoftmaxWaveRnn(config);
        var pruner = new MagnitudePruner(model, include: (name, _) => name == DualSoftmaxWaveRnn.RecurrentWeightName);
        Assert.Single(pruner.Layers);
        var schedule = GradualSparsitySchedule.Between(15.0 / 16, startStep: 2, endStep: 8, frequency: 2);
        using var adam = new Adam(model.Parameters(), lr: 1e-2);
        var samples = Tone(2, 24);
        for (int step = 0; step <= 10; step++)
            using (NewScope())
            {
                pruner.Update(schedule, step);
                var (coarse, fine) = model.NextSampleNll(samples);
                adam.ZeroGrad();
                (coarse + fine).Backward();
                pruner.Step(adam);
            }
        Assert.Equal(config.RecurrentWeights / 16, model.RecurrentWeight.Detach().CountNonzero().Item<long>());
        Assert.Equal(0, pruner.NonzeroPrunedWeights());
        Assert.Equal(config.NonzeroParameters(15.0 / 16), MagnitudePruner.CountNonzero(model));           // the rest stays dense, I* masked
    }
}
