using Research.Models.Diffusion;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Diffusion;

public class FlowMatchingTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void TargetIsTheTimeDerivativeOfThePath(double sigmaMin)
    {
        using var scope = NewScope();
        var fm = new FlowMatching(sigmaMin);
        var x1 = Tensor.From(new[] { 0.5, -1.0, 2.0, 0.25 }, 2, 2);
        var x0 = Tensor.From(new[] { 0.1, 0.7, -0.3, 1.2 }, 2, 2);
        var t = Tensor.From(new[] { 0.3, 0.8 });
        const double h = 1e-6;
        var (point, target) = fm.Path(x1, t, x0);
        var (ahead, _) = fm.Path(x1, t + h, x0);
        var (behind, _) = fm.Path(x1, t - h, x0);
        Assert.True(((ahead - behind) / (2 * h) - target).Abs().Max().Item<double>() < 1e-8);
        // the ends: pure noise at t = 0, data (up to σ_min x_0) at t = 1
        Assert.True((fm.Path(x1, Tensor.Zeros([2], DType.Float64), x0).Point - x0).Abs().Max().Item<double>() < 1e-14);
        Assert.True((fm.Path(x1, Tensor.Ones([2], DType.Float64), x0).Point - x1 - x0 * sigmaMin).Abs().Max().Item<double>() < 1e-14);
        // x_t = (1 − (1 − σ_min) t) x_0 + t x_1 at the first example
        Assert.Equal((1 - (1 - sigmaMin) * 0.3) * 0.1 + 0.3 * 0.5, point.ToArray<double>()[0], 12);
    }

    [Fact]
    public void EulerOnALinearFieldIsTheClosedFormProduct()
    {
        using var scope = NewScope();
        const double lambda = -1.3;
        var x0 = Tensor.From(new[] { 1.0, -2.0 });
        foreach (int n in new[] { 1, 6, 50 })
        {
            var x = FlowMatching.Euler((x, _) => x * lambda, x0, n).ToArray<double>();
            double factor = Math.Pow(1 + lambda / n, n);                           // (1 + λh)^N
            Assert.Equal(factor, x[0], 12);
            Assert.Equal(-2 * factor, x[1], 12);
        }
        // converges to the flow x_0 e^λ at first order
        double error = Math.Abs(FlowMatching.Euler((x, _) => x * lambda, x0, 2000).ToArray<double>()[0] - Math.Exp(lambda));
        Assert.True(error < 1e-3 && error > 0, $"error {error}");
        // a time-dependent field v = 2t is evaluated at the left ends t_k = k/N: x_N = x_0 + (N − 1)/N
        Assert.Equal(1 + 3.0 / 4, FlowMatching.Euler((x, t) => x.ZerosLike() + 2 * t, x0, 4).ToArray<double>()[0], 12);
        var seen = new List<int>();
        FlowMatching.Euler((x, _) => x, x0, 3, (k, _) => seen.Add(k));
        Assert.Equal([0, 1, 2, 3], seen);
    }

    [Fact]
    public void SamplingWithTheExactVelocityOfAGaussianMixtureRecoversItsMoments()
    {
        // x_1 ~ Σ_k π_k N(μ_k, s_k²), x_0 ~ N(0, 1), x_t = (1 − t) x_0 + t x_1 (σ_min = 0). Per component x_t ~ N(t μ_k, v_k),
        // v_k = t² s_k² + (1 − t)², and E[x_1 − x_0 | x_t = x, k] = μ_k + (t s_k² − (1 − t)) (x − t μ_k) / v_k;
        // the marginal velocity weights these by the components' posterior probabilities.
        double[] pi = [0.3, 0.7], mu = [-2.0, 1.5], sd = [0.4, 0.6];
        double mean = pi.Select((p, k) => p * mu[k]).Sum();
        double variance = pi.Select((p, k) => p * (sd[k] * sd[k] + mu[k] * mu[k])).Sum() - mean * mean;
        Tensor Velocity(Tensor x, double t)
        {
            using var inner = NewScope();
            Tensor? weighted = null, total = null;
            for (int k = 0; k < 2; k++)
            {
                double v = t * t * sd[k] * sd[k] + (1 - t) * (1 - t);
                var centred = x - t * mu[k];
                var density = (centred.Square() * (-0.5 / v)).Exp() * (pi[k] / Math.Sqrt(v));
                var velocity = (centred * ((t * sd[k] * sd[k] - (1 - t)) / v) + mu[k]) * density;
                weighted = weighted is null ? velocity : weighted + velocity;
                total = total is null ? density : total + density;
            }
            return inner.Keep(weighted! / total!);
        }
        using var scope = NewScope();
        ManualSeed(21);
        var x1 = FlowMatching.Sample(Velocity, [40_000], 400, dtype: DType.Float64);
        double gotMean = x1.Mean().Item<double>(), gotVariance = x1.Var().Item<double>();
        double left = (x1 < 0).To(DType.Float64).Mean().Item<double>();
        Assert.True(Math.Abs(gotMean - mean) < 0.05, $"mean {gotMean} vs {mean}");
        Assert.True(Math.Abs(gotVariance / variance - 1) < 0.05, $"variance {gotVariance} vs {variance}");
        Assert.True(Math.Abs(left - pi[0]) < 0.02, $"mass below 0: {left} vs {pi[0]}");
    }

    [Fact]
    public void LossIsZeroForTheTrueConditionalVelocityOfOnePoint()
    {
        // with a single data point x_1 = c and σ_min = 0, the straight path's velocity (c − x_t)/(1 − t) is exact
        using var scope = NewScope();
        ManualSeed(22);
        var c = Tensor.Full([16, 3], 0.7, DType.Float64);
        var fm = new FlowMatching();
        double loss = fm.Loss((x, t) => (c - x) / (1 - t.Unsqueeze(1)), c).Item<double>();
        Assert.True(loss < 1e-16, $"loss {loss}");
        Assert.InRange(fm.Loss((x, _) => x.ZerosLike(), c).Item<double>(), 0.8, 2.2);   // E‖c − x_0‖² = 1 + c² per element
    }
}
