using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Physics;

/// <summary>
/// A simulated physical layer: a 1-D nonlinear wave medium (a string with a cubic restoring force and damping) stepped by
/// explicit finite differences, always without gradients — a black box for model-free training (the ff-physical row):
/// <code>
///   u_tt = c² u_xx − β u³ − γ u_t        on a grid of N points, u = 0 at both ends
///   u^{n+1} = 2u^n − u^{n−1} + C² (u_{i+1} − 2u_i + u_{i−1}) − Δt² β (u^n)³ − γ Δt (u^n − u^{n−1}),   C = cΔt/Δx
/// </code>
/// The input is the initial displacement (at rest); the output is the time-averaged intensity ⟨u²⟩ at every grid point.
/// The scheme is stable only for C ≤ 1 (CFL), which the constructor enforces.
/// </summary>
public sealed class WaveMedium
{
    /// <summary>Creates the medium; <paramref name="courant"/> is C = cΔt/Δx.</summary>
    public WaveMedium(int points, int steps, double courant = 0.9, double cubic = 1.0, double damping = 0.0, double dt = 1.0)
    {
        if (points < 3) throw new ArgumentOutOfRangeException(nameof(points), points, "must be ≥ 3");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be ≥ 1");
        if (!(courant > 0 && courant <= 1))
            throw new ArgumentOutOfRangeException(nameof(courant), courant, "the leapfrog scheme is stable only for 0 < C = cΔt/Δx ≤ 1 (CFL)");
        (Points, Steps, Courant, Cubic, Damping, Dt) = (points, steps, courant, cubic, damping, dt);
    }

    /// <summary>Grid points N (the two ends are held at zero).</summary>
    public int Points { get; }

    /// <summary>Time steps per pass.</summary>
    public int Steps { get; }

    /// <summary>C = cΔt/Δx.</summary>
    public double Courant { get; }

    /// <summary>β, the cubic restoring force (0: the linear wave equation).</summary>
    public double Cubic { get; }

    /// <summary>γ, the damping rate.</summary>
    public double Damping { get; }

    /// <summary>Δt.</summary>
    public double Dt { get; }

    /// <summary>
    /// Runs the medium from displacement <paramref name="initial"/> [batch, N] at rest; calls <paramref name="observe"/> with every
    /// new field u^n (n = 1 … Steps) when given (valid during the call: clone and detach it to keep it). Returns the time-averaged intensity ⟨u²⟩ [batch, N], detached: no gradient ever
    /// flows through the medium.
    /// </summary>
    public Tensor Run(Tensor initial, Action<int, Tensor>? observe = null)
    {
        if (initial.Dim != 2 || initial.Size(1) != Points)
            throw new ArgumentException($"expects displacements [batch, {Points}], got {initial.ShapeString}", nameof(initial));
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var u = Pinned(initial.Detach().Clone());
        var previous = u.Clone();
        var intensity = u.ZerosLike();
        double c2 = Courant * Courant, dt2 = Dt * Dt;
        for (int n = 1; n <= Steps; n++)
        {
            var laplacian = u.Roll(1, 1) - 2 * u + u.Roll(-1, 1);
            var next = Pinned(2 * u - previous + c2 * laplacian - dt2 * Cubic * u.Pow(3) - Damping * Dt * (u - previous));
            intensity.Add_(next.Square());
            observe?.Invoke(n, next);
            (previous, u) = (u, next);
        }
        return scope.Keep(intensity / Steps);
    }

    /// <summary>
    /// The discrete energy of the linear lossless medium between steps n−1 and n (conserved exactly by the leapfrog scheme when
    /// β = γ = 0): E = ½ Σ ((u^n − u^{n−1})/Δt)² + ½ (C/Δt)² Σ (u^n_{i+1} − u^n_i)(u^{n−1}_{i+1} − u^{n−1}_i), per batch row.
    /// </summary>
    public double[] LinearEnergy(Tensor current, Tensor previous)
    {
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var velocity = (current - previous) / Dt;
        var strain = (current.Narrow(1, 1, Points - 1) - current.Narrow(1, 0, Points - 1))
                     * (previous.Narrow(1, 1, Points - 1) - previous.Narrow(1, 0, Points - 1));
        var energy = 0.5 * velocity.Square().Sum(1) + 0.5 * (Courant * Courant / (Dt * Dt)) * strain.Sum(1);
        return energy.Double().ToArray<double>();
    }

    // u with both ends set to zero.
    private Tensor Pinned(Tensor u)
    {
        var mask = Tensor.Ones([Points], u.DType, u.Device);
        using (NoGrad())
        {
            mask[0].Fill_(0.0);
            mask[Points - 1].Fill_(0.0);
        }
        return u * mask;
    }
}
