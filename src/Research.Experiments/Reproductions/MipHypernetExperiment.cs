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
/// <param name="Steps">Adam steps for every hypernetwork.</param>
/// <param name="Threshold">The evaluation MSE whose first crossing defines "converged" (the target's variance is ½).</param>
/// <param name="RequiredSpeedup">How many times fewer steps (median over seeds) MIP must need to reach <paramref name="Threshold"/>.</param>
/// <param name="EvalEvery">Steps between evaluations (the resolution of the step counts).</param>
public sealed record MipHypernetSettings(int Seeds, int Steps, double Threshold, double RequiredSpeedup, int EvalEvery)
{
    /// <summary>Conditions γ per training step.</summary>
    public const int Batch = 16;

    /// <summary>Points x per condition per training step.</summary>
    public const int Samples = 32;

    /// <summary>Adam's learning rate, the same for both formulations.</summary>
    public const double LearningRate = 3e-3;

    /// <summary>The primary network: a 1 → 32 → 32 → 1 tanh MLP.</summary>
    public static readonly long[] PrimarySizes = [1, 32, 32, 1];

    /// <summary>The hidden widths of the hypernetwork h.</summary>
    public static readonly long[] HyperHidden = [64, 64];

    /// <summary>
    /// Smoke: 3 seeds × 500 steps, "converged" at MSE 0.03 (6 % of the target's variance: the short budget); otherwise 5 seeds ×
    /// 1500 steps, converged at MSE 0.003 (0.6 %). MIP must get there at least twice as fast at both.
    /// </summary>
    public static MipHypernetSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Seeds: 3, Steps: 500, Threshold: 0.03, RequiredSpeedup: 2, EvalEvery: 10)
        : new(Seeds: 5, Steps: 1500, Threshold: 0.003, RequiredSpeedup: 2, EvalEvery: 10);
}

/// <summary>
/// Ortiz, Guttag, Dalca (ICLR 2024), "Magnitude Invariant Parametrizations Improve Hypernetwork Learning" — the experiment of
/// notebooks/weightspace/mip-hypernet.ipynb. A <see cref="Hypernetwork"/> maps γ ∈ [0, 1] to the weights of a tanh MLP that
/// must fit f_γ(x) = sin(π(1 + 2γ)x) on [−1, 1] (<see cref="Target"/>): one to three half-periods, one regression task per γ.
/// The standard formulation θ = h(γ) and MIP θ = θ₀ + h([cos πγ/2, sin πγ/2]) — same h, same initialisation scheme, same
/// data and Adam steps — are trained from several seeds. Metrics per step: <c>standard/loss_seed{s}</c>, <c>mip/loss_seed{s}</c>
/// (training MSE); evaluations (also at step 0): <c>eval/standard_mse_seed{s}</c>, <c>eval/mip_mse_seed{s}</c> on a fixed
/// 21 γ × 101 x grid. The predicted-weight norm ‖θ(γ)‖ (mean over seeds) is recorded against γ with step = round(1000 γ):
/// <c>weight_norm_init/{standard,mip}</c> and <c>weight_norm_trained/{standard,mip}</c>.
/// </summary>
public sealed class MipHypernetExperiment : IExperiment
{
    /// <summary>The formulations compared, with their metric prefixes.</summary>
    public static readonly (string Name, HypernetworkParametrization Parametrization)[] Formulations =
        [("standard", HypernetworkParametrization.Standard), ("mip", HypernetworkParametrization.MagnitudeInvariant)];

    /// <summary>Evaluation conditions: 21 values of γ evenly spaced on [0, 1].</summary>
    public const int EvalConditions = 21;

    /// <summary>Evaluation points: 101 values of x evenly spaced on [−1, 1].</summary>
    public const int EvalPoints = 101;

    /// <summary>The lowest γ of the weight-norm measurement (the grid is log-spaced on [<see cref="NormGammaMin"/>, 1]).</summary>
    public const double NormGammaMin = 0.05;

    /// <summary>Points of the weight-norm measurement.</summary>
    public const int NormPoints = 20;

    /// <summary>The largest allowed |log-log slope| of ‖θ(γ)‖ for MIP at initialisation.</summary>
    public const double MipSlopeCeiling = 0.1;

    /// <summary>The smallest log-log slope of ‖θ(γ)‖ the standard formulation must show at initialisation (1 = proportional).</summary>
    public const double StandardSlopeFloor = 0.9;

    /// <inheritdoc />
    public string Id => "mip-hypernet";

    /// <inheritdoc />
    public string Family => "weight-space & hypernetworks";

    /// <inheritdoc />
    public string Title => "Magnitude Invariant Parametrizations improve hypernetwork learning (Ortiz, Guttag, Dalca, ICLR 2024)";

    /// <inheritdoc />
    public string Claim =>
        "a hypernetwork that maps γ ∈ [0, 1] to the weights of a tanh MLP fitting sin(π(1+2γ)x) reaches evaluation MSE 0.003 (smoke: 0.03) at least 2× " +
        "sooner with MIP, θ = θ₀ + h([cos πγ/2, sin πγ/2]), than with the standard θ = h(γ) (median over 5 seeds, smoke 3; same Adam steps), " +
        "every MIP seed gets there and the across-seed spread of that step count is smaller for MIP; and at initialisation ‖θ(γ)‖ ∝ γ for the standard " +
        $"hypernetwork (log-log slope ≥ {StandardSlopeFloor}) but not for MIP (|slope| ≤ {MipSlopeCeiling})";

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

    /// <summary>The population standard deviation of <paramref name="values"/>.</summary>
    public static double StandardDeviation(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / v.Length);
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = MipHypernetSettings.For(context.Scale);
        var device = context.Device;
        context.Run.AddHyperparameters(new
        {
            s.Seeds, s.Steps, s.Threshold, required_speedup = s.RequiredSpeedup, eval_every = s.EvalEvery, batch = MipHypernetSettings.Batch,
            samples = MipHypernetSettings.Samples, lr = MipHypernetSettings.LearningRate, primary = MipHypernetSettings.PrimarySizes,
            hyper_hidden = MipHypernetSettings.HyperHidden, target = "sin(pi (1 + 2 gamma) x)",
        });

        var (evalGamma, evalX, evalY) = EvaluationGrid(device);
        using var eg = evalGamma.DetachFromScope();
        using var ex = evalX.DetachFromScope();
        using var ey = evalY.DetachFromScope();

        // models[f][seed]: seed s initialises both formulations from ManualSeed(seed + s); they see the same batches.
        var models = new Hypernetwork[Formulations.Length][];
        var optimizers = new Adam[Formulations.Length][];
        var state = new TensorState();
        for (int f = 0; f < Formulations.Length; f++)
        {
            models[f] = new Hypernetwork[s.Seeds];
            optimizers[f] = new Adam[s.Seeds];
            for (int seed = 0; seed < s.Seeds; seed++)
            {
                ManualSeed(context.Seed + (ulong)seed);
                models[f][seed] = CreateHypernetwork(Formulations[f].Parametrization, device);
                optimizers[f][seed] = new Adam(models[f][seed].Parameters(), lr: MipHypernetSettings.LearningRate);
                state.Add($"{Formulations[f].Name}_seed{seed}", new ModuleState(models[f][seed], optimizers[f][seed]));
            }
        }
        context.Run.Log($"hypernetwork parameters: standard {models[0][0].ParameterCount()}, MIP {models[1][0].ParameterCount()} " +
                        $"(primary {string.Join("→", MipHypernetSettings.PrimarySizes)}, P = {models[0][0].Primary.ParameterCount})");

        try
        {
            var gammas = NormGammas();
            var initSlopes = RecordNorms(context.Run, "weight_norm_init", models, gammas);

            var curves = Formulations.Select(_ => Enumerable.Range(0, s.Seeds).Select(_ => new List<(long, double)>()).ToArray()).ToArray();
            Dictionary<string, double> Evaluate(long step)
            {
                var metrics = new Dictionary<string, double>();
                for (int f = 0; f < Formulations.Length; f++)
                    for (int seed = 0; seed < s.Seeds; seed++)
                    {
                        using var scope = NewScope();
                        double mse = Mse(models[f][seed], eg, ex, ey).Item<float>();
                        curves[f][seed].Add((step, mse));
                        metrics[$"eval/{Formulations[f].Name}_mse_seed{seed}"] = mse;
                    }
                return metrics;
            }
            using (NoGrad())
                foreach (var (name, value) in Evaluate(0)) context.Run.Record(0, name, value);

            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = s.Steps,
                LearningRate = LearningRates.Constant(MipHypernetSettings.LearningRate),
                EvalEvery = s.EvalEvery,
                FiniteCheckEvery = s.EvalEvery,     // scanning ten models' tensors every step would cost as much as training them
            });
            var result = trainer.Fit(state, ctx =>
            {
                var metrics = new Dictionary<string, double>();
                for (int seed = 0; seed < s.Seeds; seed++)
                {
                    var (gamma, x, y) = SampleBatch(device);
                    for (int f = 0; f < Formulations.Length; f++)
                    {
                        var optimizer = optimizers[f][seed];
                        ctx.ApplyLearningRate(optimizer);
                        var loss = Mse(models[f][seed], gamma, x, y);
                        optimizer.ZeroGrad();
                        loss.Backward();
                        optimizer.Step();
                        metrics[$"{Formulations[f].Name}/loss_seed{seed}"] = loss.Item<float>();
                    }
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: Evaluate, run: context.Run);

            var trainedSlopes = RecordNorms(context.Run, "weight_norm_trained", models, gammas, result.Steps);
            return Summarise(s, curves, initSlopes, trainedSlopes, result);
        }
        finally
        {
            foreach (var o in optimizers.SelectMany(o => o)) o?.Dispose();
            foreach (var m in models.SelectMany(m => m)) m?.Dispose();
        }
    }

    // ‖θ(γ)‖ averaged over seeds, recorded at step round(1000 γ); returns the log-log slope of every model [formulation][seed].
    private static double[][] RecordNorms(Run run, string prefix, Hypernetwork[][] models, double[] gammas, long? logStep = null)
    {
        var slopes = new double[models.Length][];
        for (int f = 0; f < models.Length; f++)
        {
            var norms = models[f].Select(m => WeightNorms(m, gammas)).ToArray();
            slopes[f] = norms.Select(n => LogLogSlope(gammas, n)).ToArray();
            for (int i = 0; i < gammas.Length; i++)
                run.Record((long)Math.Round(1000 * gammas[i]), $"{prefix}/{Formulations[f].Name}", norms.Average(n => n[i]));
        }
        string when = logStep is { } st ? $"after {st} steps" : "at initialisation";
        run.Log(string.Create(CultureInfo.InvariantCulture, $"{prefix}: median log-log slope of ‖θ(γ)‖ {when}: standard {Median(slopes[0]):F3}, MIP {Median(slopes[1]):F3}"));
        return slopes;
    }

    private static ExperimentResult Summarise(MipHypernetSettings s, List<(long, double)>[][] curves, double[][] initSlopes, double[][] trainedSlopes, TrainingResult result)
    {
        // A seed that never reaches the threshold counts as needing the whole budget: a lower bound on its true count.
        var reached = curves.Select(perSeed => perSeed.Select(c => StepsToThreshold(c, s.Threshold)).ToArray()).ToArray();
        var counts = reached.Select(r => r.Select(v => (double)(v ?? s.Steps)).ToArray()).ToArray();
        double standardMedian = Median(counts[0]), mipMedian = Median(counts[1]);
        double speedup = standardMedian / Math.Max(mipMedian, s.EvalEvery);
        double standardSpread = StandardDeviation(counts[0]), mipSpread = StandardDeviation(counts[1]);
        bool allMipReach = reached[1].All(r => r is not null);
        var finalMse = curves.Select(perSeed => perSeed.Select(c => c[^1].Item2).ToArray()).ToArray();
        double standardSlope0 = initSlopes[0].Min(), mipSlope0 = initSlopes[1].Max(v => Math.Abs(v));

        bool faster = allMipReach && speedup >= s.RequiredSpeedup;
        bool steadier = mipSpread < standardSpread;
        bool proportional = standardSlope0 >= StandardSlopeFloor && mipSlope0 <= MipSlopeCeiling;
        string Counts(int f) => string.Join(", ", reached[f].Select(r => r?.ToString(CultureInfo.InvariantCulture) ?? $">{s.Steps}"));
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"steps to eval MSE ≤ {s.Threshold}: standard [{Counts(0)}], MIP [{Counts(1)}]; median {standardMedian:F0} vs {mipMedian:F0} = {speedup:F2}× " +
            $"{(faster ? "≥" : "<")} {s.RequiredSpeedup}×{(allMipReach ? "" : " (a MIP seed never reached it)")}; spread (std) {standardSpread:F0} vs {mipSpread:F0} steps{(steadier ? "" : " (MIP not steadier)")}; " +
            $"log-log slope of ‖θ(γ)‖ at init: standard ≥ {standardSlope0:F3}, MIP |·| ≤ {mipSlope0:F3}{(proportional ? "" : " (proportionality check failed)")}, " +
            $"after training {Median(trainedSlopes[0]):F2} vs {Median(trainedSlopes[1]):F2}; final MSE median {Median(finalMse[0]):E2} vs {Median(finalMse[1]):E2} ({result.Status})");
        var metrics = new Dictionary<string, double>
        {
            ["speedup"] = speedup,
            ["standard_steps_median"] = standardMedian,
            ["mip_steps_median"] = mipMedian,
            ["standard_steps_std"] = standardSpread,
            ["mip_steps_std"] = mipSpread,
            ["standard_norm_slope_init"] = Median(initSlopes[0]),
            ["mip_norm_slope_init"] = Median(initSlopes[1]),
            ["standard_norm_slope_trained"] = Median(trainedSlopes[0]),
            ["mip_norm_slope_trained"] = Median(trainedSlopes[1]),
            ["standard_final_mse"] = Median(finalMse[0]),
            ["mip_final_mse"] = Median(finalMse[1]),
        };
        return new ExperimentResult(faster && steadier && proportional, detail, metrics, result);
    }
}
