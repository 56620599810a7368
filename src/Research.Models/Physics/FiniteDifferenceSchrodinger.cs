namespace Research.Models.Physics;

/// <summary>The lowest levels of a <see cref="WellPotential"/> by <see cref="FiniteDifferenceSchrodinger.Solve"/>.</summary>
/// <param name="Energies">E_0 ≤ E_1 ≤ … (ħ²/2m = 1).</param>
/// <param name="Grid">The grid x_0 = Left … x_N = Right, walls included.</param>
/// <param name="States">ψ_n on the grid (0 at the walls), normalised to ∫ψ² dx = 1 (trapezoid), with ∫ψ dx ≥ 0.</param>
public sealed record EigenStates(double[] Energies, double[] Grid, double[][] States);

/// <summary>
/// The reference eigensolver for the quantum-well PINN: the time-independent Schrödinger equation −ψ'' + Vψ = Eψ with ψ = 0 at both
/// walls, discretised by the three-point second difference on N − 1 interior points, H_ii = 2/h² + V̄_i, H_i,i±1 = −1/h² (V̄_i the
/// mean of V over the cell around x_i), solved in float64 by Sturm-count bisection for the levels and inverse iteration for the
/// states. Its levels are O(h²) accurate: for the infinite well they are exactly (4/h²) sin²(nπh/2L).
/// </summary>
public static class FiniteDifferenceSchrodinger
{
    /// <summary>The lowest <paramref name="levels"/> states of <paramref name="potential"/> on <paramref name="intervals"/> grid intervals.</summary>
    public static EigenStates Solve(WellPotential potential, int intervals = 2000, int levels = 3)
    {
        if (intervals < 4) throw new ArgumentOutOfRangeException(nameof(intervals), intervals, "must be ≥ 4");
        if (levels < 1 || levels > intervals - 1) throw new ArgumentOutOfRangeException(nameof(levels), levels, $"must be in [1, {intervals - 1}]");
        int n = intervals - 1;
        double h = potential.Length / intervals;
        var grid = Enumerable.Range(0, intervals + 1).Select(i => potential.Left + i * h).ToArray();
        var diagonal = Enumerable.Range(1, n).Select(i => 2 / (h * h) + potential.Average(grid[i] - h / 2, grid[i] + h / 2)).ToArray();
        double off = -1 / (h * h);
        var energies = new double[levels];
        var states = new double[levels][];
        for (int l = 0; l < levels; l++)
        {
            energies[l] = Level(diagonal, off, l);
            var psi = new double[intervals + 1];
            Array.Copy(InverseIteration(diagonal, off, energies[l]), 0, psi, 1, n);
            double norm = Math.Sqrt(Trapezoid(psi.Select(p => p * p).ToArray(), h));
            double sign = Trapezoid(psi, h) < 0 ? -1 : 1;
            states[l] = psi.Select(p => sign * p / norm).ToArray();
        }
        return new EigenStates(energies, grid, states);
    }

    /// <summary>Eigenvalues below <paramref name="e"/> of the symmetric tridiagonal matrix (diagonal, constant off-diagonal): Sturm count.</summary>
    public static int CountBelow(double[] diagonal, double off, double e)
    {
        int count = 0;
        double q = 1;
        for (int i = 0; i < diagonal.Length; i++)
        {
            q = diagonal[i] - e - (i > 0 ? off * off / q : 0);
            if (q == 0) q = 1e-300;
            if (q < 0) count++;
        }
        return count;
    }

    // The l-th smallest eigenvalue by bisection on the Sturm count (Gershgorin bounds), to machine precision.
    private static double Level(double[] diagonal, double off, int l)
    {
        double lo = diagonal.Min() - 2 * Math.Abs(off), hi = diagonal.Max() + 2 * Math.Abs(off);
        for (int i = 0; i < 200 && hi - lo > 1e-15 * Math.Max(1, Math.Abs(hi)); i++)
        {
            double mid = (lo + hi) / 2;
            if (CountBelow(diagonal, off, mid) > l) hi = mid; else lo = mid;
        }
        return (lo + hi) / 2;
    }

    // The eigenvector of the eigenvalue e: three steps of inverse iteration (T − e(1 + 1e-12) I) v = v by the Thomas algorithm.
    private static double[] InverseIteration(double[] diagonal, double off, double e)
    {
        int n = diagonal.Length;
        var v = Enumerable.Repeat(1.0, n).ToArray();
        double shift = e + 1e-12 * Math.Max(1, Math.Abs(e));
        for (int iteration = 0; iteration < 3; iteration++)
        {
            var c = new double[n];
            var d = new double[n];
            double b0 = diagonal[0] - shift;
            c[0] = off / b0;
            d[0] = v[0] / b0;
            for (int i = 1; i < n; i++)
            {
                double m = diagonal[i] - shift - off * c[i - 1];
                c[i] = off / m;
                d[i] = (v[i] - off * d[i - 1]) / m;
            }
            v[n - 1] = d[n - 1];
            for (int i = n - 2; i >= 0; i--) v[i] = d[i] - c[i] * v[i + 1];
            double scale = Math.Sqrt(v.Sum(x => x * x));
            for (int i = 0; i < n; i++) v[i] /= scale;
        }
        return v;
    }

    /// <summary>∫ f dx by the trapezoid rule on a uniform grid of spacing <paramref name="h"/>.</summary>
    public static double Trapezoid(double[] f, double h) => h * (f.Sum() - 0.5 * (f[0] + f[^1]));
}
