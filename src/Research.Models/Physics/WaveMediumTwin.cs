using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Physics;

/// <summary>
/// The in-silico digital twin of a <see cref="WaveMedium"/>: the same leapfrog scheme written in differentiable tensor ops,
/// so that gradients flow through it (the "in-silico backprop" reference that model-free training is compared with).
/// It steps only the N − 2 interior points, with the fixed ends supplied by zero padding:
/// <code>
///   u^{n+1} = 2u^n − u^{n−1} + C² Δ²u^n − Δt² β (u^n)³ − γ Δt (u^n − u^{n−1}),   Δ²u_i = u_{i+1} − 2u_i + u_{i−1},   u_0 = u_{N−1} = 0
///   output  = (1/S) Σ_{n=1..S} (u^n)²                                              [batch, N]
/// </code>
/// </summary>
public sealed class WaveMediumTwin
{
    /// <summary>The twin of <paramref name="medium"/> (same grid, steps, C, β, γ and Δt).</summary>
    public WaveMediumTwin(WaveMedium medium) => Medium = medium;

    /// <summary>The physical medium this twin models.</summary>
    public WaveMedium Medium { get; }

    /// <summary>
    /// The time-averaged intensity ⟨u²⟩ [batch, N] from displacement <paramref name="initial"/> [batch, N] at rest (its two end
    /// values are ignored: the ends are fixed at zero), with the autograd graph kept.
    /// </summary>
    public Tensor Forward(Tensor initial)
    {
        int points = Medium.Points;
        if (initial.Dim != 2 || initial.Size(1) != points)
            throw new ArgumentException($"expects displacements [batch, {points}], got {initial.ShapeString}", nameof(initial));
        using var scope = NewScope();
        int inner = points - 2;
        double c2 = Medium.Courant * Medium.Courant, dt2 = Medium.Dt * Medium.Dt;
        var u = initial.Narrow(1, 1, inner);                             // [batch, N − 2]
        var previous = u;
        Tensor? sum = null;
        for (int n = 1; n <= Medium.Steps; n++)
        {
            var padded = F.Pad(u, [1, 1]);                               // u_0 = u_{N−1} = 0
            var laplacian = padded.Narrow(1, 2, inner) - 2 * u + padded.Narrow(1, 0, inner);
            var next = 2 * u - previous + c2 * laplacian - dt2 * Medium.Cubic * u.Pow(3) - Medium.Damping * Medium.Dt * (u - previous);
            sum = sum is null ? next.Square() : sum + next.Square();
            (previous, u) = (u, next);
        }
        return scope.Keep(F.Pad(sum! / Medium.Steps, [1, 1]));
    }
}
