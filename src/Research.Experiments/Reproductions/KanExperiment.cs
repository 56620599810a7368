using System.Globalization;
using Research.Models.Kan;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>One MLP baseline: 2 → width × <paramref name="Depth"/> → 1 with <paramref name="Activation"/>, trained by Adam at <paramref name="LearningRate"/>.</summary>
public sealed record MlpBaseline(int Depth, string Activation, double LearningRate, int Width)
{
    /// <summary>Weights and biases.</summary>
    public long Parameters => FormulaFitting.MlpParameters(Depth, Width);

    /// <summary>A short name, e.g. <c>silu_d3_w12_lr0.03</c>.</summary>
    public string Name => string.Create(CultureInfo.InvariantCulture, $"{Activation}_d{Depth}_w{Width}_lr{LearningRate}");
}

/// <summary>
/// The KAN experiment's sizes and schedule at one scale. The KAN trains in stages, one Adam optimizer per stage.
/// Sparsification: <see cref="Candidates"/> independently initialised KANs each go through the rounds of
/// <see cref="SparsifySteps"/> on the first <see cref="SparsifyPoints"/> training points (prediction loss + λ · regulariser,
/// learning rate cosine from <see cref="SparsifyLearningRate"/> to a tenth, grid updates to the data range every
/// <see cref="GridUpdateEvery"/> steps in the first half of a round, pruning of hidden nodes below <see cref="PruneThreshold"/>
/// between rounds); the candidate with the lowest regularised objective at its end is pruned and kept — restarts of a
/// non-convex sparsification, chosen on training data only. Then one stage per grid size of <see cref="Grids"/> on all training
/// points (grid extension by least squares, prediction loss only, cosine learning rate from <see cref="RefineLearningRate"/>
/// to a tenth). Every MLP takes as many full-batch Adam steps as the KAN took in all, discarded candidates included
/// (cosine decay to a tenth of its learning rate). These are the rates of one KAN run; the whole pipeline runs once per rate
/// of <see cref="KanPeakRates"/> (all rates scaled by the same factor) and the run with the lowest validation RMSE is kept.
/// </summary>
/// <param name="TrainPoints">Training points, uniform in [−1, 1]².</param>
/// <param name="TestPoints">Test points, drawn the same way.</param>
/// <param name="Widths">The KAN's widths before pruning.</param>
/// <param name="InitialGrid">G during sparsification.</param>
/// <param name="Candidates">Independently initialised KANs that are sparsified; the best is kept.</param>
/// <param name="SparsifyPoints">How many of the training points the sparsification uses.</param>
/// <param name="SparsifySteps">Steps of each sparsification round.</param>
/// <param name="Lambda">λ, the regulariser's weight.</param>
/// <param name="Mu2">μ₂, the entropy term's weight (μ₁ = 1).</param>
/// <param name="GridUpdateEvery">Steps between grid updates in a sparsification round.</param>
/// <param name="PruneThreshold">θ: hidden nodes whose largest incoming or outgoing |φ|₁ is below it are pruned.</param>
/// <param name="SparsifyLearningRate">Peak Adam learning rate of each sparsification round at the base rate.</param>
/// <param name="Grids">Grid sizes of the refinement stages, in order.</param>
/// <param name="RefineSteps">Steps of each refinement stage.</param>
/// <param name="RefineLearningRate">Peak Adam learning rate of each refinement stage.</param>
/// <param name="MatchedMlps">(depth, activation, learning rate) of the MLPs whose width gives about <see cref="MatchedParameters"/>.</param>
/// <param name="ScalingMlps">Further MLPs of other widths, for the loss-vs-parameters picture only.</param>
/// <param name="RequiredFactor">How many times lower the KAN's test RMSE must be than the best matched MLP's.</param>
/// <param name="RequiredCorrelation">The smallest |Pearson r| of each edge of the dominant hidden node with its part of the formula.</param>
public sealed record KanSettings(int TrainPoints, int TestPoints, long[] Widths, int InitialGrid, int Candidates, int SparsifyPoints, int[] SparsifySteps, double Lambda, double Mu2,
    int GridUpdateEvery, double PruneThreshold, double SparsifyLearningRate, int[] Grids, int RefineSteps, double RefineLearningRate,
    (int Depth, string Activation, double LearningRate)[] MatchedMlps, MlpBaseline[] ScalingMlps, double RequiredFactor, double RequiredCorrelation)
{
    /// <summary>
    /// The KAN's candidate peak learning rates (of sparsification; the grid stages at the same multiple of
    /// <see cref="RefineLearningRate"/>): one KAN is trained per rate from the same initialisations and the one with the
    /// lowest validation RMSE is kept — the same two rates the MLPs choose from (smoke: 1e-2 only).
    /// </summary>
    public double[] KanPeakRates { get; init; } = [SparsifyLearningRate];

    /// <summary>A short name of a KAN peak rate, e.g. <c>lr0.03</c>.</summary>
    public static string RateName(double rate) => string.Create(CultureInfo.InvariantCulture, $"lr{rate}");

    /// <summary>Spline order k.</summary>
    public const int Order = 3;

    /// <summary>
    /// The settings of <paramref name="scale"/>: smoke has one candidate, shorter rounds, grids 5 → 10, two MLPs and a weaker check
    /// (KAN not worse than the matched MLP, edge correlations ≥ 0.8).
    /// </summary>
    public static KanSettings For(Scale scale)
    {
        bool smoke = scale == Scale.Smoke;
        (int, string, double)[] matched = smoke
            ? [(3, "silu", 3e-2), (2, "tanh", 3e-2)]
            : [(2, "tanh", 1e-2), (2, "tanh", 3e-2), (2, "silu", 1e-2), (2, "silu", 3e-2), (3, "tanh", 1e-2), (3, "tanh", 3e-2), (3, "silu", 1e-2), (3, "silu", 3e-2)];
        MlpBaseline[] scaling = smoke ? [] : [.. new[] { 4, 8, 24, 48 }.Select(w => new MlpBaseline(3, "silu", 3e-2, w))];
        return new KanSettings(TrainPoints: 1000, TestPoints: 1000, Widths: [2, 5, 1], InitialGrid: 5, Candidates: smoke ? 1 : 4, SparsifyPoints: 250,
            SparsifySteps: smoke ? [200, 100] : [800, 400], Lambda: 1e-2, Mu2: 5, GridUpdateEvery: 50, PruneThreshold: 1e-2, SparsifyLearningRate: 1e-2,
            Grids: smoke ? [5, 10] : [5, 10, 20], RefineSteps: smoke ? 100 : 300, RefineLearningRate: 3e-3,
            MatchedMlps: matched, ScalingMlps: scaling, RequiredFactor: smoke ? 1 : 3, RequiredCorrelation: smoke ? 0.8 : 0.99)
        { KanPeakRates = smoke ? [1e-2] : [1e-2, 3e-2] };
    }

    /// <summary>Adam steps of one candidate's sparsification.</summary>
    public int CandidateSteps => SparsifySteps.Sum();

    /// <summary>Adam steps of the KAN in all (every candidate, then the grid stages), and of every MLP.</summary>
    public int TotalSteps => Candidates * CandidateSteps + Grids.Length * RefineSteps;

    /// <summary>Parameters of the unpruned KAN at the last grid: edges × (G + k coefficients + w^b + w^s). The matched MLPs get about as many.</summary>
    public long MatchedParameters
    {
        get
        {
            long edges = 0;
            for (int l = 0; l + 1 < Widths.Length; l++) edges += Widths[l] * Widths[l + 1];
            return edges * (Grids[^1] + Order + 2);
        }
    }

    /// <summary>The matched MLP baselines with their widths.</summary>
    public MlpBaseline[] Matched => [.. MatchedMlps.Select(m => new MlpBaseline(m.Depth, m.Activation, m.LearningRate, FormulaFitting.WidthFor(m.Depth, MatchedParameters)))];

    /// <summary>The stages in order: first step, length, candidate and round of a sparsification stage (else −1), grid size of a grid stage (else 0).</summary>
    public KanStage[] Stages
    {
        get
        {
            var stages = new List<KanStage>();
            int start = 0;
            for (int c = 0; c < Candidates; c++)
                for (int r = 0; r < SparsifySteps.Length; r++) { stages.Add(new(start, SparsifySteps[r], c, r, 0)); start += SparsifySteps[r]; }
            foreach (var g in Grids) { stages.Add(new(start, RefineSteps, -1, -1, g)); start += RefineSteps; }
            return [.. stages];
        }
    }

    /// <summary>The KAN's learning rate at <paramref name="step"/>: a cosine from the stage's peak to a tenth within every stage.</summary>
    public double KanLearningRate(long step)
    {
        var stage = Stages.Last(st => st.Start <= step);
        double peak = stage.Grid > 0 ? RefineLearningRate : SparsifyLearningRate;
        double progress = (double)(step - stage.Start) / stage.Steps;
        return peak * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}

/// <summary>One stage of the KAN's training: a sparsification round of a candidate (Grid = 0) or a grid stage (Candidate = Round = −1).</summary>
public sealed record KanStage(int Start, int Steps, int Candidate, int Round, int Grid);

/// <summary>One learned edge function φ on a grid spanning its inputs on the data, and its importance |φ|₁ = mean |φ| on the data.</summary>
public sealed record KanEdgeCurve(double[] X, double[] Y, double Norm);

/// <summary>
/// One seed of the KAN experiment: test RMSE of the final KAN and of the matched MLP chosen on validation data, every MLP's
/// test RMSE, the KAN's scaling points (parameters, grid, test RMSE), the kept candidate's edges after sparsification
/// ([layer][out][in]) with the hidden nodes the final pruning keeps, and the final KAN's dominant node (curves and structure).
/// </summary>
public sealed record KanSeedResult(double KanRmse, double MlpRmse, MlpBaseline BestMlp, long KanParameters, long[] KanWidths, int GridSize,
    (long Parameters, int Grid, double Rmse)[] KanScaling, (MlpBaseline Config, double Rmse, bool Matched)[] Mlps,
    KanEdgeCurve[][][] SparsifiedEdges, long[] SparsifiedWidths, long[] KeptNodes, KanEdgeStructure Structure,
    (double[] T, double[] XEdge, double[] YEdge, double[] H, double[] OutputEdge) Node)
{
    /// <summary>The KAN's peak learning rate, chosen on validation data.</summary>
    public double KanPeakRate { get; init; }

    /// <summary>Every KAN run of the seed: peak learning rate, validation and test RMSE.</summary>
    public (double PeakRate, double ValidRmse, double TestRmse)[] KanRuns { get; init; } = [];

    /// <summary>How many times lower the KAN's test RMSE is than the matched MLP's.</summary>
    public double Factor => MlpRmse / KanRmse;
}

/// <summary>What the KAN notebook draws: the settings and every seed's result.</summary>
public sealed record KanOutcome(KanSettings Settings, KanSeedResult[] Seeds);

/// <summary>
/// Liu et al. (2024), "KAN: Kolmogorov-Arnold Networks" — the experiment of notebooks/kan/kan.ipynb: per seed, a
/// <see cref="KanNetwork"/> [2, 5, 1] fits f(x, y) = exp(sin(πx) + y²) on [−1, 1]² through sparsification (with restarts),
/// pruning and grid extension (<see cref="KanSettings"/>), side by side with MLPs of about as many parameters as the unpruned
/// KAN (2 depths × 2 activations × 2 learning rates, the best chosen on a validation set), all by full-batch Adam with the
/// same number of steps; the KAN's peak learning rate is chosen on the same validation set from the same two rates
/// (<see cref="KanSettings.KanPeakRates"/>). Metrics per step: <c>seed{n}/kan/lr{rate}/loss</c>, <c>seed{n}/mlp/&lt;name&gt;/loss</c>; evaluations:
/// <c>seed{n}/eval/kan_lr{rate}_test_rmse</c>; per seed the final numbers under <c>seed{n}/final/…</c>.
/// </summary>
public sealed class KanExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "kan";

    /// <inheritdoc />
    public string Family => "KAN";

    /// <inheritdoc />
    public string Title => "KAN: Kolmogorov-Arnold Networks (Liu et al., 2024)";

    /// <inheritdoc />
    public string? Narrower => "one of the paper's formulas, exp(sin πx + y²), not its whole table";

    /// <inheritdoc />
    public string Claim =>
        "on one of the paper's symbolic formulas, exp(sin(πx) + y²) on [−1, 1]², over 5 seeds, a KAN [2, 5, 1] (B-spline + SiLU edges; sparsified, " +
        "pruned, grid 5 → 10 → 20; its peak learning rate chosen on validation data from 1e-2/3e-2, smoke: 1e-2 only) reaches a test RMSE at least 3× (smoke: 1×) lower than the MLP with about the unpruned KAN's parameter count " +
        "(375) chosen on validation data from 8 configurations (depth 2/3, tanh/SiLU, lr 1e-2/3e-2), each model trained by as many Adam steps, in every seed; " +
        "and its dominant hidden node's edges match the formula: |r| ≥ 0.99 (smoke: 0.8) of the x-edge with sin(πx), of the y-edge with y², " +
        "of the output edge with exp";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = KanSettings.For(context.Scale);
        var seeds = context.Seeds(smoke: 1, cpu: 5, gpu: 5);
        context.Run.AddHyperparameters(new
        {
            formula = FormulaFitting.Formula, train_points = s.TrainPoints, test_points = s.TestPoints, widths = s.Widths, order = KanSettings.Order,
            initial_grid = s.InitialGrid, candidates = s.Candidates, sparsify_points = s.SparsifyPoints, sparsify_steps = s.SparsifySteps, lambda = s.Lambda,
            mu1 = 1.0, mu2 = s.Mu2, grid_update_every = s.GridUpdateEvery, prune_threshold = s.PruneThreshold, sparsify_lr = s.SparsifyLearningRate,
            grids = s.Grids, refine_steps = s.RefineSteps, refine_lr = s.RefineLearningRate, kan_peak_rates = s.KanPeakRates, total_steps = s.TotalSteps, seeds = seeds.Count,
            matched_parameters = s.MatchedParameters, mlps = s.Matched.Concat(s.ScalingMlps).Select(b => b.Name).ToArray(),
        });
        var results = new List<KanSeedResult>();
        TrainingResult? training = null;
        for (int i = 0; i < seeds.Count; i++)
        {
            var (result, t) = RunSeed(context, s, seeds[i], $"seed{i}/");
            results.Add(result);
            training = t;
        }
        var factor = new SeedSummary(results.Select(r => r.Factor));
        var xSine = new SeedSummary(results.Select(r => Math.Abs(r.Structure.XSine)));
        var ySquare = new SeedSummary(results.Select(r => Math.Abs(r.Structure.YSquare)));
        var outputExp = new SeedSummary(results.Select(r => r.Structure.OutputExp));
        var check = new ClaimCheck()
            .AtLeast("matched MLP test RMSE / KAN test RMSE", factor, s.RequiredFactor, format: "F2")
            .AtLeast("|r(x-edge, sin πx)| of the dominant node", xSine, s.RequiredCorrelation, format: "F4")
            .AtLeast("|r(y-edge, y²)|", ySquare, s.RequiredCorrelation, format: "F4")
            .AtLeast("r(output edge, exp)", outputExp, s.RequiredCorrelation, format: "F4");
        var metrics = new Dictionary<string, double>
        {
            ["rmse_factor"] = factor.Mean, ["kan_test_rmse"] = results.Average(r => r.KanRmse), ["mlp_test_rmse"] = results.Average(r => r.MlpRmse),
            ["x_sine_correlation"] = xSine.Mean, ["y_square_correlation"] = ySquare.Mean, ["output_exp_correlation"] = outputExp.Mean,
            ["kan_parameters"] = results.Average(r => r.KanParameters), ["unpruned_kan_parameters"] = s.MatchedParameters,
        };
        return check.Result(metrics, training, new KanOutcome(s, [.. results]));
    }

    private static (KanSeedResult Result, TrainingResult Training) RunSeed(ExperimentContext context, KanSettings s, ulong seed, string prefix)
    {
        var device = context.Device;
        var matched = s.Matched;
        var baselines = matched.Concat(s.ScalingMlps).ToArray();
        ManualSeed(seed);
        var (trainX, trainY) = FormulaFitting.Sample(s.TrainPoints, device);
        var (testX, testY) = FormulaFitting.Sample(s.TestPoints, device);
        var (validX, validY) = FormulaFitting.Sample(s.TestPoints, device);
        using var xTrain = trainX.DetachFromScope();
        using var yTrain = trainY.DetachFromScope();
        using var xTest = testX.DetachFromScope();
        using var yTest = testY.DetachFromScope();
        using var xValid = validX.DetachFromScope();
        using var yValid = validY.DetachFromScope();
        using var xSparse = xTrain.Narrow(0, 0, s.SparsifyPoints).DetachFromScope();
        using var ySparse = yTrain.Narrow(0, 0, s.SparsifyPoints).DetachFromScope();

        // One KAN pipeline per candidate peak learning rate, all from the same initialisations; the one with the lowest
        // validation RMSE at the end is the KAN of this seed (as the MLP is chosen among its configurations).
        var kans = s.KanPeakRates.Select(rate => new KanPipeline(s, seed, rate, device, xTrain, yTrain, xSparse, ySparse, xTest, yTest,
            message => context.Run.Log($"{KanSettings.RateName(rate)} {message}"))).ToArray();
        var mlps = new (MlpBaseline Config, Sequential Net, Adam Optimizer, Func<long, double> Lr)[baselines.Length];
        for (int i = 0; i < baselines.Length; i++)
        {
            ManualSeed(seed * 1000 + 500 + (ulong)i);
            var net = FormulaFitting.Mlp(baselines[i].Depth, baselines[i].Width, baselines[i].Activation, device);
            mlps[i] = (baselines[i], net, new Adam(net.Parameters(), lr: baselines[i].LearningRate),
                LearningRates.WarmupCosine(baselines[i].LearningRate, 0, s.TotalSteps, baselines[i].LearningRate / 10));
        }
        context.Run.Log($"seed {seed}: KAN [{string.Join(", ", s.Widths)}] G={s.InitialGrid}: {kans[0].Kan.ParameterCount()} parameters; " +
                        $"unpruned at G={s.Grids[^1]}: {s.MatchedParameters}; KAN peak rates {string.Join(", ", s.KanPeakRates)}; " +
                        $"MLPs: {string.Join(", ", mlps.Select(m => $"{m.Config.Name} ({m.Net.ParameterCount()})"))}; {s.TotalSteps} Adam steps each");

        var state = new LiveState(() =>
        {
            var t = new TensorState();
            foreach (var k in kans) t.Add($"kan_{KanSettings.RateName(k.PeakRate)}", new ModuleState(k.Kan, k.Optimizer));
            foreach (var m in mlps) t.Add(m.Config.Name, new ModuleState(m.Net, m.Optimizer));
            return t;
        });

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = s.TotalSteps,
            LearningRate = s.KanLearningRate,
            EvalEvery = 100,
            FiniteCheckEvery = 10,
        });
        var result = trainer.Fit(state, ctx =>
        {
            var metrics = new Dictionary<string, double>();
            foreach (var k in kans) metrics[$"{prefix}kan/{KanSettings.RateName(k.PeakRate)}/loss"] = k.Step(ctx.Step);
            foreach (var (config, net, optimizer, lr) in mlps)
            {
                foreach (var g in optimizer.ParamGroups) g.LearningRate = lr(ctx.Step);
                var mlpLoss = F.MseLoss(net.Forward(xTrain), yTrain);
                optimizer.ZeroGrad();
                mlpLoss.Backward();
                optimizer.Step();
                metrics[$"{prefix}mlp/{config.Name}/loss"] = mlpLoss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ => kans.ToDictionary(k => $"{prefix}eval/kan_{KanSettings.RateName(k.PeakRate)}_test_rmse",
            k => FormulaFitting.Rmse(k.Kan, xTest, yTest)), run: context.Run);

        try
        {
            foreach (var k in kans) k.Finish();
            var runs = kans.Select(k => (k.PeakRate, ValidRmse: FormulaFitting.Rmse(k.Kan, xValid, yValid), TestRmse: FormulaFitting.Rmse(k.Kan, xTest, yTest))).ToArray();
            int chosen = Enumerable.Range(0, kans.Length).MinBy(i => runs[i].ValidRmse);
            var kanRun = kans[chosen];
            var kan = kanRun.Kan;
            double kanRmse = runs[chosen].TestRmse;
            var mlpRmse = mlps.Select(m => FormulaFitting.Rmse(m.Net, xTest, yTest)).ToArray();
            int best = Enumerable.Range(0, matched.Length).MinBy(i => FormulaFitting.Rmse(mlps[i].Net, xValid, yValid));
            var structure = FormulaFitting.EdgeStructure(kan, xTrain);
            var seedResult = new KanSeedResult(kanRmse, mlpRmse[best], matched[best], kan.ParameterCount(), kan.Widths, kan.GridSize, [.. kanRun.Scaling],
                [.. mlps.Select((m, i) => (m.Config, mlpRmse[i], i < matched.Length))], FormulaFitting.EdgeCurves(kanRun.Sparsified!, xSparse),
                kanRun.Sparsified!.Widths, kanRun.KeptNodes, structure, FormulaFitting.NodeCurves(kan, structure.Node, xTrain))
            { KanPeakRate = kanRun.PeakRate, KanRuns = runs };
            var final = new Dictionary<string, double>
            {
                ["kan_test_rmse"] = kanRmse, ["mlp_test_rmse"] = mlpRmse[best], ["rmse_factor"] = seedResult.Factor, ["kan_peak_lr"] = kanRun.PeakRate,
                ["kan_parameters"] = kan.ParameterCount(), ["x_sine_correlation"] = structure.XSine, ["y_square_correlation"] = structure.YSquare,
                ["output_exp_correlation"] = structure.OutputExp,
            };
            foreach (var (k, v) in final) context.Run.Record(result.Steps, $"{prefix}final/{k}", v);
            context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                $"seed {seed}: KAN (peak lr {kanRun.PeakRate} chosen on validation; {string.Join(", ", runs.Select(r => $"{r.PeakRate}: valid {r.ValidRmse:0.00E+0}"))}) " +
                $"[{string.Join(", ", kan.Widths)}] G={kan.GridSize} test RMSE {kanRmse:0.00E+0}, MLP {matched[best].Name} (chosen on validation) {mlpRmse[best]:0.00E+0}: " +
                $"{seedResult.Factor:F1}×; r(x, sin πx) {structure.XSine:F4}, r(y, y²) {structure.YSquare:F4}, r(out, exp) {structure.OutputExp:F4}"));
            return (seedResult, result);
        }
        finally
        {
            foreach (var k in kans) k.Dispose();
            foreach (var m in mlps) { m.Optimizer.Dispose(); m.Net.Dispose(); }
        }
    }

    // One KAN trained through all stages at one peak learning rate (sparsification at PeakRate, grid stages at
    // PeakRate · RefineLearningRate / SparsifyLearningRate, cosine to a tenth within each stage).
    private sealed class KanPipeline(KanSettings s, ulong seed, double peakRate, Device device, Tensor xTrain, Tensor yTrain,
        Tensor xSparse, Tensor ySparse, Tensor xTest, Tensor yTest, Action<string> log) : IDisposable
    {
        private readonly KanStage[] stages = s.Stages;
        private readonly List<(KanNetwork Net, double Objective)> candidates = [];
        private readonly double multiplier = peakRate / s.SparsifyLearningRate;
        private int stage = -1;

        public double PeakRate => peakRate;
        public KanNetwork Kan { get; private set; } = NewCandidate(s, seed, device, 0);
        public Adam Optimizer { get; private set; } = null!;
        public KanNetwork? Sparsified { get; private set; }
        public long[] KeptNodes { get; private set; } = [];
        public List<(long Parameters, int Grid, double Rmse)> Scaling { get; } = [];

        private static KanNetwork NewCandidate(KanSettings s, ulong seed, Device device, int c)
        {
            ManualSeed(seed * 1000 + (ulong)c);
            return new KanNetwork(s.Widths, s.InitialGrid, KanSettings.Order, device: device);
        }

        private double Objective(KanNetwork net)
        {
            using var scope = NewScope();
            using var noGrad = NoGrad();
            var trace = net.Trace(xSparse);
            return (F.MseLoss(trace.Output, ySparse) + KanNetwork.Regularization(trace, mu1: 1, mu2: s.Mu2) * s.Lambda).Item<float>();
        }

        // Stage 0 trains the first candidate as built. Every later stage first closes the previous one: after a grid stage a
        // point of the scaling curve; after a sparsification round pruning, or at a candidate's end its objective (it is set
        // aside); before the first grid stage the best candidate is pruned and kept. Then grid extension if it is a grid
        // stage, and a fresh Adam.
        private void EnterStage(int index, long step)
        {
            var current = stages[index];
            if (index > 0)
            {
                var previous = stages[index - 1];
                Optimizer.Dispose();
                if (previous.Grid > 0) Scaling.Add((Kan.ParameterCount(), previous.Grid, FormulaFitting.Rmse(Kan, xTest, yTest)));
                if (previous.Round >= 0 && previous.Round < s.SparsifySteps.Length - 1)
                {
                    var (pruned, _) = Kan.Prune(xSparse, s.PruneThreshold);
                    Kan.Dispose();
                    Kan = pruned;
                }
                else if (previous.Round >= 0)
                {
                    double objective = Objective(Kan);
                    candidates.Add((Kan, objective));
                    log(string.Create(CultureInfo.InvariantCulture, $"step {step}: candidate {previous.Candidate} [{string.Join(", ", Kan.Widths)}] ends with objective {objective:0.0000E+0}"));
                    if (current.Candidate >= 0) Kan = NewCandidate(s, seed, device, current.Candidate);
                    else
                    {
                        int best = Enumerable.Range(0, candidates.Count).MinBy(c => candidates[c].Objective);
                        Sparsified = candidates[best].Net;
                        var (pruned, kept) = Sparsified.Prune(xSparse, s.PruneThreshold);
                        KeptNodes = kept[0];
                        foreach (var (net, _) in candidates) if (net != Sparsified) net.Dispose();
                        log($"step {step}: kept candidate {best}, pruned to [{string.Join(", ", pruned.Widths)}], hidden nodes {string.Join(", ", KeptNodes)}");
                        Kan = pruned;
                    }
                }
                if (current.Grid > 0)
                {
                    var refined = Kan.Refine(xTrain, current.Grid, fitRangeToSamples: true);
                    Kan.Dispose();
                    Kan = refined;
                }
            }
            Optimizer = new Adam(Kan.Parameters(), lr: multiplier * (current.Grid > 0 ? s.RefineLearningRate : s.SparsifyLearningRate));
        }

        /// <summary>One Adam step at <paramref name="step"/>; returns the prediction MSE.</summary>
        public double Step(long step)
        {
            while (stage + 1 < stages.Length && step >= stages[stage + 1].Start) EnterStage(++stage, step);
            var current = stages[stage];
            foreach (var g in Optimizer.ParamGroups) g.LearningRate = multiplier * s.KanLearningRate(step);
            Tensor loss, mse;
            if (current.Round >= 0)
            {
                long inStage = step - current.Start;
                if (inStage % s.GridUpdateEvery == 0 && inStage < current.Steps / 2) Kan.UpdateGrids(xSparse);
                var trace = Kan.Trace(xSparse);
                mse = F.MseLoss(trace.Output, ySparse);
                loss = mse + KanNetwork.Regularization(trace, mu1: 1, mu2: s.Mu2) * s.Lambda;
            }
            else loss = mse = F.MseLoss(Kan.Forward(xTrain), yTrain);
            Optimizer.ZeroGrad();
            loss.Backward();
            Optimizer.Step();
            return mse.Item<float>();
        }

        /// <summary>Closes the last grid stage: its point of the scaling curve.</summary>
        public void Finish()
        {
            if (stage >= 0 && stages[stage].Grid > 0) Scaling.Add((Kan.ParameterCount(), stages[stage].Grid, FormulaFitting.Rmse(Kan, xTest, yTest)));
        }

        public void Dispose()
        {
            Optimizer?.Dispose();
            Kan.Dispose();
            if (Sparsified != Kan) Sparsified?.Dispose();
        }
    }

    // Checkpointable state that follows the KAN as candidates, pruning and grid extension replace it.
    private sealed class LiveState(Func<IStateful> current) : IStateful
    {
        public IReadOnlyDictionary<string, Tensor> StateDict() => current().StateDict();

        public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state) => current().LoadStateDict(state);
    }
}
