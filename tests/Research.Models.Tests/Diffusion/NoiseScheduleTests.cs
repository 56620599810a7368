using Research.Models.Diffusion;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Diffusion;

public class NoiseScheduleTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    public static TheoryData<string> Schedules => ["cosine10", "cosine3", "custom"];

    private static NoiseSchedule Make(string name) => name switch
    {
        "cosine10" => NoiseSchedule.Cosine(10),
        "cosine3" => NoiseSchedule.Cosine(3),
        _ => new NoiseSchedule([0.05, 0.3, 0.31, 0.8, 0.99]),
    };

    [Fact]
    public void CosineRunsFromPureNoiseUpwardsAndMatchesItsFormula()
    {
        var s = NoiseSchedule.Cosine(10, offset: 0.008);
        Assert.Equal(10, s.Steps);
        Assert.Equal(0, s.AlphaBar(0));
        for (int t = 1; t <= 10; t++)
        {
            Assert.True(s.AlphaBar(t) > s.AlphaBar(t - 1), $"ᾱ_{t} ≤ ᾱ_{t - 1}");
            Assert.True(s.SnrGain(t) > 0);
            // ᾱ_t = cos²(π/2 · (1 − t/11 + o)/(1 + o)) / cos²(π/2 · o/(1 + o))
            double expected = Math.Pow(Math.Cos(Math.PI / 2 * (1 - t / 11.0 + 0.008) / 1.008), 2) / Math.Pow(Math.Cos(Math.PI / 2 * 0.008 / 1.008), 2);
            Assert.Equal(expected, s.AlphaBar(t), 14);
        }
        Assert.True(s.AlphaBar(10) < 1);
        Assert.Equal(s.AlphaBar(4) / (1 - s.AlphaBar(4)), s.Snr(4), 14);
        Assert.Equal(s.Snr(10) - s.Snr(9), s.SnrGain(10), 12);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void PosteriorIsTheGaussianConditionalOfTheNoisingChain(string name)
    {
        // Noising chain z_{t−1} = √α_t z_t + √(1 − α_t) ξ given u: Var z_t = 1 − ᾱ_t, Cov(z_t, z_{t−1}) = √α_t (1 − ᾱ_t).
        // Conditioning the joint Gaussian: b = Cov / Var z_{t−1}, c = Var z_t − Cov² / Var z_{t−1}, a = √ᾱ_t − b √ᾱ_{t−1}.
        var s = Make(name);
        for (int t = 1; t <= s.Steps; t++)
        {
            double now = s.AlphaBar(t), before = s.AlphaBar(t - 1), alpha = before / now;
            double cov = Math.Sqrt(alpha) * (1 - now);
            double b = cov / (1 - before), c = (1 - now) - cov * cov / (1 - before), a = Math.Sqrt(now) - b * Math.Sqrt(before);
            var posterior = s.Posterior(t);
            Assert.Equal(a, posterior.A, 12);
            Assert.Equal(b, posterior.B, 12);
            Assert.Equal(c, posterior.C, 12);
            // so sampling z_{t−1} ~ q(z_{t−1} | u), then z_t ~ q(z_t | z_{t−1}, u), gives the marginal q(z_t | u)
            Assert.Equal(Math.Sqrt(now), posterior.A + posterior.B * Math.Sqrt(before), 12);
            Assert.Equal(1 - now, posterior.B * posterior.B * (1 - before) + posterior.C, 12);
        }
    }

    [Fact]
    public void SamplesHaveTheMarginalMeanAndVariance()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var s = NoiseSchedule.Cosine(10);
        const int n = 200_000;
        var u = Tensor.From(new[] { 1.0, -2.0, 0.5 }).Unsqueeze(0).Expand([n, 3]);
        foreach (int t in new[] { 0, 3, 10 })
        {
            var z = s.Sample(u, t);
            double sd = Math.Sqrt(1 - s.AlphaBar(t));
            var mean = z.Mean(0).ToArray<double>();
            var variance = z.Var(0).ToArray<double>();
            double[] uValues = [1.0, -2.0, 0.5];
            for (int d = 0; d < 3; d++)
            {
                Assert.True(Math.Abs(mean[d] - Math.Sqrt(s.AlphaBar(t)) * uValues[d]) < 5 * sd / Math.Sqrt(n) + 1e-12, $"t={t}, d={d}: mean {mean[d]}");
                Assert.True(Math.Abs(variance[d] - sd * sd) < 5 * sd * sd * Math.Sqrt(2.0 / n) + 1e-12, $"t={t}, d={d}: variance {variance[d]}");
            }
        }
    }

    [Fact]
    public void ADenoisingStepWithTheTrueSignalLandsOnTheNextMarginal()
    {
        using var scope = NewScope();
        ManualSeed(6);
        var s = NoiseSchedule.Cosine(6);
        const int n = 200_000;
        var u = Tensor.From(new[] { 0.7, -1.3 }).Unsqueeze(0).Expand([n, 2]);
        for (int t = 1; t <= 6; t++)
        {
            var zt = s.Step(t, u, s.Sample(u, t - 1));
            double sd = Math.Sqrt(1 - s.AlphaBar(t));
            var mean = zt.Mean(0).ToArray<double>();
            var variance = zt.Var(0).ToArray<double>();
            Assert.True(Math.Abs(mean[0] - Math.Sqrt(s.AlphaBar(t)) * 0.7) < 5 * sd / Math.Sqrt(n), $"t={t}: mean {mean[0]}");
            Assert.True(Math.Abs(mean[1] + Math.Sqrt(s.AlphaBar(t)) * 1.3) < 5 * sd / Math.Sqrt(n), $"t={t}: mean {mean[1]}");
            Assert.True(Math.Abs(variance[1] - sd * sd) < 5 * sd * sd * Math.Sqrt(2.0 / n), $"t={t}: variance {variance[1]}");
        }
    }

    [Fact]
    public void GivenNoiseIsUsedExactly()
    {
        using var scope = NewScope();
        ManualSeed(7);
        var s = new NoiseSchedule([0.1, 0.4, 0.9]);
        var u = Tensor.RandN([4, 3], DType.Float64);
        var z = Tensor.RandN([4, 3], DType.Float64);
        var eps = Tensor.RandN([4, 3], DType.Float64);
        Assert.True(MaxAbsDiff(s.Sample(u, 1, eps), u * Math.Sqrt(0.4) + eps * Math.Sqrt(0.6)) < 1e-15);
        var (a, b, c) = s.Posterior(2);
        Assert.True(MaxAbsDiff(s.Step(2, u, z, eps), u * a + z * b + eps * Math.Sqrt(c)) < 1e-15);
        Assert.True(MaxAbsDiff(s.Step(2, u, z, stochastic: false), u * a + z * b) < 1e-15);
    }

    [Fact]
    public void PriorKlIsTheGaussianKlAndVanishesForPureNoise()
    {
        using var scope = NewScope();
        ManualSeed(8);
        var u = Tensor.RandN([5, 4], DType.Float64);
        Assert.Equal(0, NoiseSchedule.Cosine(4).PriorKl(u).Abs().Max().Item<double>(), 12);

        // KL(N(μ, σ² I) ‖ N(0, I)) = ½ Σ (σ² + μ² − 1 − ln σ²) with μ = √ᾱ_0 u, σ² = 1 − ᾱ_0
        var s = new NoiseSchedule([0.2, 0.7]);
        var mu = u * Math.Sqrt(0.2);
        var expected = (mu.Square() + (0.8 - 1 - Math.Log(0.8))).Sum(-1) * 0.5;
        Assert.True(MaxAbsDiff(s.PriorKl(u), expected) < 1e-12);
    }

    [Fact]
    public void BadLevelsAndShapesThrow()
    {
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.5]));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.1, 0.1]));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.5, 0.2]));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.1, 1.0]));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([-0.1, 0.5]));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.1, double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NoiseSchedule.Cosine(0));
        var s = NoiseSchedule.Cosine(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.AlphaBar(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Posterior(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SnrGain(0));
        using var scope = NewScope();
        Assert.Throws<ArgumentException>(() => s.Sample(Tensor.Zeros(2, 3), 1, Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => s.Step(1, Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)));
    }
}
