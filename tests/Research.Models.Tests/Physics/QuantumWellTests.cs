using Research.Models.Physics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Physics;

public class QuantumWellTests
{
    [Fact]
    public void FiniteDifferenceLevelsOfTheInfiniteWellAreTheDiscreteSineLevels()
    {
        var well = WellPotential.Infinite(2.0);
        const int intervals = 400;
        var states = FiniteDifferenceSchrodinger.Solve(well, intervals, levels: 3);
        double h = well.Length / intervals;
        for (int n = 1; n <= 3; n++)
        {
            double discrete = 4 / (h * h) * Math.Pow(Math.Sin(n * Math.PI * h / (2 * well.Length)), 2);
            Assert.Equal(discrete, states.Energies[n - 1], 1e-8 * discrete);
            Assert.True(Math.Abs(states.Energies[n - 1] / well.InfiniteWellLevel(n) - 1) < 1e-4, $"level {n}: {states.Energies[n - 1]} vs {well.InfiniteWellLevel(n)}");
        }
        // ψ₁ = √(2/L) sin(πx/L), positive, unit norm.
        for (int i = 0; i <= intervals; i++)
            Assert.Equal(Math.Sqrt(2 / well.Length) * Math.Sin(Math.PI * states.Grid[i] / well.Length), states.States[0][i], 1e-4);
        Assert.Equal(1.0, FiniteDifferenceSchrodinger.Trapezoid(states.States[1].Select(p => p * p).ToArray(), h), 1e-12);
    }

    [Fact]
    public void FiniteWellGroundStateSolvesTheMatchingCondition()
    {
        // Even ground state in the box: cos(kx) inside |x| < w/2, A sinh(κ(b − |x|)) outside, so k tan(kw/2) = κ coth(κ(b − w/2)).
        var well = WellPotential.Finite(width: 1, depth: 50, half: 1.5);
        double Mismatch(double e)
        {
            double k = Math.Sqrt(e), kappa = Math.Sqrt(50 - e);
            return k * Math.Tan(k / 2) - kappa / Math.Tanh(kappa * 1.0);
        }
        double lo = 1, hi = Math.PI * Math.PI - 1e-9;                  // k/2 < π/2
        for (int i = 0; i < 200; i++) { double mid = (lo + hi) / 2; if (Mismatch(mid) < 0) lo = mid; else hi = mid; }
        var states = FiniteDifferenceSchrodinger.Solve(well, 3000, levels: 2);
        Assert.True(Math.Abs(states.Energies[0] / lo - 1) < 1e-4, $"finite difference {states.Energies[0]} vs matching {lo}");
        Assert.True(states.Energies[0] < states.Energies[1] && states.Energies[1] < 50);
    }

    [Fact]
    public void TrialWavefunctionVanishesAtBothWalls()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var net = new QuantumWellPinn(WellPotential.Finite(1, 50, 1.5), initialEnergy: 1);
        var psi = net.Forward(Tensor.From(new float[] { -1.5f, 0f, 1.5f }, 3, 1)).ToArray<float>();
        Assert.Equal(0f, psi[0]);
        Assert.Equal(0f, psi[2]);
        Assert.NotEqual(0f, psi[1]);
    }

    [Fact]
    public void DoubleBackwardSecondDerivativeMatchesFiniteDifferencesAndTrainsTheNetwork()
    {
        using var scope = NewScope();
        ManualSeed(1);
        var well = WellPotential.Infinite(1);
        using var net = new QuantumWellPinn(well, initialEnergy: 2.5, width: 8, dtype: DType.Float64);
        var xs = new[] { 0.1, 0.37, 0.8 };
        var x = Tensor.From(xs, 3, 1).RequiresGrad_();
        var (psi, d2) = net.WithSecondDerivative(x);
        const double h = 1e-4;
        double Psi(double p) { using var s = NewScope(); using var ng = NoGrad(); return net.Forward(Tensor.From(new[] { p }, 1, 1)).Item<double>(); }
        var second = d2.ToArray<double>();
        for (int i = 0; i < 3; i++)
            Assert.Equal((Psi(xs[i] + h) - 2 * Psi(xs[i]) + Psi(xs[i] - h)) / (h * h), second[i], 1e-5 * Math.Max(1, Math.Abs(second[i])));

        // r = −ψ'' + (V − E)ψ with V = 0 here, and the loss on r reaches N's weights and E.
        var (psi2, r) = net.Residual(x, Tensor.Zeros([3, 1], DType.Float64));
        Assert.True(r.AllClose(-d2 - 2.5 * psi2, rtol: 1e-12, atol: 1e-12));
        r.Square().Sum().Backward();
        Assert.NotNull(net.Energy.Grad);
        Assert.True(net.Net.Parameters().All(p => p.Grad is not null && p.Grad.Abs().Sum().Item<double>() > 0));
    }

    [Fact]
    public void FrozenEnergyGetsNoGradient()
    {
        using var scope = NewScope();
        using var net = new QuantumWellPinn(WellPotential.Infinite(1), initialEnergy: 1, learnEnergy: false);
        var x = Tensor.From(new float[] { 0.2f, 0.5f }, 2, 1).RequiresGrad_();
        net.Residual(x, Tensor.Zeros([2, 1])).Residual.Square().Sum().Backward();
        Assert.Null(net.Energy.Grad);
        Assert.False(net.Energy.RequiresGrad);
    }
}
