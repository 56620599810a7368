using Research.Models.Diffusion;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Diffusion;

public class DenoisingDiffusionTests
{
    private static DenoisingDiffusion DiffWaveSchedule() => DenoisingDiffusion.Linear(50, 1e-4, 0.05);

    [Fact]
    public void FromBetasCountsDdpmStepsFromTheCleanEnd()
    {
        double[] betas = [0.01, 0.05, 0.2, 0.5];
        var d = new DenoisingDiffusion(NoiseSchedule.FromBetas(betas));
        Assert.Equal(4, d.Steps);
        Assert.Equal(3, d.Schedule.Steps);
        double product = 1;
        for (int s = 1; s <= 4; s++)
        {
            product *= 1 - betas[s - 1];
            Assert.Equal(product, d.AlphaBar(s), 14);
            Assert.Equal(product, d.Schedule.AlphaBar(4 - s), 14);                 // level T − s
            Assert.Equal(betas[s - 1], d.Beta(s), 12);
        }
        Assert.Equal(1, d.AlphaBar(0));
        var linear = DiffWaveSchedule();
        Assert.Equal(1e-4, linear.Beta(1), 12);
        Assert.Equal(0.05, linear.Beta(50), 12);
        Assert.Equal(1e-4 + (0.05 - 1e-4) * 24 / 49, linear.Beta(25), 12);
    }

    [Fact]
    public void CorruptedSamplesHaveTheForwardMarginal()
    {
        using var scope = NewScope();
        ManualSeed(11);
        var d = DiffWaveSchedule();
        const int n = 200_000;
        double[] x0Values = [1.0, -0.4, 0.0];
        var x0 = Tensor.From(x0Values).Unsqueeze(0).Expand([n, 3]).Contiguous();
        foreach (int s in new[] { 1, 20, 50 })
        {
            var (xs, _) = d.Corrupt(x0, Tensor.Full([n], s, DType.Int64));
            double a = d.AlphaBar(s), sd = Math.Sqrt(1 - a);
            var mean = xs.Mean(0).ToArray<double>();
            var variance = xs.Var(0).ToArray<double>();
            for (int k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(mean[k] - Math.Sqrt(a) * x0Values[k]) < 5 * sd / Math.Sqrt(n), $"s={s}, k={k}: mean {mean[k]}");
                Assert.True(Math.Abs(variance[k] - sd * sd) < 5 * sd * sd * Math.Sqrt(2.0 / n), $"s={s}, k={k}: variance {variance[k]}");
            }
        }
    }

    [Fact]
    public void CorruptUsesEachExamplesOwnStepAndTheGivenNoise()
    {
        using var scope = NewScope();
        var d = DiffWaveSchedule();
        var x0 = Tensor.From(new[] { 0.5, -1.0, 2.0, 0.25, 1.0, -0.5 }, 3, 2);
        var noise = Tensor.From(new[] { 0.1, 0.2, -0.3, 0.4, 1.5, -2.0 }, 3, 2);
        int[] steps = [1, 17, 50];
        var (xs, eps) = d.Corrupt(x0, Tensor.From(steps.Select(s => (long)s).ToArray()), noise);
        Assert.Same(noise, eps);
        var got = xs.ToArray<double>();
        var x = x0.ToArray<double>();
        var z = noise.ToArray<double>();
        for (int i = 0; i < 6; i++)
        {
            double a = d.AlphaBar(steps[i / 2]);
            Assert.Equal(Math.Sqrt(a) * x[i] + Math.Sqrt(1 - a) * z[i], got[i], 12);
        }
    }

    [Fact]
    public void AncestralStepIsDdpmsEpsilonForm()
    {
        // x_{s−1} = (x_s − β_s/√(1 − ᾱ_s) ε̂)/√(1 − β_s) + σ_s z, σ_s² = β_s (1 − ᾱ_{s−1})/(1 − ᾱ_s) (Ho et al., Algorithm 2)
        using var scope = NewScope();
        var d = DiffWaveSchedule();
        var x = Tensor.From(new[] { 0.3, -1.2, 0.8 });
        var eps = Tensor.From(new[] { 0.5, 0.1, -0.7 });
        var z = Tensor.From(new[] { -0.2, 1.1, 0.4 });
        double[] xv = [0.3, -1.2, 0.8], ev = [0.5, 0.1, -0.7], zv = [-0.2, 1.1, 0.4];
        foreach (int s in new[] { 1, 2, 10, 50 })
        {
            double beta = d.Beta(s), a = d.AlphaBar(s), before = d.AlphaBar(s - 1);
            double sigma = s == 1 ? 0 : Math.Sqrt(beta * (1 - before) / (1 - a));
            var got = d.Denoise(x, s, s - 1, eps, s == 1 ? null : z).ToArray<double>();
            for (int k = 0; k < 3; k++)
                Assert.Equal((xv[k] - beta / Math.Sqrt(1 - a) * ev[k]) / Math.Sqrt(1 - beta) + sigma * zv[k], got[k], 10);
        }
    }

    [Fact]
    public void FastScheduleKeepsTheLongSchedulesSignalLevelsAtItsSteps()
    {
        var d = DiffWaveSchedule();
        var fast = d.FastSteps(6);
        Assert.Equal(6, fast.Length);
        Assert.Equal(1, fast[0]);
        Assert.Equal(50, fast[^1]);
        Assert.True(fast.Zip(fast.Skip(1)).All(p => p.Second > p.First), string.Join(", ", fast));
        var sub = d.Schedule.AtLevels([.. fast.Reverse().Select(s => d.Steps - s)]);
        Assert.Equal(5, sub.Steps);
        for (int j = 0; j < 6; j++) Assert.Equal(d.AlphaBar(fast[5 - j]), sub.AlphaBar(j), 14);
        // the sampler visits exactly these steps, from T down to 0, and asks the model at each visited step but 0
        using var scope = NewScope();
        var asked = new List<int>();
        var seen = new List<int>();
        d.Sample((x, s) => { asked.Add(s); return x.ZerosLike(); }, [2, 4], fast, (s, _) => seen.Add(s));
        Assert.Equal(fast.Reverse(), asked);
        Assert.Equal([.. fast.Reverse(), 0], seen);
    }

    [Fact]
    public void SamplingWithTheExactNoiseOfAGaussianMixtureRecoversItsMoments()
    {
        // x_0 ~ Σ_k π_k N(μ_k, s_k²): q(x_s) = Σ_k π_k N(√ᾱ μ_k, ᾱ s_k² + 1 − ᾱ), ε*(x, s) = −√(1 − ᾱ_s) ∂_x log q(x_s = x)
        double[] pi = [0.3, 0.7], mu = [-2.0, 1.5], sd = [0.4, 0.6];
        double mean = pi.Select((p, k) => p * mu[k]).Sum();
        double variance = pi.Select((p, k) => p * (sd[k] * sd[k] + mu[k] * mu[k])).Sum() - mean * mean;
        var d = DenoisingDiffusion.Linear(200, 1e-4, 0.05);                      // ᾱ_T ≈ 0.006: x_T ≈ N(0, 1)
        Tensor ExactNoise(Tensor x, int s)
        {
            using var inner = NewScope();
            double a = d.AlphaBar(s);
            Tensor? weighted = null, total = null;
            for (int k = 0; k < 2; k++)
            {
                double v = a * sd[k] * sd[k] + 1 - a;
                var centred = x - Math.Sqrt(a) * mu[k];
                var density = (centred.Square() * (-0.5 / v)).Exp() * (pi[k] / Math.Sqrt(v));
                var score = centred * (-1 / v) * density;
                weighted = weighted is null ? score : weighted + score;
                total = total is null ? density : total + density;
            }
            return inner.Keep(weighted! / total! * -Math.Sqrt(1 - a));
        }
        using var scope = NewScope();
        ManualSeed(12);
        const int n = 40_000;
        var x0 = d.Sample(ExactNoise, [n], dtype: DType.Float64);
        double gotMean = x0.Mean().Item<double>(), gotVariance = x0.Var().Item<double>();
        double left = (x0 < 0).To(DType.Float64).Mean().Item<double>();
        Assert.True(Math.Abs(gotMean - mean) < 0.05, $"mean {gotMean} vs {mean}");
        Assert.True(Math.Abs(gotVariance / variance - 1) < 0.05, $"variance {gotVariance} vs {variance}");
        Assert.True(Math.Abs(left - pi[0]) < 0.02, $"mass below 0: {left} vs {pi[0]}");
    }

    [Fact]
    public void LossIsTheNoiseRegressionError()
    {
        using var scope = NewScope();
        ManualSeed(13);
        var d = DiffWaveSchedule();
        var x0 = Tensor.RandN([256, 16], DType.Float64);
        // a predictor that returns zero has loss E‖ε‖² ≈ 1; one that inverts the corruption exactly has loss 0
        Assert.InRange(d.Loss((x, _) => x.ZerosLike(), x0).Item<double>(), 0.85, 1.15);
        Assert.Equal(0, d.Loss((x, s) =>
        {
            using var inner = NewScope();
            var a = Tensor.From(s.ToArray<long>().Select(v => d.AlphaBar((int)v)).ToArray()).Unsqueeze(1);
            return inner.Keep((x - x0 * a.Sqrt()) / (1 - a).Sqrt());
        }, x0).Item<double>(), 10);
    }

    [Fact]
    public void InvalidStepsAreRejected()
    {
        var d = DiffWaveSchedule();
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Beta(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.AlphaBar(51));
        using var scope = NewScope();
        Assert.Throws<ArgumentException>(() => d.Sample((x, _) => x, [2], [5, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Denoise(Tensor.Zeros(2), 3, 3, Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => d.Corrupt(Tensor.Zeros(2, 3), Tensor.From(new[] { 1L })));
    }
}
