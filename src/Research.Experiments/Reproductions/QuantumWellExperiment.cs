using Research.Models.Physics;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the pinn-qwell experiment at one scale.</summary>
/// <param name="Seeds">Seeds; each trains every well and both controls.</param>
/// <param name="Steps">Adam steps per network.</param>
/// <param name="Points">Collocation points per step (stratified: one uniform draw in each of this many equal cells of the box).</param>
/// <param name="Width">Width of the two tanh hidden layers of N.</param>
/// <param name="MaxEnergyError">|E − E_ref| / E_ref must be at most this.</param>
/// <param name="MinOverlap">|⟨ψ, ψ_ref⟩| / (‖ψ‖ ‖ψ_ref‖) must be at least this.</param>
/// <param name="Controls">Whether the frozen-E and no-normalisation controls are trained (not at smoke scale).</param>
public sealed record QuantumWellSettings(int Seeds, int Steps, int Points, int Width, double MaxEnergyError, double MinOverlap, bool Controls)
{
    /// <summary>Adam's learning rate for N (divided by 10 for the last fifth of the steps).</summary>
    public const double LearningRate = 3e-3;

    /// <summary>Adam's learning rate for E, which must travel ~10 units (divided by 10 for the last fifth of the steps).</summary>
    public const double EnergyLearningRate = 0.05;

    /// <summary>
    /// λ, the weight of the normalisation term. For ψ of norm s² the loss is s²R + λ(s² − 1)², R the residual of the unit-norm shape:
    /// its minimum is at s² = 1 − R/2λ when R &lt; 2λ and at ψ = 0 otherwise, so λ must exceed half the residual of the starting
    /// guess ((π² − 1)² ≈ 79 for the infinite well, more where ψ overlaps the finite well's walls).
    /// </summary>
    public const double NormWeight = 1000;

    /// <summary>Every network starts at this energy (far below every reference level); the frozen-E control stays there.</summary>
    public const double InitialEnergy = 1.0;

    /// <summary>The frozen-E control's residual must stay at least this many times the learned network's.</summary>
    public const double MinFrozenResidualFactor = 10;

    /// <summary>Without the normalisation term ∫ψ² must fall to at most this (collapse to ψ = 0).</summary>
    public const double MaxCollapsedNorm = 0.01;

    /// <summary>Grid intervals of the finite-difference reference.</summary>
    public const int ReferenceIntervals = 2000;

    /// <summary>
    /// Smoke: 1 seed, 500 steps of 128 points, width 24, no controls, E within 15 %, overlap ≥ 0.95. Otherwise 3 seeds (gpu 5),
    /// 3,000 steps of 256 points, width 32, both controls, E within 1 %, overlap ≥ 0.99.
    /// </summary>
    public static QuantumWellSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Seeds: 1, Steps: 500, Points: 128, Width: 24, MaxEnergyError: 0.15, MinOverlap: 0.95, Controls: false)
        : new(Seeds: scale == Scale.Cpu ? 3 : 5, Steps: 3000, Points: 256, Width: 32, MaxEnergyError: 0.01, MinOverlap: 0.99, Controls: true);

    /// <summary>The wells: the infinite square well on [0, 1] (E₁ = π²) and a finite well of width 1 and depth 50 in the box [−1.5, 1.5].</summary>
    public static IReadOnlyList<(string Name, WellPotential Potential)> Wells { get; } =
        [("infinite", WellPotential.Infinite(1)), ("finite", WellPotential.Finite(width: 1, depth: 50, half: 1.5))];
}

/// <summary>One well's results.</summary>
/// <param name="Reference">The reference ground-state energy: π² for the infinite well, the finite-difference level otherwise.</param>
/// <param name="Grid">The finite-difference grid (walls included).</param>
/// <param name="ReferencePsi">The finite-difference ground state on the grid (∫ψ² = 1, ∫ψ ≥ 0).</param>
/// <param name="Potential">V on the grid.</param>
/// <param name="Psi">The first seed's PINN ψ on the grid, normalised and signed like the reference.</param>
/// <param name="Residual">|r(x)| on the grid of the first seed's learned-E network and of its frozen-E control ("learned", "frozen"), ψ normalised.</param>
/// <param name="EnergyCurves">E per recorded step for every seed (learned E), with the steps in <see cref="CurveSteps"/>.</param>
/// <param name="CurveSteps">The steps of the energy curves.</param>
/// <param name="EnergyError">|E − E_ref| / E_ref over seeds.</param>
/// <param name="Overlap">|⟨ψ, ψ_ref⟩| / (‖ψ‖ ‖ψ_ref‖) over seeds.</param>
/// <param name="ResidualLearned">Mean r² of the normalised ψ on the grid, learned E, over seeds.</param>
/// <param name="ResidualFrozen">The same with E frozen at the initial energy.</param>
/// <param name="CollapsedNorm">∫ψ² at the end of training without the normalisation term, over seeds.</param>
public sealed record WellOutcome(double Reference, double[] Grid, double[] ReferencePsi, double[] Potential, double[] Psi,
    IReadOnlyDictionary<string, double[]> Residual, double[][] EnergyCurves, long[] CurveSteps, SeedSummary EnergyError, SeedSummary Overlap,
    SeedSummary ResidualLearned, SeedSummary ResidualFrozen, SeedSummary CollapsedNorm);

/// <summary>What the pinn-qwell notebook draws: the settings and one <see cref="WellOutcome"/> per well.</summary>
public sealed record QuantumWellOutcome(QuantumWellSettings Settings, IReadOnlyDictionary<string, WellOutcome> Wells);

/// <summary>
/// "Physics-Informed Neural Networks for One-Dimensional Quantum Well Problems" — the experiment of
/// notebooks/operators/pinn-qwell.ipynb: a <see cref="QuantumWellPinn"/> (hard-coded wall zeros, residual + normalisation loss,
/// trainable energy, ψ'' by double backward) learns the ground state of the infinite square well and of a finite well, from
/// several seeds, against π² and the <see cref="FiniteDifferenceSchrodinger"/> reference. Controls from the same start: E frozen
/// at its initial value, and no normalisation term. Metrics per step: <c>seed{k}/{well}/{learned|frozen|no-norm}/loss</c> and
/// <c>seed{k}/{well}/learned/energy</c>. The outcome is a <see cref="QuantumWellOutcome"/>.
/// </summary>
public sealed class QuantumWellExperiment : IExperiment
{
    /// <summary>The three trainings per well and seed.</summary>
    public static readonly string[] Variants = ["learned", "frozen", "no-norm"];

    /// <inheritdoc />
    public string Id => "pinn-qwell";

    /// <inheritdoc />
    public string Family => "neural operators & PDEs";

    /// <inheritdoc />
    public string Title => "PINN for 1-D quantum wells with a trainable energy (double backward)";

    /// <inheritdoc />
    public string? Narrower => "ground states of an infinite and a finite well only (no barrier); the frozen-energy control is reported for the finite well, not checked";

    /// <inheritdoc />
    public string Claim =>
        "a PINN with hard-coded wall zeros, a residual + normalisation loss and a trainable energy, started at E = 1, learns the ground " +
        "state of the infinite well (E = π²) and of a finite well (depth 50, width 1, finite-difference reference) with E within 1 % and " +
        "wavefunction overlap ≥ 0.99, mean and every one of 3 seeds; without the normalisation term ψ collapses (∫ψ² ≤ 0.01); with E " +
        "frozen at 1 the infinite well's residual stays ≥ 10× larger — for the finite well this control does not hold (the ratio is " +
        "reported, not checked: the learned residual there is dominated by the jumps of V) (smoke: 1 seed, 500 steps, no controls, " +
        "E within 15 %, overlap ≥ 0.95)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = QuantumWellSettings.For(context.Scale);
        var seeds = context.Seeds(s.Seeds);
        context.Run.AddHyperparameters(new
        {
            seeds = seeds.Count, s.Steps, s.Points, s.Width, lr = QuantumWellSettings.LearningRate, norm_weight = QuantumWellSettings.NormWeight,
            initial_energy = QuantumWellSettings.InitialEnergy, wells = QuantumWellSettings.Wells.Select(w => w.Name).ToArray(),
        });
        var check = new ClaimCheck();
        var metrics = new Dictionary<string, double>();
        var wells = new Dictionary<string, WellOutcome>();
        TrainingResult? last = null;
        foreach (var (name, potential) in QuantumWellSettings.Wells)
        {
            var reference = FiniteDifferenceSchrodinger.Solve(potential, QuantumWellSettings.ReferenceIntervals, levels: 1);
            double energy = name == "infinite" ? potential.InfiniteWellLevel(1) : reference.Energies[0];
            var error = new double[seeds.Count];
            var overlap = new double[seeds.Count];
            var residual = new double[seeds.Count];
            var frozen = new double[seeds.Count];
            var collapsed = new double[seeds.Count];
            var curves = new double[seeds.Count][];
            long[] curveSteps = [];
            double[] psi0 = [];
            var residual0 = new Dictionary<string, double[]>();
            for (int k = 0; k < seeds.Count; k++)
            {
                foreach (var variant in s.Controls ? Variants : Variants.Take(1))
                {
                    var (net, training, curve) = Train(context, s, name, potential, variant, seeds[k], k);
                    last = training;
                    using (net)
                    {
                        var onGrid = Evaluate(net, reference);
                        switch (variant)
                        {
                            case "learned":
                                error[k] = Math.Abs(net.Energy.Item<float>() - energy) / energy;
                                overlap[k] = onGrid.Overlap;
                                residual[k] = onGrid.MeanSquareResidual;
                                curves[k] = curve.Select(p => p.Energy).ToArray();
                                curveSteps = curve.Select(p => p.Step).ToArray();
                                if (k == 0) (psi0, residual0["learned"]) = (onGrid.Psi, onGrid.AbsResidual);
                                break;
                            case "frozen":
                                frozen[k] = onGrid.MeanSquareResidual;
                                if (k == 0) residual0["frozen"] = onGrid.AbsResidual;
                                break;
                            default:
                                collapsed[k] = onGrid.Norm;
                                break;
                        }
                    }
                }
            }
            var outcome = new WellOutcome(energy, reference.Grid, reference.States[0], reference.Grid.Select(potential.At).ToArray(), psi0, residual0,
                curves, curveSteps, new SeedSummary(error), new SeedSummary(overlap), new SeedSummary(residual), new SeedSummary(frozen),
                new SeedSummary(collapsed));
            wells[name] = outcome;
            var factor = new SeedSummary(frozen.Zip(residual, (f, r) => f / r));
            check.AtMost($"{name} well: |E − E_ref| / E_ref", outcome.EnergyError, s.MaxEnergyError, format: "F4")
                .AtLeast($"{name} well: overlap with the reference ψ", outcome.Overlap, s.MinOverlap, format: "F5");
            metrics[$"{name}_energy_error"] = outcome.EnergyError.Mean;
            metrics[$"{name}_overlap"] = outcome.Overlap.Mean;
            if (!s.Controls) continue;
            // The finite well's learned residual is dominated by the jumps of V, which no smooth trial function follows: its
            // frozen/learned ratio is measured and reported (3.6× at cpu scale, under the 10× of the claim), not checked.
            if (name == "infinite")
                check.AtLeast($"{name} well: residual with E frozen at {QuantumWellSettings.InitialEnergy} / residual with E learned", factor,
                    QuantumWellSettings.MinFrozenResidualFactor, format: "G3");
            check.AtMost($"{name} well: ∫ψ² without the normalisation term", outcome.CollapsedNorm, QuantumWellSettings.MaxCollapsedNorm, format: "G3");
            metrics[$"{name}_frozen_factor"] = factor.Mean;
            metrics[$"{name}_collapsed_norm"] = outcome.CollapsedNorm.Mean;
        }
        return check.Result(metrics, last, new QuantumWellOutcome(s, wells));
    }

    /// <summary>
    /// The training loss at stratified collocation points x [n, 1] (requiring grad) with V values v [n, 1]: mean r² plus, when
    /// <paramref name="normalise"/>, λ(L·mean ψ² − 1)², L·mean ψ² being the stratified estimate of ∫ψ² over the box.
    /// </summary>
    public static Tensor Loss(QuantumWellPinn net, Tensor x, Tensor v, bool normalise)
    {
        using var scope = NewScope();
        var (psi, r) = net.Residual(x, v);
        var loss = r.Square().Mean();
        if (normalise) loss = loss + QuantumWellSettings.NormWeight * (psi.Square().Mean() * net.Potential.Length - 1).Square();
        return scope.Keep(loss);
    }

    /// <summary>One point drawn uniformly in each of <paramref name="points"/> equal cells of the box, and V there: x, v [points, 1].</summary>
    public static (Tensor X, Tensor V) Collocation(WellPotential potential, int points, ulong seed, Device? device = null)
    {
        var draw = new SplitMix64(seed);
        double cell = potential.Length / points;
        var x = Enumerable.Range(0, points).Select(i => potential.Left + (i + draw.NextDouble()) * cell).ToArray();
        var target = device ?? Device.CPU;
        using var scope = NewScope();
        var xs = Tensor.From(x.Select(p => (float)p).ToArray(), points, 1).To(target);
        var vs = Tensor.From(x.Select(p => (float)potential.At(p)).ToArray(), points, 1).To(target);
        return (scope.Keep(xs).DetachFromScope(), scope.Keep(vs).DetachFromScope());
    }

    /// <summary>A trained network on the reference grid.</summary>
    /// <param name="Psi">ψ on the grid normalised to ∫ψ² = 1 and signed so that ∫ψ ≥ 0.</param>
    /// <param name="AbsResidual">|r| of that normalised ψ on the grid.</param>
    /// <param name="MeanSquareResidual">Mean r² of the normalised ψ over the grid.</param>
    /// <param name="Overlap">|⟨ψ, ψ_ref⟩| / (‖ψ‖ ‖ψ_ref‖).</param>
    /// <param name="Norm">∫ψ² of the unnormalised network output.</param>
    public sealed record GridEvaluation(double[] Psi, double[] AbsResidual, double MeanSquareResidual, double Overlap, double Norm);

    /// <summary>Evaluates ψ and the residual of <paramref name="net"/> on the reference grid (trapezoid integrals).</summary>
    public static GridEvaluation Evaluate(QuantumWellPinn net, EigenStates reference)
    {
        using var scope = NewScope();
        var grid = reference.Grid;
        double h = grid[1] - grid[0];
        var device = net.Energy.Device;
        var x = Tensor.From(grid.Select(p => (float)p).ToArray(), grid.Length, 1).To(device).RequiresGrad_();
        var v = Tensor.From(grid.Select(p => (float)net.Potential.At(p)).ToArray(), grid.Length, 1).To(device);
        var (psiT, rT) = net.Residual(x, v);
        var psi = psiT.Detach().Cpu().Double().Flatten().ToArray<double>();
        var r = rT.Detach().Cpu().Double().Flatten().ToArray<double>();
        double norm = FiniteDifferenceSchrodinger.Trapezoid(psi.Select(p => p * p).ToArray(), h);
        double scale = (FiniteDifferenceSchrodinger.Trapezoid(psi, h) < 0 ? -1 : 1) / Math.Sqrt(Math.Max(norm, 1e-300));
        var unit = psi.Select(p => p * scale).ToArray();
        var absResidual = r.Select(p => Math.Abs(p * scale)).ToArray();
        double overlap = Math.Abs(FiniteDifferenceSchrodinger.Trapezoid(unit.Zip(reference.States[0], (a, b) => a * b).ToArray(), h));
        return new GridEvaluation(unit, absResidual, absResidual.Select(a => a * a).Average(), overlap, norm);
    }

    // One network of `variant` from `seed`: Adam, N at LearningRate and E at EnergyLearningRate, both ÷10 for the last fifth of the steps.
    private static (QuantumWellPinn Net, TrainingResult Training, List<(long Step, double Energy)> Curve) Train(ExperimentContext context,
        QuantumWellSettings s, string well, WellPotential potential, string variant, ulong seed, int k)
    {
        var device = context.Device;
        ManualSeed(seed + 1);
        var net = new QuantumWellPinn(potential, QuantumWellSettings.InitialEnergy, s.Width, learnEnergy: variant != "frozen", device: device);
        ParamGroup[] groups = variant == "frozen"
            ? [new ParamGroup(net.Net.Parameters())]
            : [new ParamGroup(net.Net.Parameters()), new ParamGroup([net.Energy], new Dictionary<string, double> { ["lr"] = QuantumWellSettings.EnergyLearningRate })];
        using var adam = new Adam(groups, lr: QuantumWellSettings.LearningRate);
        var curve = new List<(long, double)>();
        string prefix = $"seed{k}/{well}/{variant}";
        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = s.Steps,
            LearningRate = step => step < s.Steps * 4 / 5 ? 1 : 0.1,                      // a factor on both groups' rates
        }, seed);
        var training = trainer.Fit(new TensorState { { prefix, new ModuleState(net, adam) } }, ctx =>
        {
            var (x, v) = Collocation(potential, s.Points, ctx.Seed, device);
            using (x)
            using (v)
            {
                x.RequiresGrad_();
                adam.ParamGroups[0].LearningRate = QuantumWellSettings.LearningRate * ctx.LearningRate;
                if (groups.Length > 1) adam.ParamGroups[1].LearningRate = QuantumWellSettings.EnergyLearningRate * ctx.LearningRate;
                var loss = Loss(net, x, v, normalise: variant != "no-norm");
                adam.ZeroGrad();
                loss.Backward();
                adam.Step();
                var m = new Dictionary<string, double> { [$"{prefix}/loss"] = loss.Item<float>() };
                if (variant == "learned" && (ctx.Step % 10 == 0 || ctx.Step == s.Steps - 1))
                {
                    double e = net.Energy.Item<float>();
                    m[$"{prefix}/energy"] = e;
                    curve.Add((ctx.Step, e));
                }
                return new StepResult(Metrics: m);
            }
        }, run: context.Run);
        return (net, training, curve);
    }
}
