using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class BurgersTests
{
    /// <summary>
    /// An exact periodic solution by the Cole–Hopf transform: u = −2ν φ_x / φ where φ solves the heat equation
    /// φ_t = ν φ_xx, here φ(x, t) = a + Σ_m c_m e^(−ν(2πm)²t) cos(2πmx + θ_m) with a &gt; Σ|c_m| so that φ &gt; 0.
    /// </summary>
    private static Tensor ColeHopf(int n, double nu, double t)
    {
        (int M, double C, double Theta)[] terms = [(1, 1.0, 0.3), (2, 0.03, 1.1)];
        const double a = 1.05;
        var x = Tensor.Arange(n, DType.Float64) / n;
        var phi = x.ZerosLike() + a;
        var phiX = x.ZerosLike();
        foreach (var (m, c, theta) in terms)
        {
            double k = 2 * Math.PI * m, decay = Math.Exp(-nu * k * k * t);
            phi = phi + (x * k + theta).Cos() * (c * decay);
            phiX = phiX - (x * k + theta).Sin() * (c * decay * k);
        }
        return (phiX / phi * (-2 * nu)).Unsqueeze(0);                         // [1, n]
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void SolverMatchesTheColeHopfSolution(double t)
    {
        using var scope = NewScope();
        const double nu = 0.01;
        const int n = 256;
        var u0 = ColeHopf(n, nu, 0);
        var solved = Burgers.Solve(u0, nu, t, maxDt: 1e-3);
        var exact = ColeHopf(n, nu, t);
        double error = (solved - exact).Abs().Max().Item<double>();
        Assert.True(error < 1e-8, $"max |u − u_exact| at t = {t}: {error:E2}");

        // the test is in the nonlinear regime: the heat equation alone (u_t = ν u_xx) ends far from the exact solution
        var decay = (Tensor.Arange(n / 2 + 1, DType.Float64).Square() * (-nu * 4 * Math.PI * Math.PI * t)).Exp();
        var heat = Fft.IRFFT(Fft.RFFT(u0, dim: -1) * decay, n: n, dim: -1);
        double linear = (heat - exact).Norm().Item<double>() / exact.Norm().Item<double>();
        Assert.True(linear > 0.1, $"the heat equation alone is within {linear:P1} of the solution: not a test of the nonlinear term");
    }

    [Fact]
    public void MeanIsConservedAndEnergyDecays()
    {
        using var scope = NewScope();
        var u0 = Burgers.GaussianRandomField(8, 128, seed: 1) + 0.3;         // a non-zero mean, moving the fronts
        var previous = u0;
        double mean0 = u0.Mean().Item<double>();
        foreach (var _ in Enumerable.Range(0, 4))
        {
            var next = Burgers.Solve(previous, viscosity: 0.01, time: 0.25);
            Assert.Equal(mean0, next.Mean().Item<double>(), 12);
            var energyBefore = previous.Square().Sum(dim: 1).ToArray<double>();
            var energyAfter = next.Square().Sum(dim: 1).ToArray<double>();
            for (int b = 0; b < 8; b++) Assert.True(energyAfter[b] < energyBefore[b], $"sample {b}: energy grew from {energyBefore[b]} to {energyAfter[b]}");
            previous = next;
        }
    }

    [Fact]
    public void DefaultStepIsConvergedAndCoarserGridsAgree()
    {
        // Halving the time step changes u(·, 1) by < 1e-6 (relative); solving on the 4× coarser grid from the subsampled
        // initial condition agrees to < 1e-2, i.e. the fine solution is resolved.
        using var scope = NewScope();
        var u0 = Burgers.GaussianRandomField(4, 512, seed: 2);
        var reference = Burgers.Solve(u0, 0.01, 1.0);
        double Relative(Tensor a, Tensor b) => (a - b).Norm().Item<double>() / b.Norm().Item<double>();
        Assert.True(Relative(Burgers.Solve(u0, 0.01, 1.0, maxDt: 2.5e-3), reference) < 1e-6);
        Assert.True(Relative(Burgers.Solve(Burgers.Subsample(u0, 128), 0.01, 1.0), Burgers.Subsample(reference, 128)) < 1e-2);
    }

    [Fact]
    public void RandomFieldHasTheCovarianceSpectrumAndZeroMean()
    {
        using var scope = NewScope();
        const int count = 2000, n = 64;
        var u = Burgers.GaussianRandomField(count, n, seed: 3);
        Assert.Equal([(long)count, n], u.Shape);
        Assert.Equal(DType.Float64, u.DType);
        Assert.True(u.Mean(1).Abs().Max().Item<double>() < 1e-12);     // every sample has mean zero

        var power = (Fft.RFFT(u, dim: -1) / n).Abs().Square().Mean(0).ToArray<double>();   // E|û_k|²
        foreach (var k in new[] { 1, 2, 5 })
        {
            double expected = Burgers.CovarianceEigenvalue(k);
            Assert.True(Math.Abs(power[k] / expected - 1) < 0.1, $"mode {k}: E|û|² = {power[k]:E3}, λ_k = {expected:E3}");
        }
        double variance = 2 * Enumerable.Range(1, (n - 1) / 2).Sum(k => Burgers.CovarianceEigenvalue(k));   // Σ_{k≠0} λ_k
        Assert.Equal(variance, u.Square().Mean().Item<double>(), variance * 0.1);
        Assert.Equal(1.0, Burgers.CovarianceEigenvalue(0), 12);               // 625 (0 + 25)^(−2)
    }

    [Fact]
    public void RandomFieldIsSeededAndIndependentOfLibtorchsGenerator()
    {
        using var scope = NewScope();
        ManualSeed(1);
        var a = Burgers.GaussianRandomField(3, 32, seed: 7).ToArray<double>();
        ManualSeed(2);
        var b = Burgers.GaussianRandomField(3, 32, seed: 7).ToArray<double>();
        var c = Burgers.GaussianRandomField(3, 32, seed: 8).ToArray<double>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void GeneratedPairsReadOnCoarserGridsAreTheFineValues()
    {
        using var scope = NewScope();
        using var pairs = Burgers.Generate(5, 64, viscosity: 0.01, seed: 4, batch: 2);     // three solver batches
        Assert.Equal((5L, 64L), (pairs.Count, pairs.Points));
        using var single = Burgers.Solve(pairs.Initial.Narrow(0, 4, 1), 0.01, 1.0);
        Assert.True((single - pairs.Final.Narrow(0, 4, 1)).Abs().Max().Item<double>() < 1e-14);   // batching changes nothing

        using var coarse = pairs.At(16);
        Assert.Equal(DType.Float32, coarse.Initial.DType);
        Assert.Equal([5L, 16], coarse.Final.Shape);
        var fine = pairs.Final.ToArray<double>();
        var read = coarse.Final.ToArray<float>();
        for (int s = 0; s < 5; s++)
            for (int j = 0; j < 16; j++) Assert.Equal((float)fine[s * 64 + 4 * j], read[s * 16 + j]);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var scope = NewScope();
        var u = Tensor.Zeros([2, 48], DType.Float64);
        Assert.Contains("must divide", Assert.Throws<ArgumentException>(() => Burgers.Subsample(u, 20)).Message);
        Assert.Throws<ArgumentException>(() => Burgers.Solve(u.Reshape(96), 0.01, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Burgers.Solve(u, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Burgers.Solve(u, 0.01, 1, maxDt: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Burgers.GaussianRandomField(0, 32, 1));
    }
}
