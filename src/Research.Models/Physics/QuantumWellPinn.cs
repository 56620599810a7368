using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Physics;

/// <summary>
/// A physics-informed network for one bound state of a 1-D quantum well ("Physics-Informed Neural Networks for One-Dimensional
/// Quantum Well Problems"): a trial wavefunction that vanishes at both walls by construction and a trainable energy,
/// <code>
///   ψ(x) = (x − a)(b − x) · N(ξ),   ξ = 2(x − (a + b)/2)/(b − a)     N: tanh MLP 1 → width → … → 1
///   r(x) = −ψ''(x) + V(x) ψ(x) − E ψ(x)                             ψ'' by double backward
///   loss = mean r² + λ (∫ψ² dx − 1)²                                 E a parameter (or frozen)
/// </code>
/// The normalisation term is what keeps ψ = 0 (which solves the residual for every E) from being the answer.
/// </summary>
public sealed class QuantumWellPinn : Module<Tensor, Tensor>
{
    /// <summary>Creates the network; <paramref name="learnEnergy"/> false freezes E at <paramref name="initialEnergy"/>.</summary>
    public QuantumWellPinn(WellPotential potential, double initialEnergy, int width = 32, int hiddenLayers = 2, bool learnEnergy = true,
        DType? dtype = null, Device? device = null)
    {
        if (hiddenLayers < 1) throw new ArgumentOutOfRangeException(nameof(hiddenLayers), hiddenLayers, "must be ≥ 1");
        Potential = potential;
        var layers = new List<Module<Tensor, Tensor>> { new Linear(1, width, dtype: dtype, device: device), new Tanh() };
        for (int l = 1; l < hiddenLayers; l++) layers.AddRange([new Linear(width, width, dtype: dtype, device: device), new Tanh()]);
        layers.Add(new Linear(width, 1, dtype: dtype, device: device));
        Net = new Sequential(layers.ToArray());
        using var scope = NewScope();
        Energy = new Parameter(Tensor.Full([1], initialEnergy, dtype, device), requiresGrad: learnEnergy);
    }

    /// <summary>The well the wavefunction lives in.</summary>
    public WellPotential Potential { get; }

    /// <summary>N: the MLP the trial wavefunction multiplies.</summary>
    public Sequential Net { get; }

    /// <summary>E: the energy eigenvalue [1] (trainable unless frozen).</summary>
    public Parameter Energy { get; }

    /// <summary>ψ(x) at points x [n, 1] → [n, 1]; exactly zero at both walls.</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        double a = Potential.Left, b = Potential.Right;
        var xi = (x - Potential.Centre) * (2 / Potential.Length);
        return scope.Keep((x - a) * (b - x) * Net.Forward(xi));
    }

    /// <summary>ψ and ψ'' at x [n, 1] (x must require grad); both keep their graphs, so a loss on them trains N by double backward.</summary>
    public (Tensor Psi, Tensor SecondDerivative) WithSecondDerivative(Tensor x)
    {
        using var scope = NewScope();
        var psi = Forward(x);
        var d1 = Autograd.Grad([psi], [x], [psi.OnesLike()], createGraph: true)[0]!;
        var d2 = Autograd.Grad([d1], [x], [d1.OnesLike()], createGraph: true)[0]!;
        return (scope.Keep(psi), scope.Keep(d2));
    }

    /// <summary>The Schrödinger residual r = −ψ'' + (V − E)ψ at x [n, 1] with the potential's values v [n, 1]; also returns ψ.</summary>
    public (Tensor Psi, Tensor Residual) Residual(Tensor x, Tensor v)
    {
        using var scope = NewScope();
        var (psi, d2) = WithSecondDerivative(x);
        return (scope.Keep(psi), scope.Keep(-d2 + (v - Energy) * psi));
    }
}
