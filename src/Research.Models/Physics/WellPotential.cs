namespace Research.Models.Physics;

/// <summary>
/// A one-dimensional potential in a box with infinite walls at <see cref="Left"/> and <see cref="Right"/> (ψ = 0 there): V equals
/// <see cref="Inner"/> for |x − centre| &lt; <see cref="InnerWidth"/>/2 and <see cref="Outer"/> elsewhere in the box. Units with
/// ħ²/2m = 1, so the Hamiltonian is H = −d²/dx² + V(x).
/// </summary>
/// <param name="Left">The left wall.</param>
/// <param name="Right">The right wall.</param>
/// <param name="InnerWidth">Width of the central region.</param>
/// <param name="Inner">V in the central region.</param>
/// <param name="Outer">V in the rest of the box.</param>
public sealed record WellPotential(double Left, double Right, double InnerWidth = 0, double Inner = 0, double Outer = 0)
{
    /// <summary>The infinite square well on [0, <paramref name="width"/>]: V = 0 inside, E_n = (nπ/width)².</summary>
    public static WellPotential Infinite(double width = 1) => new(0, width);

    /// <summary>A finite well of <paramref name="depth"/> and <paramref name="width"/> centred in the box [−half, half]: V = 0 inside, depth outside.</summary>
    public static WellPotential Finite(double width, double depth, double half) => new(-half, half, width, 0, depth);

    /// <summary>A central barrier of <paramref name="height"/> and <paramref name="width"/> in the box [−half, half] (a double well).</summary>
    public static WellPotential Barrier(double width, double height, double half) => new(-half, half, width, height, 0);

    /// <summary>Centre of the box.</summary>
    public double Centre => (Left + Right) / 2;

    /// <summary>Width of the box.</summary>
    public double Length => Right - Left;

    /// <summary>V(x) for x inside the box.</summary>
    public double At(double x) => Math.Abs(x - Centre) < InnerWidth / 2 ? Inner : Outer;

    /// <summary>The mean of V over [<paramref name="from"/>, <paramref name="to"/>] (exact for this piecewise-constant V).</summary>
    public double Average(double from, double to)
    {
        double lo = Centre - InnerWidth / 2, hi = Centre + InnerWidth / 2;
        double inside = Math.Max(0, Math.Min(to, hi) - Math.Max(from, lo));
        return (inside * Inner + (to - from - inside) * Outer) / (to - from);
    }

    /// <summary>The analytic levels of the infinite square well of this box (only meaningful when V ≡ 0): E_n = (nπ/L)², n = 1, 2, …</summary>
    public double InfiniteWellLevel(int n) => Math.Pow(n * Math.PI / Length, 2);
}
