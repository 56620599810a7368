using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Data;

/// <summary>Pairs (u(x, 0), u(x, T)) of the 1-D viscous Burgers equation on a periodic grid; dispose to free both tensors.</summary>
/// <param name="Initial">u(x_j, 0) [count, points], x_j = j / points on [0, 1).</param>
/// <param name="Final">u(x_j, T) [count, points].</param>
public sealed record BurgersPairs(Tensor Initial, Tensor Final) : IDisposable
{
    /// <summary>How many pairs.</summary>
    public long Count => Initial.Size(0);

    /// <summary>Grid points per field.</summary>
    public long Points => Initial.Size(1);

    /// <summary>The same pairs on the coarser grid of <paramref name="points"/> (every k-th point, see <see cref="Burgers.Subsample"/>), float32 on <paramref name="device"/>.</summary>
    public BurgersPairs At(int points, Device? device = null)
    {
        using var scope = NewScope();
        var initial = Burgers.Subsample(Initial, points).Float().To(device ?? Device.CPU);
        var final = Burgers.Subsample(Final, points).Float().To(device ?? Device.CPU);
        return new BurgersPairs(scope.Keep(initial.Contiguous()), scope.Keep(final.Contiguous()));
    }

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Initial.Dispose();
        Final.Dispose();
    }
}

/// <summary>
/// Data for operator learning on the 1-D viscous Burgers equation u_t + (u²/2)_x = ν u_xx on the periodic unit interval,
/// written with Research.Torch:
/// <list type="bullet">
/// <item><see cref="GaussianRandomField"/>: smooth random initial conditions u₀ ~ N(0, σ²(−Δ + τ²I)^(−α)) with zero mean
/// (the FNO paper's Burgers data use σ = 25, τ = 5, α = 2), drawn from a seed with System.Random, so they do not depend on
/// libtorch's generator;</item>
/// <item><see cref="Solve"/>: a batched pseudo-spectral solver in float64 — exact integration of the viscous term
/// (integrating factor e^(−νκ²t)), classical RK4 for the nonlinear term −(u²/2)_x computed in physical space and
/// dealiased by the 2/3 rule;</item>
/// <item><see cref="Generate"/>: pairs (u(·, 0), u(·, T)) on a fine grid, and <see cref="Subsample"/> to read them at a coarser one.</item>
/// </list>
/// </summary>
public static class Burgers
{
    /// <summary>
    /// Eigenvalue of the covariance σ²(−Δ + τ²I)^(−α) for the Fourier mode e^(2πikx): σ²((2πk)² + τ²)^(−α)
    /// (the variance of that mode's complex coefficient).
    /// </summary>
    public static double CovarianceEigenvalue(int k, double sigma = 25, double tau = 5, double alpha = 2) =>
        sigma * sigma * Math.Pow(Math.Pow(2 * Math.PI * k, 2) + tau * tau, -alpha);

    /// <summary>
    /// <paramref name="count"/> samples of a zero-mean periodic Gaussian random field on [0, 1) with covariance
    /// σ²(−Δ + τ²I)^(−α), at x_j = j / <paramref name="points"/>: u(x) = Σ_{k≠0} √λ_k ξ_k e^(2πikx) with ξ_{−k} = conj(ξ_k)
    /// standard complex normal (E|ξ_k|² = 1), so that Var u(x) = Σ_{k≠0} λ_k. Modes up to the grid's Nyquist frequency
    /// (exclusive) are drawn. Float64 [count, points]; the same seed gives the same fields.
    /// </summary>
    public static Tensor GaussianRandomField(int count, int points, int seed, double sigma = 25, double tau = 5, double alpha = 2)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least one sample");
        if (points < 4) throw new ArgumentOutOfRangeException(nameof(points), points, "need at least 4 grid points");
        int bins = points / 2 + 1, maxMode = (points - 1) / 2;          // rfft bins; highest mode strictly below Nyquist
        var re = new double[count * bins];
        var im = new double[count * bins];
        var random = new Random(seed);
        for (int s = 0; s < count; s++)
            for (int k = 1; k <= maxMode; k++)
            {
                // ξ_k = (a + ib)/√2 with a, b ~ N(0, 1); the rfft convention puts n·û_k into bin k for u = Σ û_k e^(2πikx)
                double scale = Math.Sqrt(CovarianceEigenvalue(k, sigma, tau, alpha) / 2) * points;
                re[s * bins + k] = scale * StandardNormal(random);
                im[s * bins + k] = scale * StandardNormal(random);
            }
        using var scope = NewScope();
        var coefficients = Tensor.Complex(Tensor.From(re, count, bins), Tensor.From(im, count, bins));
        return scope.Keep(Fft.IRFFT(coefficients, n: points, dim: -1));
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>
    /// Advances u₀ [batch, n] (periodic, x_j = j/n on [0, 1)) by the viscous Burgers equation u_t + u u_x = ν u_xx to
    /// time <paramref name="time"/> in ⌈time / <paramref name="maxDt"/>⌉ equal steps of integrating-factor RK4 in Fourier space.
    /// With v̂ = e^(νκ²t) û the viscous term is integrated exactly and RK4 handles N(û) = −(iκ/2)·FFT(u²), where u is
    /// synthesised from the modes |k| ≤ n/3 only (2/3-rule dealiasing). Computes in float64 and returns float64 [batch, n].
    /// The mean of u is conserved exactly (N has no k = 0 component). The default step, 5·10⁻³, is converged for the
    /// random fields of <see cref="GaussianRandomField"/> at ν = 0.01 on 512 points (halving it changes u(·, 1) by ~10⁻⁸,
    /// see the tests); the modes fast enough to be unstable for explicit RK4 are damped by e^(−νκ²Δt) within one step.
    /// </summary>
    public static Tensor Solve(Tensor initial, double viscosity, double time, double maxDt = 5e-3)
    {
        if (initial.Dim != 2) throw new ArgumentException($"expected u₀ as [batch, points], got {initial.ShapeString}", nameof(initial));
        long n = initial.Size(1);
        if (n < 4) throw new ArgumentException($"need at least 4 grid points, got {n}", nameof(initial));
        if (viscosity < 0) throw new ArgumentOutOfRangeException(nameof(viscosity), viscosity, "viscosity must be ≥ 0");
        if (time < 0) throw new ArgumentOutOfRangeException(nameof(time), time, "time must be ≥ 0");
        if (!(maxDt > 0)) throw new ArgumentOutOfRangeException(nameof(maxDt), maxDt, "the time step must be positive");

        using var scope = NewScope();
        var device = initial.Device;
        long bins = n / 2 + 1;
        int steps = Math.Max(1, (int)Math.Ceiling(time / maxDt - 1e-9));
        double dt = time / steps;
        // constants of the scheme; they live in the outer scope, the state of every step in its own
        var kappa = Tensor.Arange(bins, DType.Float64, device) * (2 * Math.PI);                        // κ = 2πk
        var half = (kappa.Square() * (-viscosity * dt / 2)).Exp();                                      // e^(−νκ² Δt/2)
        var full = half.Square();                                                                       // e^(−νκ² Δt)
        var dealias = (Tensor.Arange(bins, DType.Float64, device) <= n / 3.0).Double();                 // 2/3 rule
        var derivative = Tensor.Complex(kappa.ZerosLike(), kappa * -0.5);                               // −iκ/2

        Tensor Nonlinear(Tensor uHat)
        {
            var u = Fft.IRFFT(uHat * dealias, n: n, dim: -1);
            return Fft.RFFT(u.Square(), dim: -1) * derivative * dealias;
        }

        var current = Fft.RFFT(initial.Double(), dim: -1).DetachFromScope();
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = NewScope();
            var a = Nonlinear(current) * dt;
            var b = Nonlinear((current + a * 0.5) * half) * dt;
            var c = Nonlinear(current * half + b * 0.5) * dt;
            var d = Nonlinear(current * full + c * half) * dt;
            var next = current * full + (a * full + (b + c) * half * 2.0 + d) / 6.0;
            current.Dispose();
            current = next.DetachFromScope();
        }
        using (current) return scope.Keep(Fft.IRFFT(current, n: n, dim: -1));
    }

    /// <summary>
    /// <paramref name="count"/> pairs (u₀, u(·, <paramref name="time"/>)) on a grid of <paramref name="points"/>, u₀ from
    /// <see cref="GaussianRandomField"/> with <paramref name="seed"/>, solved by <see cref="Solve"/> in batches of
    /// <paramref name="batch"/> samples. Float64 on the CPU.
    /// </summary>
    public static BurgersPairs Generate(int count, int points, double viscosity, int seed, double time = 1.0, double maxDt = 5e-3,
        double sigma = 25, double tau = 5, double alpha = 2, int batch = 256)
    {
        using var scope = NewScope();
        var initial = GaussianRandomField(count, points, seed, sigma, tau, alpha);
        var finals = new List<Tensor>();
        for (int start = 0; start < count; start += batch)
            finals.Add(Solve(initial.Narrow(0, start, Math.Min(batch, count - start)), viscosity, time, maxDt));
        var final = finals.Count == 1 ? finals[0] : Tensor.Cat(finals.ToArray(), 0);
        if (!final.IsFinite().All().Item<bool>())
            throw new InvalidOperationException($"the Burgers solver diverged (ν = {viscosity}, Δt ≤ {maxDt}, {points} points): take a smaller time step");
        return new BurgersPairs(scope.Keep(initial), scope.Keep(final));
    }

    /// <summary>
    /// The values of fields [..., n] at every (n / <paramref name="points"/>)-th grid point, i.e. on the coarser grid
    /// x_j = j / points (pointwise values, not a spectral truncation). n must be a multiple of <paramref name="points"/>.
    /// </summary>
    public static Tensor Subsample(Tensor fields, int points)
    {
        long n = fields.Size(-1);
        if (points < 1 || n % points != 0)
            throw new ArgumentException($"cannot subsample a grid of {n} points to {points}: {points} must divide {n}", nameof(points));
        return fields.Slice(-1, 0, n, n / points);
    }
}
