using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Diffusion;

/// <summary>
/// A discrete Gaussian noise schedule over levels t = 0 … T, indexed from pure noise towards the clean signal u
/// (the NoProp orientation; DDPM counts the other way, ᾱ_DDPM(s) = ᾱ(T − s)):
/// <code>
///   q(z_t | u)             = N(√ᾱ_t u, (1 − ᾱ_t) I)          0 ≤ ᾱ_0 &lt; ᾱ_1 &lt; … &lt; ᾱ_T &lt; 1
///   SNR(t)                 = ᾱ_t / (1 − ᾱ_t)
///   q(z_t | z_{t−1}, u)    = N(a_t u + b_t z_{t−1}, c_t I)     with α_t = ᾱ_{t−1} / ᾱ_t:
///   a_t = √ᾱ_t (1 − α_t) / (1 − ᾱ_{t−1}),   b_t = √α_t (1 − ᾱ_t) / (1 − ᾱ_{t−1}),   c_t = (1 − ᾱ_t)(1 − α_t) / (1 − ᾱ_{t−1})
/// </code>
/// The chain z_T → z_{T−1} → … → z_0 that adds noise (z_{t−1} = √α_t z_t + √(1 − α_t) ε) has exactly these marginals, and
/// (a_t, b_t, c_t) is its Gaussian posterior one level cleaner; a denoiser that predicts û ≈ u runs the chain backwards by
/// z_t = a_t û + b_t z_{t−1} + √c_t ε. Scalars are doubles; tensors are sampled with libtorch's global generator.
/// </summary>
public sealed class NoiseSchedule
{
    private readonly double[] _alphaBar;

    /// <summary>A schedule from its signal levels ᾱ_0 … ᾱ_T (at least two, strictly increasing, in [0, 1)).</summary>
    public NoiseSchedule(IReadOnlyList<double> alphaBar)
    {
        ArgumentNullException.ThrowIfNull(alphaBar);
        if (alphaBar.Count < 2) throw new ArgumentException($"a schedule needs at least two levels (ᾱ_0 and ᾱ_1), got {alphaBar.Count}", nameof(alphaBar));
        for (int t = 0; t < alphaBar.Count; t++)
        {
            double a = alphaBar[t];
            if (!(a >= 0 && a < 1)) throw new ArgumentException($"ᾱ_{t} = {a} is outside [0, 1)", nameof(alphaBar));
            if (t > 0 && !(a > alphaBar[t - 1])) throw new ArgumentException($"ᾱ must increase strictly towards the clean end, but ᾱ_{t} = {a} ≤ ᾱ_{t - 1} = {alphaBar[t - 1]}", nameof(alphaBar));
        }
        _alphaBar = alphaBar.ToArray();
    }

    /// <summary>
    /// The cosine schedule (Nichol and Dhariwal, 2021) on T + 1 levels that stop one step short of the clean signal:
    /// ᾱ_t = g(1 − t/(T + 1)) / g(0) with g(s) = cos²(π/2 · (s + o)/(1 + o)). So ᾱ_0 = 0 (pure noise) and ᾱ_T &lt; 1.
    /// </summary>
    public static NoiseSchedule Cosine(int steps, double offset = 0.008)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        static double G(double s, double o) { double c = Math.Cos(Math.PI / 2 * (s + o) / (1 + o)); return c * c; }
        var alphaBar = new double[steps + 1];
        for (int t = 0; t <= steps; t++)
            alphaBar[t] = t == 0 ? 0 : G(1 - (double)t / (steps + 1), offset) / G(0, offset);   // g(1) = cos²(π/2) is 0 up to rounding
        return new NoiseSchedule(alphaBar);
    }

    /// <summary>
    /// The schedule of a DDPM chain with noise variances β_1 … β_T (Ho et al., 2020; DDPM order: β_1 is the cleanest step):
    /// ᾱ^DDPM_s = Π_{i≤s} (1 − β_i), placed on T levels from the noisiest, level ℓ = T − s, ᾱ_ℓ = ᾱ^DDPM_{T−ℓ}. The clean
    /// signal (DDPM step 0) is not a level, so <see cref="Steps"/> is T − 1; see <see cref="DenoisingDiffusion"/>.
    /// </summary>
    public static NoiseSchedule FromBetas(IReadOnlyList<double> betas)
    {
        ArgumentNullException.ThrowIfNull(betas);
        if (betas.Any(b => !(b > 0 && b < 1))) throw new ArgumentException($"every β must lie in (0, 1), got {string.Join(", ", betas)}", nameof(betas));
        var alphaBar = new double[betas.Count];
        double product = 1;
        for (int s = 1; s <= betas.Count; s++)
        {
            product *= 1 - betas[s - 1];
            alphaBar[betas.Count - s] = product;
        }
        return new NoiseSchedule(alphaBar);
    }

    /// <summary>DDPM's linear schedule: β_s from <paramref name="first"/> (s = 1) to <paramref name="last"/> (s = T) in equal increments.</summary>
    public static NoiseSchedule Linear(int steps, double first, double last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        return FromBetas(Enumerable.Range(0, steps).Select(i => first + (last - first) * i / (steps - 1)).ToArray());
    }

    /// <summary>
    /// The schedule on a subset of this one's levels (strictly increasing, at least two): ᾱ'_j = ᾱ_{levels[j]}. Its
    /// <see cref="Posterior"/> jumps between the chosen levels, the fast samplers of DiffWave and DDIM.
    /// </summary>
    public NoiseSchedule AtLevels(IReadOnlyList<int> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        return new NoiseSchedule(levels.Select(AlphaBar).ToArray());
    }

    /// <summary>T: the number of denoising steps (levels 0 … T).</summary>
    public int Steps => _alphaBar.Length - 1;

    /// <summary>ᾱ_0 … ᾱ_T.</summary>
    public IReadOnlyList<double> AlphaBars => _alphaBar;

    /// <summary>ᾱ_t, the signal fraction of level t.</summary>
    public double AlphaBar(int t) => _alphaBar[CheckLevel(t)];

    /// <summary>SNR(t) = ᾱ_t / (1 − ᾱ_t).</summary>
    public double Snr(int t) => AlphaBar(t) / (1 - AlphaBar(t));

    /// <summary>SNR(t) − SNR(t − 1) &gt; 0 for t = 1 … T: the weight of step t's denoising error in the ELBO.</summary>
    public double SnrGain(int t) => Snr(CheckStep(t)) - Snr(t - 1);

    /// <summary>(a_t, b_t, c_t) of q(z_t | z_{t−1}, u) = N(a_t u + b_t z_{t−1}, c_t I), t = 1 … T.</summary>
    public (double A, double B, double C) Posterior(int t)
    {
        CheckStep(t);
        double now = _alphaBar[t], before = _alphaBar[t - 1], alpha = before / now;
        return (Math.Sqrt(now) * (1 - alpha) / (1 - before),
                Math.Sqrt(alpha) * (1 - now) / (1 - before),
                (1 - now) * (1 - alpha) / (1 - before));
    }

    /// <summary>z_t ~ q(z_t | u) = √ᾱ_t u + √(1 − ᾱ_t) ε, with ε = <paramref name="noise"/> (shape of u) or fresh N(0, I).</summary>
    public Tensor Sample(Tensor u, int t, Tensor? noise = null)
    {
        double a = AlphaBar(t);
        using var scope = NewScope();
        var eps = CheckNoise(noise, u) ?? u.RandNLike();
        return scope.Keep(u * Math.Sqrt(a) + eps * Math.Sqrt(1 - a));
    }

    /// <summary>
    /// One denoising step z_t = a_t û + b_t z_{t−1} + √c_t ε from a prediction û of the clean signal, with ε =
    /// <paramref name="noise"/> or fresh N(0, I); <paramref name="stochastic"/> false returns the posterior mean.
    /// </summary>
    public Tensor Step(int t, Tensor uHat, Tensor zPrevious, Tensor? noise = null, bool stochastic = true)
    {
        var (a, b, c) = Posterior(t);
        if (!uHat.Shape.SequenceEqual(zPrevious.Shape))
            throw new ArgumentException($"û {uHat.ShapeString} and z_{t - 1} {zPrevious.ShapeString} must have the same shape");
        using var scope = NewScope();
        var mean = uHat * a + zPrevious * b;
        if (!stochastic) return scope.Keep(mean);
        var eps = CheckNoise(noise, uHat) ?? uHat.RandNLike();
        return scope.Keep(mean + eps * Math.Sqrt(c));
    }

    /// <summary>
    /// KL(q(z_0 | u) ‖ N(0, I)) per row of u [..., d]: ½ Σ_d (ᾱ_0 u² + (1 − ᾱ_0) − 1 − ln(1 − ᾱ_0)); differentiable in u.
    /// Zero for every u when ᾱ_0 = 0.
    /// </summary>
    public Tensor PriorKl(Tensor u)
    {
        double a = _alphaBar[0];
        double constant = u.Size(-1) * (-a - Math.Log(1 - a));
        using var scope = NewScope();
        return scope.Keep((u.Square().Sum(-1) * a + constant) * 0.5);
    }

    private int CheckLevel(int t) =>
        t >= 0 && t <= Steps ? t : throw new ArgumentOutOfRangeException(nameof(t), t, $"levels run from 0 to T = {Steps}");

    private int CheckStep(int t) =>
        t >= 1 && t <= Steps ? t : throw new ArgumentOutOfRangeException(nameof(t), t, $"steps run from 1 to T = {Steps}");

    private static Tensor? CheckNoise(Tensor? noise, Tensor like)
    {
        if (noise is not null && !noise.Shape.SequenceEqual(like.Shape))
            throw new ArgumentException($"noise {noise.ShapeString} must have the shape of the signal {like.ShapeString}", nameof(noise));
        return noise;
    }
}
