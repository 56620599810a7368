using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Diffusion;

/// <summary>
/// Denoising diffusion (DDPM; Ho, Jain and Abbeel, 2020) in its own step numbering s = 0 (clean) … T (noisiest), over a
/// <see cref="NoiseSchedule"/> whose level ℓ = T − s holds step s (<see cref="NoiseSchedule.FromBetas"/>):
/// <code>
///   q(x_s | x_0) = N(√ᾱ_s x_0, (1 − ᾱ_s) I),   x_s = √ᾱ_s x_0 + √(1 − ᾱ_s) ε        training target: ε
///   L(θ)        = E_{s ~ U{1..T}, ε} ‖ε − ε_θ(x_s, s)‖²
///   step s → r &lt; s:  x̂_0 = (x_s − √(1 − ᾱ_s) ε̂) / √ᾱ_s,   x_r = a x̂_0 + b x_s + √c z     (r = 0: x_0 = x̂_0)
/// </code>
/// where (a, b, c) is the Gaussian posterior q(x_r | x_s, x_0) of <see cref="NoiseSchedule.Posterior"/> between the two
/// levels. For r = s − 1 this is DDPM's ancestral step x_{s−1} = (x_s − β_s / √(1 − ᾱ_s) ε̂) / √(1 − β_s) + σ_s z with
/// σ_s² = β̃_s = β_s (1 − ᾱ_{s−1}) / (1 − ᾱ_s); visiting a subset of the steps (ᾱ equal to the long chain's there) is the
/// fast sampler of DiffWave. Noise comes from libtorch's global generator unless given.
/// </summary>
public sealed class DenoisingDiffusion
{
    /// <summary>The diffusion over <paramref name="schedule"/>'s levels, the noisiest (level 0) being step T.</summary>
    public DenoisingDiffusion(NoiseSchedule schedule)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
    }

    /// <summary>DDPM's linear schedule, β_1 = <paramref name="first"/> … β_T = <paramref name="last"/> (DiffWave: 50 steps, 1e-4 … 0.05).</summary>
    public static DenoisingDiffusion Linear(int steps, double first, double last) => new(NoiseSchedule.Linear(steps, first, last));

    /// <summary>The schedule, indexed from the noisiest level (<see cref="NoiseSchedule"/>'s orientation).</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>T: the number of diffusion steps.</summary>
    public int Steps => Schedule.Steps + 1;

    /// <summary>ᾱ_s for s = 0 … T (ᾱ_0 = 1).</summary>
    public double AlphaBar(int s) => s == 0 ? 1 : Schedule.AlphaBar(Level(s));

    /// <summary>β_s = 1 − ᾱ_s / ᾱ_{s−1}, s = 1 … T.</summary>
    public double Beta(int s) => 1 - AlphaBar(CheckStep(s)) / AlphaBar(s - 1);

    /// <summary>Steps drawn uniformly from 1 … T: int64 [<paramref name="batch"/>].</summary>
    public Tensor RandomSteps(long batch, Device? device = null) => Tensor.RandInt(1, Steps + 1, [batch], DType.Int64, device);

    /// <summary>
    /// x_s = √ᾱ_s x_0 + √(1 − ᾱ_s) ε per example: x_0 [batch, …], <paramref name="steps"/> int64 [batch] in 1 … T, ε =
    /// <paramref name="noise"/> or fresh N(0, I). Returns (x_s, ε).
    /// </summary>
    public (Tensor Noisy, Tensor Noise) Corrupt(Tensor x0, Tensor steps, Tensor? noise = null)
    {
        if (steps.Dim != 1 || steps.Size(0) != x0.Size(0))
            throw new ArgumentException($"steps {steps.ShapeString} must be one per example of x_0 {x0.ShapeString}", nameof(steps));
        if (noise is not null && !noise.Shape.SequenceEqual(x0.Shape))
            throw new ArgumentException($"noise {noise.ShapeString} must have the shape of x_0 {x0.ShapeString}", nameof(noise));
        using var scope = NewScope();
        var table = Tensor.From(Enumerable.Range(0, Steps + 1).Select(AlphaBar).ToArray()).To(x0.Device, x0.DType);
        var shape = new long[x0.Dim];
        Array.Fill(shape, 1L);
        shape[0] = x0.Size(0);
        var alphaBar = table.IndexSelect(0, steps).Reshape(shape);                                   // [batch, 1, …]
        var eps = noise ?? x0.RandNLike();
        var noisy = x0 * alphaBar.Sqrt() + eps * (1 - alphaBar).Sqrt();
        scope.Keep(noisy);
        return (noisy, noise is null ? scope.Keep(eps) : eps);
    }

    /// <summary>
    /// The training loss ‖ε − ε_θ(x_s, s)‖² (mean over elements) at steps s ~ U{1..T}, one per example of x_0 [batch, …];
    /// <paramref name="epsilon"/> maps (x_s, s int64 [batch]) to ε̂. <paramref name="steps"/> and <paramref name="noise"/>, when
    /// given, replace the random draws (a model and its control trained on the same batches).
    /// </summary>
    public Tensor Loss(Func<Tensor, Tensor, Tensor> epsilon, Tensor x0, Tensor? steps = null, Tensor? noise = null)
    {
        using var scope = NewScope();
        steps ??= RandomSteps(x0.Size(0), x0.Device);
        (var noisy, noise) = Corrupt(x0, steps, noise);
        return scope.Keep((epsilon(noisy, steps) - noise).Square().Mean());
    }

    /// <summary>x̂_0 = (x_s − √(1 − ᾱ_s) ε̂) / √ᾱ_s: the clean signal implied by a noise prediction at step s.</summary>
    public Tensor PredictClean(Tensor x, int step, Tensor epsilonHat)
    {
        double a = AlphaBar(CheckStep(step));
        using var scope = NewScope();
        return scope.Keep((x - epsilonHat * Math.Sqrt(1 - a)) * (1 / Math.Sqrt(a)));
    }

    /// <summary>
    /// One ancestral step from step <paramref name="step"/> to an earlier step <paramref name="to"/> (0 ≤ to &lt; step):
    /// x_to = a x̂_0 + b x_s + √c z with the posterior q(x_to | x_s, x_0) at x̂_0 (z = <paramref name="noise"/> or fresh);
    /// to = 0 returns x̂_0.
    /// </summary>
    public Tensor Denoise(Tensor x, int step, int to, Tensor epsilonHat, Tensor? noise = null)
    {
        if (to < 0 || to >= step) throw new ArgumentOutOfRangeException(nameof(to), to, $"must be in 0 … {step - 1} (an earlier step than {step})");
        if (to == 0) return PredictClean(x, step, epsilonHat);
        using var scope = NewScope();
        var clean = PredictClean(x, step, epsilonHat);
        return scope.Keep(Schedule.AtLevels([Level(step), Level(to)]).Step(1, clean, x, noise));
    }

    /// <summary>
    /// Ancestral sampling: x_T' ~ N(0, I) of <paramref name="shape"/>, then <see cref="Denoise"/> through the visited
    /// steps, the largest first and down to x_0. <paramref name="steps"/> (strictly increasing, in 1 … T; default all of
    /// 1 … T) are the steps visited; a short subset is the fast schedule. <paramref name="epsilon"/> maps (x_s, s) to ε̂;
    /// <paramref name="observe"/> sees every state (step, x_step), from the start down to 0. Runs without gradients.
    /// </summary>
    public Tensor Sample(Func<Tensor, int, Tensor> epsilon, long[] shape, IReadOnlyList<int>? steps = null,
        Action<int, Tensor>? observe = null, DType? dtype = null, Device? device = null)
    {
        int[] visit = [0, .. steps ?? Enumerable.Range(1, Steps)];
        for (int k = 1; k < visit.Length; k++)
        {
            CheckStep(visit[k]);
            if (visit[k] <= visit[k - 1]) throw new ArgumentException($"steps must increase strictly, got {string.Join(", ", visit[1..])}", nameof(steps));
        }
        if (visit.Length < 2) throw new ArgumentException("sampling needs at least one step", nameof(steps));
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var x = Tensor.RandN(shape, dtype, device);
        observe?.Invoke(visit[^1], x);
        for (int k = visit.Length - 1; k >= 1; k--)
        {
            x = Denoise(x, visit[k], visit[k - 1], epsilon(x, visit[k]));
            observe?.Invoke(visit[k - 1], x);
        }
        return scope.Keep(x);
    }

    /// <summary>
    /// The <paramref name="count"/> steps of 1 … T whose ᾱ are closest, in log SNR, to a geometric ladder from step 1 to
    /// step T (both always included): a fast schedule that spends its few steps evenly in log SNR, as DiffWave's does.
    /// </summary>
    public int[] FastSteps(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Steps);
        double LogSnr(int s) => Math.Log(AlphaBar(s) / (1 - AlphaBar(s)));
        double high = LogSnr(1), low = LogSnr(Steps);
        var chosen = new SortedSet<int> { 1, Steps };
        for (int k = 1; k < count - 1; k++)
        {
            double target = high + (low - high) * k / (count - 1);
            chosen.Add(Enumerable.Range(2, Steps - 2).Where(s => !chosen.Contains(s)).MinBy(s => Math.Abs(LogSnr(s) - target)));
        }
        return [.. chosen];
    }

    private int Level(int s) => Steps - s;

    private int CheckStep(int s) =>
        s >= 1 && s <= Steps ? s : throw new ArgumentOutOfRangeException(nameof(s), s, $"diffusion steps run from 1 to T = {Steps}");
}
