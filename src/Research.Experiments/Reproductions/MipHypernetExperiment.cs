using System.Globalization;
using Research.Models.Hypernetworks;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the MIP hypernetwork experiment at one scale.
/// </summary>
/// <param name="Seeds">Independent initialisations (and data streams) per formulation.</param>
/// <param name="LearningRates">Adam learning rates, every one run for both formulations and every seed; each formulation is compared at its best.</param>
/// <param name="Steps">Adam steps for every hypernetwork.</param>
/// <param name="Threshold">The evaluation MSE whose first crossing defines "converged" (the target's variance is ½).</param>
/// <param name="RequiredSpeedup">How many times fewer steps (median over seeds) MIP must need to reach <paramref name="Threshold"/>.</param>
/// <param name="EvalEvery">Steps between evaluations (the resolution of the step counts).</param>
/// <param name="Ablation">Whether MIP's two parts also run alone (encoding only, θ₀ only), at the same rates, seeds, steps and batches.</param>
public sealed record MipHypernetSettings(int Seeds, double[] LearningRates, int Steps, double Threshold, double RequiredSpeedup, int EvalEvery, bool Ablation)
{
    /// <summary>Conditions γ per training step.</summary>
    public const int Batch = 16;

    /// <summary>Points x per condition per training step.</summary>
    public const int Samples = 32;

    /// <summary>The primary network: a 1 → 32 → 32 → 1 tanh MLP.</summary>
    public static readonly long[] PrimarySizes = [1, 32, 32, 1];

    /// <summary>The hidden widths of the hypernetwork h.</summary>
    public static readonly long[] HyperHidden = [64, 64];

    /// <summary>
    /// Smoke: 1 seed × 500 steps at lr 3e-3, "converged" at MSE 0.03 (6 % of the target's variance: the short budget), MIP only needs to
    /// get there sooner (≥ 1.2×); cpu: 5 seeds × 1500 steps at lr 1e-3, 3e-3 and 1e-2 for both formulations, converged at MSE 0.003
    /// (0.6 %), MIP at least twice as fast, and the ablation of MIP's two parts (reported, not checked; smoke skips it).
    /// </summary>
    public static MipHypernetSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Seeds: 1, LearningRates: [3e-3], Steps: 500, Threshold: 0.03, RequiredSpeedup: 1.2, EvalEvery: 10, Ablation: false)
        : new(Seeds: 5, LearningRates: [1e-3, 3e-3, 1e-2], Steps: 1500, Threshold: 0.003, RequiredSpeedup: 2, EvalEvery: 10, Ablation: true);
}

/// <summary>
/// Ortiz, Guttag, Dalca (ICLR 2024), "Magnitude Invariant Parametrizations Improve Hypernetwork Learning" — the experiment of
/// notebooks/weightspace/mip-hypernet.ipynb. A <see cref="Hypernetwork"/> maps γ ∈ [0, 1] to the weights of a tanh MLP that
/// must fit f_γ(x) = sin(π(1 + 2γ)x) on [−1, 1] (<see cref="Target"/>): one to three half-periods, one regression task per γ.
/// The standard formulation θ = h(γ) and MIP θ = θ₀ + h([cos πγ/2, sin πγ/2]) — same h, same initialisation scheme, same
/// data and Adam steps — are trained from several seeds at each learning rate of the same sweep; with
/// <see cref="MipHypernetSettings.Ablation"/> also each part of MIP alone: the encoding θ = h(E(γ)) and the residual θ = θ₀ + h(γ).
/// Evaluations (also at step 0) on a fixed 21 γ × 101 x grid: <c>seed{k}/{standard|mip|encoding|residual}@{lr}/eval_mse</c>.
/// The outcome is a <see cref="MipHypernetOutcome"/>.
/// </summary>
public sealed class MipHypernetExperiment : IExperiment
{
    /// <summary>The formulations compared, with their metric prefixes: standard, MIP, then MIP's two parts alone (the ablation).</summary>
    public static readonly (string Name, HypernetworkParametrization Parametrization)[] Formulations =
    [
        ("standard", HypernetworkParametrization.Standard), ("mip", HypernetworkParametrization.MagnitudeInvariant),
        ("encoding", HypernetworkParametrization.InputEncoding), ("residual", HypernetworkParametrization.Residual),
    ];

    /// <summary>Evaluation conditions: 21 values of γ evenly spaced on [0, 1].</summary>
    public const int EvalConditions = 21;

    /// <summary>Evaluation points: 101 values of x evenly spaced on [−1, 1].</summary>
    public const int EvalPoints = 101;

    /// <summary>The lowest γ of the weight-norm measurement (the grid is log-spaced on [<see cref="NormGammaMin"/>, 1]).</summary>
    public const double NormGammaMin = 0.05;

    /// <summary>Points of the weight-norm measurement.</summary>
    public const int NormPoints = 20;

    /// <inheritdoc />
    public string Id => "mip-hypernet";

    /// <inheritdoc />
    public string Family => "weight-space & hypernetworks";

    /// <inheritdoc />
    public string Title => "Magnitude Invariant Parametrizations improve hypernetwork learning (Ortiz, Guttag, Dalca, ICLR 2024)";

    /// <inheritdoc />
    public string? Narrower => "one toy regression task";

    /// <inheritdoc />
    public string Claim =>
        "a hypernetwork that maps γ ∈ [0, 1] to the weights of a tanh MLP fitting sin(π(1+2γ)x) reaches evaluation MSE 0.003 at least 2× " +
        "sooner with MIP, θ = θ₀ + h([cos πγ/2, sin πγ/2]), than with the standard θ = h(γ), each at its best of the same Adam learning rates " +
        "(1e-3, 3e-3, 1e-2) and with the same steps and batches: the per-seed ratio is ≥ 2 in the mean and in ≥ 4 of 5 seeds, every MIP seed gets " +
        "there, and the across-seed spread of the step count is smaller for MIP (smoke: 1 seed, lr 3e-3, MSE 0.03, MIP ≥ 1.2× sooner). " +
        "Ablation, reported, not checked (the paper claims nothing about the parts alone): the encoding alone and θ₀ alone, same sweep, " +
        "seeds, steps and batches (not at smoke)";

    /// <summary>The regression target of condition γ: f_γ(x) = sin(π(1 + 2γ)x); x [B, N, 1] with γ [B, 1, 1] (or broadcastable).</summary>
    public static Tensor Target(Tensor x, Tensor gamma)
    {
        using var scope = NewScope();
        return scope.Keep((x * (gamma * (2 * Math.PI) + Math.PI)).Sin());
    }

    /// <summary>The primary network of the experiment.</summary>
    public static FunctionalMlp Primary() => new(MipHypernetSettings.PrimarySizes);

    /// <summary>The hypernetwork of one formulation (draws from the current libtorch seed).</summary>
    public static Hypernetwork CreateHypernetwork(HypernetworkParametrization parametrization, Device? device = null) =>
        new(1, MipHypernetSettings.HyperHidden, Primary(), parametrization, device: device);

    /// <summary>The fixed evaluation grid: γ [C, 1], x [C, N, 1] and the targets [C, N, 1].</summary>
    public static (Tensor Gamma, Tensor X, Tensor Y) EvaluationGrid(Device? device = null)
    {
        using var scope = NewScope();
        var gamma = Tensor.Linspace(0, 1, EvalConditions, device: device).Reshape(EvalConditions, 1);
        var x = Tensor.Linspace(-1, 1, EvalPoints, device: device).Reshape(1, EvalPoints, 1).Expand(EvalConditions, EvalPoints, 1).Contiguous();
        var y = Target(x, gamma.Reshape(EvalConditions, 1, 1));
        return (scope.Keep(gamma), scope.Keep(x), scope.Keep(y));
    }

    /// <summary>A training batch from the current libtorch generator: γ ~ U(0, 1) [B, 1], x ~ U(−1, 1) [B, N, 1] and targets.</summary>
    public static (Tensor Gamma, Tensor X, Tensor Y) SampleBatch(Device? device = null)
    {
        using var scope = NewScope();
        const int b = MipHypernetSettings.Batch, n = MipHypernetSettings.Samples;
        var gamma = Tensor.Rand([b, 1], device: device);
        var x = Tensor.Rand([b, n, 1], device: device) * 2.0 - 1.0;
        var y = Target(x, gamma.Reshape(b, 1, 1));
        return (scope.Keep(gamma), scope.Keep(x), scope.Keep(y));
    }

    /// <summary>Mean squared error of a hypernetwork on (γ, x, y).</summary>
    public static Tensor Mse(Hypernetwork hypernetwork, Tensor gamma, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return scope.Keep((hypernetwork.Predict(gamma, x) - y).Square().Mean());
    }

    /// <summary>The first step at which <paramref name="curve"/> (step, MSE) is at or below <paramref name="threshold"/>, or null if never.</summary>
    public static long? StepsToThreshold(IEnumerable<(long Step, double Mse)> curve, double threshold)
    {
        foreach (var (step, mse) in curve.OrderBy(p => p.Step))
            if (mse <= threshold) return step;
        return null;
    }

    /// <summary>The log-spaced γ grid of the weight-norm measurement, [<see cref="NormPoints"/>] on [<see cref="NormGammaMin"/>, 1].</summary>
    public static double[] NormGammas() =>
        Enumerable.Range(0, NormPoints).Select(i => Math.Exp(Math.Log(NormGammaMin) * (1 - i / (double)(NormPoints - 1)))).ToArray();

    /// <summary>‖θ(γ)‖ of the predicted primary parameters for every γ in <paramref name="gammas"/>.</summary>
    public static double[] WeightNorms(Hypernetwork hypernetwork, double[] gammas)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var device = hypernetwork.Layers[0].Weight.Device;
        var g = Tensor.From(gammas.Select(v => (float)v).ToArray(), gammas.Length, 1).To(device);
        return hypernetwork.Forward(g).Norm(2, [1]).Cpu().Double().ToArray<double>();
    }

    /// <summary>The least-squares slope of log ‖θ‖ against log γ: 1 when ‖θ(γ)‖ ∝ γ, 0 when it does not depend on γ.</summary>
    public static double LogLogSlope(double[] gammas, double[] norms)
    {
        if (gammas.Length != norms.Length || gammas.Length < 2) throw new ArgumentException($"need at least two (γ, norm) pairs, got {gammas.Length} and {norms.Length}");
        var lx = gammas.Select(v => Math.Log(v)).ToArray();
        var ly = norms.Select(v => Math.Log(v)).ToArray();
        double mx = lx.Average(), my = ly.Average();
        double cov = 0, varX = 0;
        for (int i = 0; i < lx.Length; i++) { cov += (lx[i] - mx) * (ly[i] - my); varX += (lx[i] - mx) * (lx[i] - mx); }
        return cov / varX;
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) throw new ArgumentException("median of nothing");
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = MipHypernetSettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        context.Run.AddHyperparameters(new
        {
            seeds = seeds.Count, learning_rates = s.LearningRates, ablation = s.Ablation, s.Steps, s.Threshold, required_speedup = s.RequiredSpeedup, eval_every = s.EvalEvery,
            batch = MipHypernetSettings.Batch, samples = MipHypernetSettings.Samples, primary = MipHypernetSettings.PrimarySizes,
            hyper_hidden = MipHypernetSettings.HyperHidden, target = "sin(pi (1 + 2 gamma) x)",
        });
        var (evalGamma, evalX, evalY) = EvaluationGrid(device);
        using var eg = evalGamma.DetachFromScope();
        using var ex = evalX.DetachFromScope();
        using var ey = evalY.DetachFromScope();

        // runs[f, r, k]: formulation f at learning rate r from seed k (ManualSeed(seed k) for both formulations); all see the same batches.
        int nf = s.Ablation ? Formulations.Length : 2, nr = s.LearningRates.Length, nk = seeds.Count;
        var models = new Hypernetwork[nf, nr, nk];
        var optimizers = new Adam[nf, nr, nk];
        var curves = new List<(long Step, double Mse)>[nf, nr, nk];
        var state = new TensorState();
        try
        {
            for (int f = 0; f < nf; f++)
                for (int r = 0; r < nr; r++)
                    for (int k = 0; k < nk; k++)
                    {
                        ManualSeed(seeds[k]);
                        models[f, r, k] = CreateHypernetwork(Formulations[f].Parametrization, device);
                        optimizers[f, r, k] = new Adam(models[f, r, k].Parameters(), lr: s.LearningRates[r]);
                        curves[f, r, k] = [];
                        state.Add(Name(f, r, k), new ModuleState(models[f, r, k], optimizers[f, r, k]));
                    }
            string Name(int f, int r, int k) => string.Create(CultureInfo.InvariantCulture, $"seed{k}/{Formulations[f].Name}@{s.LearningRates[r]:G3}");
            var gammas = NormGammas();
            var initSlopes = Enumerable.Range(0, nf).Select(f => Enumerable.Range(0, nk).Select(k => LogLogSlope(gammas, WeightNorms(models[f, 0, k], gammas))).ToArray()).ToArray();

            Dictionary<string, double> Evaluate(long step)
            {
                var metrics = new Dictionary<string, double>();
                for (int f = 0; f < nf; f++)
                    for (int r = 0; r < nr; r++)
                        for (int k = 0; k < nk; k++)
                        {
                            using var scope = NewScope();
                            double mse = Mse(models[f, r, k], eg, ex, ey).Item<float>();
                            curves[f, r, k].Add((step, mse));
                            metrics[$"{Name(f, r, k)}/eval_mse"] = mse;
                        }
                return metrics;
            }
            using (NoGrad())
                foreach (var (name, value) in Evaluate(0)) context.Run.Record(0, name, value);
            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = s.Steps,
                LearningRate = LearningRates.Constant(1),
                EvalEvery = s.EvalEvery,
                FiniteCheckEvery = s.EvalEvery,     // scanning every model's tensors every step would cost as much as training them
                LogEvery = s.EvalEvery,
            });
            var training = trainer.Fit(state, ctx =>
            {
                for (int k = 0; k < nk; k++)
                {
                    var (gamma, x, y) = SampleBatch(device);
                    for (int f = 0; f < nf; f++)
                        for (int r = 0; r < nr; r++)
                        {
                            var loss = Mse(models[f, r, k], gamma, x, y);
                            optimizers[f, r, k].ZeroGrad();
                            loss.Backward();
                            optimizers[f, r, k].Step();
                        }
                }
                return new StepResult();
            }, evaluate: Evaluate, run: context.Run);

            // Steps to the threshold (the whole budget where never reached: a lower bound), per formulation, rate and seed.
            var steps = new double[nf, nr][];
            for (int f = 0; f < nf; f++)
                for (int r = 0; r < nr; r++)
                    steps[f, r] = Enumerable.Range(0, nk).Select(k => (double)(StepsToThreshold(curves[f, r, k], s.Threshold) ?? s.Steps)).ToArray();
            var best = Enumerable.Range(0, nf).Select(f => Enumerable.Range(0, nr).MinBy(r => Median(steps[f, r]))).ToArray();
            var standard = new SeedSummary(steps[0, best[0]]);
            var mip = new SeedSummary(steps[1, best[1]]);
            var ratio = new SeedSummary(standard.Values.Zip(mip.Values, (a, b) => a / Math.Max(b, s.EvalEvery)));
            bool allMip = Enumerable.Range(0, nk).All(k => StepsToThreshold(curves[1, best[1], k], s.Threshold) is not null);
            var check = new ClaimCheck()
                .AtLeast("steps to threshold, standard / MIP (each at its best lr)", ratio, s.RequiredSpeedup, minSeeds: Math.Max(1, nk - 1), format: "F2")
                .That("every MIP seed reaches the threshold", allMip, $"{mip.Values.Count(v => v < s.Steps)}/{nk}");
            if (nk >= 3)
                check.AtMost("across-seed spread of the step count, MIP − standard", mip.Spread - standard.Spread, 0, format: "F0");
            var metrics = new Dictionary<string, double>
            {
                ["speedup_mean"] = ratio.Mean, ["speedup_of_medians"] = Median(standard.Values) / Math.Max(Median(mip.Values), s.EvalEvery),
                ["standard_steps_median"] = Median(standard.Values), ["mip_steps_median"] = Median(mip.Values),
                ["standard_steps_std"] = standard.Spread, ["mip_steps_std"] = mip.Spread,
                ["standard_lr"] = s.LearningRates[best[0]], ["mip_lr"] = s.LearningRates[best[1]],
                ["standard_norm_slope_init"] = Median(initSlopes[0]), ["mip_norm_slope_init"] = Median(initSlopes[1]),
            };
            var parts = Enumerable.Range(0, nf).Select(f =>
            {
                var partSteps = new SeedSummary(steps[f, best[f]]);
                int reached = Enumerable.Range(0, nk).Count(k => StepsToThreshold(curves[f, best[f], k], s.Threshold) is not null);
                return new MipFormulationResult(Formulations[f].Name, s.LearningRates[best[f]], partSteps,
                    new SeedSummary(standard.Values.Zip(partSteps.Values, (a, b) => a / Math.Max(b, s.EvalEvery))), reached);
            }).ToArray();
            foreach (var part in parts.Skip(2))
            {
                metrics[$"{part.Name}_speedup_mean"] = part.Speedup.Mean;
                metrics[$"{part.Name}_steps_median"] = Median(part.Steps.Values);
                metrics[$"{part.Name}_lr"] = part.Rate;
            }
            var perRate = Enumerable.Range(0, nf).Select(f => Enumerable.Range(0, nr).Select(r => new SeedSummary(steps[f, r])).ToArray()).ToArray();
            var bestCurves = Enumerable.Range(0, nf).Select(f => Enumerable.Range(0, nk).Select(k => curves[f, best[f], k].ToArray()).ToArray()).ToArray();
            var trained = Enumerable.Range(0, nf).Select(f => WeightNorms(models[f, best[f], 0], gammas)).ToArray();
            return check.Result(metrics, training, new MipHypernetOutcome(s, best.Select(r => s.LearningRates[r]).ToArray(), perRate, standard, mip, ratio,
                bestCurves, gammas, initSlopes, InitialNorms(gammas, seeds[0], device, nf), trained) { Formulations = parts });
        }
        finally
        {
            foreach (var o in optimizers) o?.Dispose();
            foreach (var m in models) m?.Dispose();
        }
    }

    // ‖θ(γ)‖ of freshly initialised hypernetworks of both formulations from `seed`.
    private static double[][] InitialNorms(double[] gammas, ulong seed, Device device, int count) => Formulations.Take(count).Select(f =>
    {
        ManualSeed(seed);
        using var h = CreateHypernetwork(f.Parametrization, device);
        return WeightNorms(h, gammas);
    }).ToArray();
}

/// <summary>One formulation at its selected rate: steps to the threshold per seed, the standard formulation's steps over its, and how many seeds got there.</summary>
public sealed record MipFormulationResult(string Name, double Rate, SeedSummary Steps, SeedSummary Speedup, int Reached);

/// <summary>What the MIP notebook draws (index order of the per-formulation arrays: <see cref="MipHypernetExperiment.Formulations"/>).</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="SelectedRate">The learning rate each formulation (standard, MIP) is compared at: its lowest median step count.</param>
/// <param name="StepsByRate">Steps to the threshold over seeds, per formulation and learning rate.</param>
/// <param name="Standard">Steps to the threshold of the standard formulation at its selected rate, per seed.</param>
/// <param name="Mip">The same for MIP.</param>
/// <param name="Speedup">Standard / MIP steps per seed.</param>
/// <param name="Curves">Evaluation MSE curves (step, MSE) per formulation and seed at the selected rates.</param>
/// <param name="Gammas">The γ grid of the weight-norm measurement.</param>
/// <param name="InitialSlopes">Log-log slope of ‖θ(γ)‖ at initialisation, per formulation and seed.</param>
/// <param name="InitialNorms">‖θ(γ)‖ at initialisation of the first seed, per formulation.</param>
/// <param name="TrainedNorms">‖θ(γ)‖ after training of the first seed at the selected rate, per formulation.</param>
public sealed record MipHypernetOutcome(MipHypernetSettings Settings, double[] SelectedRate, SeedSummary[][] StepsByRate, SeedSummary Standard,
    SeedSummary Mip, SeedSummary Speedup, (long Step, double Mse)[][][] Curves, double[] Gammas, double[][] InitialSlopes, double[][] InitialNorms,
    double[][] TrainedNorms)
{
    /// <summary>Every formulation run (standard, MIP, then the ablation's encoding-only and θ₀-only where run) at its selected rate.</summary>
    public MipFormulationResult[] Formulations { get; init; } = [];
}
