using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class VariationalSsmTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    /// <summary>Two float64 layers with 8-step chunks: sequences of 37 steps cover several chunks and a partial one.</summary>
    private static VariationalSsm ChunkedFloat64Model() => new(latent: 3, width: 6, state: 5, layers: 2, chunk: 8, dtype: DType.Float64);

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(1.5, 0.3)]
    [InlineData(-0.7, 2.5)]
    public void GaussianKlEqualsTheIntegralOfQLogQOverP(double mu, double sigma)
    {
        // KL(q ‖ p) = ∫ q(z) (log q(z) − log p(z)) dz by the midpoint rule on [μ − 12σ, μ + 12σ]
        int n = 200_000;
        double lo = mu - 12 * sigma, width = 24 * sigma / n, integral = 0;
        for (int i = 0; i < n; i++)
        {
            double z = lo + (i + 0.5) * width;
            double logQ = -0.5 * Math.Pow((z - mu) / sigma, 2) - Math.Log(sigma) - 0.5 * Math.Log(2 * Math.PI);
            double logP = -0.5 * z * z - 0.5 * Math.Log(2 * Math.PI);
            integral += Math.Exp(logQ) * (logQ - logP) * width;
        }
        using var scope = NewScope();
        double kl = VariationalSsm.GaussianKl(Tensor.From([mu]), Tensor.From([2 * Math.Log(sigma)])).Item<double>();
        Assert.True(Math.Abs(kl - integral) < 1e-6, $"closed form {kl} vs integral {integral}");
    }

    [Fact]
    public void ReparameterisationIsDifferentiableAndHasTheRightMoments()
    {
        using var scope = NewScope();
        ManualSeed(7);
        var mu = Tensor.From([0.3, -1.2]).RequiresGrad_();
        var logVar = Tensor.From([Math.Log(0.25), Math.Log(4.0)]).RequiresGrad_();
        var eps = Tensor.RandN([100_000, 2], DType.Float64);
        var z = VariationalSsm.Reparameterise(mu, logVar, eps);
        z.Sum().Backward();
        Assert.Equal([100_000.0, 100_000.0], mu.Grad!.ToArray<double>());                           // ∂z/∂μ = 1
        var expected = (eps * (0.5 * logVar.Detach()).Exp() * 0.5).Sum(0);                          // ∂z/∂log σ² = ½ σ ε
        Assert.True(MaxAbsDiff(logVar.Grad!, expected) < 1e-8);
        var mean = z.Detach().Mean(0).ToArray<double>();
        var std = z.Detach().Std(0).ToArray<double>();
        Assert.True(Math.Abs(mean[0] - 0.3) < 0.01 && Math.Abs(mean[1] + 1.2) < 0.04, $"means {mean[0]}, {mean[1]}");
        Assert.True(Math.Abs(std[0] - 0.5) < 0.01 && Math.Abs(std[1] - 2.0) < 0.04, $"stds {std[0]}, {std[1]}");
    }

    [Fact]
    public void ParallelDecodeEqualsStepByStepDecode()
    {
        using var scope = NewScope();
        ManualSeed(8);
        using var model = ChunkedFloat64Model();
        var z = Tensor.RandN([2, 37, 3], DType.Float64);                                              // 37 steps: several chunks and a partial one
        using var noGrad = NoGrad();
        var parallel = model.Decode(z);
        var stepwise = model.DecodeStepwise(z);
        Assert.Equal([2L, 37], parallel.Shape);
        Assert.True(MaxAbsDiff(parallel, stepwise) < 1e-12, $"|scan − loop| = {MaxAbsDiff(parallel, stepwise):E2}");
    }

    [Fact]
    public void EncoderAndDecoderAreCausal()
    {
        using var scope = NewScope();
        ManualSeed(9);
        using var model = new VariationalSsm(latent: 2, width: 4, state: 4, layers: 2, chunk: 4, dtype: DType.Float64);
        var x = Tensor.Rand([1, 20], DType.Float64).RequiresGrad_();
        var (mu, logVar) = model.Posterior(x);
        (mu.Select(1, 11).Sum() + logVar.Select(1, 11).Sum()).Backward();
        var g = x.Grad!.Squeeze(0).ToArray<double>();
        Assert.All(g.Skip(12), v => Assert.Equal(0.0, v));
        Assert.NotEqual(0.0, g[0]);
        var z = Tensor.RandN([1, 20, 2], DType.Float64).RequiresGrad_();
        model.Decode(z).Select(1, 5).Sum().Backward();
        var gz = z.Grad!.Abs().Sum(2).Squeeze(0).ToArray<double>();
        Assert.All(gz.Skip(6), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ElboIsTheReconstructionMinusTheClosedFormKl()
    {
        using var scope = NewScope();
        ManualSeed(10);
        using var model = new VariationalSsm(latent: 2, width: 4, state: 3, layers: 1, dtype: DType.Float64);
        var x = (Tensor.Rand([3, 12], DType.Float64) > 0.5).Double();
        using var noGrad = NoGrad();
        ManualSeed(11);
        var elbo = model.Elbo(x);
        ManualSeed(11);
        var (mu, logVar) = model.Posterior(x);
        var z = VariationalSsm.Reparameterise(mu, logVar, mu.RandNLike());                           // the same ε
        var p = model.Decode(z).Sigmoid();
        var logLikelihood = (x * p.Log() + (1.0 - x) * (1.0 - p).Log()).Sum(1);
        var expected = logLikelihood - VariationalSsm.GaussianKl(mu, logVar).Sum(2).Sum(1);
        Assert.True(MaxAbsDiff(elbo, expected) < 1e-10);
        // the importance-weighted bound with many samples is at least the mean ELBO (Burda et al.), here by a wide margin of noise
        double iw = model.ImportanceWeightedBound(x, 64).Mean().Item<double>();
        double meanElbo = Enumerable.Range(0, 64).Average(_ => model.Elbo(x).Mean().Item<double>());
        Assert.True(iw >= meanElbo - 1e-9, $"IW bound {iw} < mean ELBO {meanElbo}");
    }

    [Fact]
    public void WithoutAnEncoderTheElboIsTheDecoderLikelihoodOfPriorLatents()
    {
        // q(z | x) = p(z): μ = 0, log σ² = 0, KL = 0, so the ELBO is log p(x | z) at z = ε ~ N(0, I)
        using var scope = NewScope();
        ManualSeed(13);
        using var model = new VariationalSsm(latent: 2, width: 4, state: 3, layers: 1, encoder: false, dtype: DType.Float64);
        Assert.Null(model.Encoder);
        var x = (Tensor.Rand([3, 12], DType.Float64) > 0.5).Double();
        using var noGrad = NoGrad();
        ManualSeed(14);
        var elbo = model.Elbo(x);
        ManualSeed(14);
        var (mu, logVar) = model.Posterior(x);
        Assert.Equal([3L, 12, 2], mu.Shape);
        Assert.Equal(0.0, mu.Abs().Max().Item<double>());
        Assert.Equal(0.0, logVar.Abs().Max().Item<double>());
        var p = model.Decode(mu.RandNLike()).Sigmoid();
        var expected = (x * p.Log() + (1.0 - x) * (1.0 - p).Log()).Sum(1);
        Assert.True(MaxAbsDiff(elbo, expected) < 1e-10);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ParameterCountOfMatchesTheBuiltModel(bool encoder)
    {
        using var scope = NewScope();
        using var model = new VariationalSsm(latent: 3, width: 7, state: 5, layers: 2, encoder: encoder);
        Assert.Equal(VariationalSsm.ParameterCountOf(3, 7, 5, 2, encoder), model.ParameterCount());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BothSamplersGiveBinarySequencesWithoutGradients(bool tokenLoop)
    {
        using var scope = NewScope();
        ManualSeed(12);
        using var model = new VariationalSsm(latent: 2, width: 4, state: 3, layers: 1);
        var samples = tokenLoop ? model.GenerateStepwise(5, 40) : model.Generate(5, 40);
        Assert.Equal([5L, 40], samples.Shape);
        Assert.False(samples.RequiresGrad);
        Assert.True((samples * (1.0 - samples)).Abs().Max().Item<float>() == 0 && samples.Min().Item<float>() >= 0);
    }

    [Fact]
    public void TokenLoopSamplerGivesTheParallelSamplersSequencesFromTheSameDraws()
    {
        // the same latents z and uniforms u through the scan (all steps at once) and through the recurrence (one step at a time)
        using var scope = NewScope();
        ManualSeed(15);
        using var model = ChunkedFloat64Model();
        var z = Tensor.RandN([64, 37, 3], DType.Float64);                                             // 37 steps: several chunks and a partial one
        var u = Tensor.Rand([64, 37], DType.Float64);
        var (parallel, pParallel) = model.Sample(z, u);
        var (loop, pLoop) = model.SampleStepwise(z, u);
        Assert.Equal([64L, 37], loop.Shape);
        Assert.True(MaxAbsDiff(pParallel, pLoop) < 1e-10, $"|σ(ℓ) scan − loop| = {MaxAbsDiff(pParallel, pLoop):E2}");
        Assert.Equal(0.0, MaxAbsDiff(parallel, loop));
        Assert.Equal(0.0, MaxAbsDiff(parallel, (u < pParallel).Double()));                            // x_t = 1[u_t < σ(ℓ_t)]
        double ones = parallel.Mean().Item<double>();
        Assert.True(ones > 0.05 && ones < 0.95, $"fraction of ones {ones}: the comparison must see both values");
    }

    [Fact]
    public void StateResetsMakeEveryBlockStartAfreshAndOnlyThen()
    {
        // with the state reset every 8 steps, a block whose latents repeat the first block's gets the first block's
        // probabilities; without resets the carried state changes them
        using var scope = NewScope();
        ManualSeed(17);
        using var model = ChunkedFloat64Model();
        var block = Tensor.RandN([4, 8, 3], DType.Float64);
        var z = Tensor.Cat([block, Tensor.RandN([4, 8, 3], DType.Float64), block], 1);                  // blocks 0 and 2 equal
        var u = Tensor.Rand([4, 24], DType.Float64);
        var (_, reset) = model.SampleStepwise(z, u, resetEvery: 8);
        var (_, carried) = model.SampleStepwise(z, u);
        Assert.True(MaxAbsDiff(reset.Narrow(1, 16, 8), reset.Narrow(1, 0, 8)) < 1e-12);
        Assert.Equal(0.0, MaxAbsDiff(reset.Narrow(1, 0, 8), carried.Narrow(1, 0, 8)));                 // no reset before step 8
        Assert.True(MaxAbsDiff(carried.Narrow(1, 16, 8), carried.Narrow(1, 0, 8)) > 1e-3, "the carried state must matter");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.SampleStepwise(z, u, resetEvery: 0));
    }

    [Fact]
    public void GruSamplingLoopAgreesWithTeacherForcedLogits()
    {
        // the logits the generation loop drew each sample from equal the teacher-forced logits of the sampled sequence
        using var scope = NewScope();
        ManualSeed(13);
        using var gru = new AutoregressiveGru(7, dtype: DType.Float64);
        var (samples, logits) = gru.GenerateWithLogits(3, 25);
        using var noGrad = NoGrad();
        Assert.True(MaxAbsDiff(logits, gru.Logits(samples)) < 1e-12);
        Assert.Equal(3L * (2 * 7 + 7 * 7 + 2 * 7) + 7 + 1, gru.ParameterCount());
        Assert.Equal(7, AutoregressiveGru.HiddenFor(gru.ParameterCount()));
    }
}
