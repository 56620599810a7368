using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Dynamics;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Sizes and thresholds of <see cref="GroupGrokkingExperiment"/> (and its notebook) at one scale.
/// </summary>
/// <param name="Modulus">p: the group is Z_p under addition.</param>
/// <param name="TrainFraction">Share of the p² pairs trained on; the rest is the test set.</param>
/// <param name="Width">Hidden units of the <see cref="GroupWordNetwork"/>.</param>
/// <param name="Steps">Full-batch AdamW steps.</param>
/// <param name="LearningRate">AdamW learning rate (constant).</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay.</param>
/// <param name="InitScale">Factor on the default initialisation bounds.</param>
/// <param name="EvalEvery">Steps between evaluations (accuracies, weight norm, Fourier concentration).</param>
/// <param name="RequiredDelay">Smallest allowed (first step with test accuracy ≥ 0.9) / (first step with train accuracy ≥ 0.99).</param>
/// <param name="RequiredNormDrop">Smallest allowed fall of the weight norm from its peak (after the train fit) to the end, as a fraction of the peak.</param>
/// <param name="RequiredConcentrationGain">Smallest allowed Fourier concentration at the end / at the train-fit point.</param>
/// <param name="PermutationDegree">n of the non-abelian group S_n trained alongside, with the same network and optimiser settings.</param>
/// <param name="PermutationTrainFraction">Share of the |S_n|² pairs trained on.</param>
/// <param name="RequiredPermutationDelay">Smallest allowed grokking delay on S_n.</param>
public sealed record GroupGrokkingSettings(int Modulus, double TrainFraction, int Width, int Steps, double LearningRate, double WeightDecay,
    double InitScale, int EvalEvery, double RequiredDelay, double RequiredNormDrop, double RequiredConcentrationGain,
    int PermutationDegree, double PermutationTrainFraction, double RequiredPermutationDelay)
{
    /// <summary>Train accuracy that counts as "fitted".</summary>
    public const double FitAccuracy = 0.99;

    /// <summary>Test accuracy that counts as "generalised".</summary>
    public const double GrokAccuracy = 0.9;

    /// <summary>AdamW's (β₁, β₂).</summary>
    public static readonly (double, double) Betas = (0.9, 0.98);

    /// <summary>The settings of <paramref name="scale"/>: Z_41 with half the pairs at smoke, Z_97 with 30 % of the pairs otherwise.</summary>
    public static GroupGrokkingSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Modulus: 41, TrainFraction: 0.5, Width: 128, Steps: 2000, LearningRate: 3e-3, WeightDecay: 0.5, InitScale: 2, EvalEvery: 25,
            RequiredDelay: 5, RequiredNormDrop: 0.03, RequiredConcentrationGain: 2,
            PermutationDegree: 4, PermutationTrainFraction: 0.7, RequiredPermutationDelay: 5)
        : new(Modulus: 97, TrainFraction: 0.3, Width: 128, Steps: 4000, LearningRate: 3e-3, WeightDecay: 0.5, InitScale: 2, EvalEvery: 50,
            RequiredDelay: 5, RequiredNormDrop: 0.1, RequiredConcentrationGain: 3,
            PermutationDegree: 4, PermutationTrainFraction: 0.7, RequiredPermutationDelay: 5);

    /// <summary>The network these settings train for a group of <paramref name="order"/> elements (seed libtorch first).</summary>
    public GroupWordNetwork CreateModel(long order, Device? device = null) => new(order, Width, GroupActivation.Quadratic, InitScale, device: device);

    /// <summary>The optimiser these settings train with.</summary>
    public AdamW CreateOptimizer(GroupWordNetwork model) => new(model.Parameters(), lr: LearningRate, betas: Betas, weightDecay: WeightDecay);
}

/// <summary>One evaluation during training: step, accuracies, test loss, weight norm and Fourier concentration.</summary>
public sealed record GrokkingPoint(long Step, double TrainAccuracy, double TestAccuracy, double TestLoss, double WeightNorm, double Concentration);

/// <summary>
/// The grokking numbers of a training history: the first step with train accuracy ≥ <see cref="GroupGrokkingSettings.FitAccuracy"/>,
/// the first with test accuracy ≥ <see cref="GroupGrokkingSettings.GrokAccuracy"/>, their ratio, the peak weight norm from the
/// train fit on and the final norm, and the Fourier concentration at the fit and at the end.
/// </summary>
public sealed record GrokkingSummary(long? FitStep, long? GrokStep, double PeakNorm, long PeakNormStep, double FinalNorm,
    double ConcentrationAtFit, double FinalConcentration, double FinalTestAccuracy)
{
    /// <summary>GrokStep / FitStep (NaN when either is missing).</summary>
    public double Delay => FitStep is { } f && GrokStep is { } g && f > 0 ? (double)g / f : double.NaN;

    /// <summary>1 − FinalNorm / PeakNorm.</summary>
    public double NormDrop => 1 - FinalNorm / PeakNorm;

    /// <summary>FinalConcentration / ConcentrationAtFit.</summary>
    public double ConcentrationGain => FinalConcentration / ConcentrationAtFit;

    /// <summary>Reads the numbers off <paramref name="history"/> (in step order; needs at least one point).</summary>
    public static GrokkingSummary From(IReadOnlyList<GrokkingPoint> history)
    {
        if (history.Count == 0) throw new ArgumentException("an empty training history", nameof(history));
        var fit = history.FirstOrDefault(p => p.TrainAccuracy >= GroupGrokkingSettings.FitAccuracy);
        var grok = history.FirstOrDefault(p => p.TestAccuracy >= GroupGrokkingSettings.GrokAccuracy);
        var afterFit = fit is null ? history : history.Where(p => p.Step >= fit.Step).ToList();
        var peak = afterFit.MaxBy(p => p.WeightNorm)!;
        var last = history[^1];
        return new GrokkingSummary(fit?.Step, grok?.Step, peak.WeightNorm, peak.Step, last.WeightNorm,
            (fit ?? history[0]).Concentration, last.Concentration, last.TestAccuracy);
    }
}

/// <summary>
/// "Learning words in groups: fusion algebras, tensor ranks and grokking" — the experiment of notebooks/dynamics/group-grokking.ipynb:
/// a two-layer <see cref="GroupWordNetwork"/> (quadratic units) learns a + b mod p from a fraction of all pairs with full-batch
/// AdamW and weight decay. It fits the training pairs early and generalises much later (grokking); the weight norm falls after
/// its peak, and each hidden unit's embedding columns become one Fourier mode of Z_p (<see cref="CyclicFourier"/>). A second
/// network of the same kind learns the products of the non-abelian S_4 in the same steps (grokking delay only).
/// Metrics per step: <c>train/loss</c>, <c>permutation/loss</c>; per evaluation (and at step 0): <c>eval/train_accuracy</c>,
/// <c>eval/test_accuracy</c>, <c>eval/train_loss</c>, <c>eval/test_loss</c>, <c>weights/norm</c>, <c>fourier/concentration</c>,
/// <c>permutation/train_accuracy</c>, <c>permutation/test_accuracy</c>, <c>permutation/weight_norm</c>.
/// </summary>
public sealed class GroupGrokkingExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "group-grokking";

    /// <inheritdoc />
    public string Family => "representation geometry & learning dynamics";

    /// <inheritdoc />
    public string Title => "Learning words in groups: grokking of a + b mod p and of S_4 products by a two-layer network";

    /// <inheritdoc />
    public string Claim =>
        "a two-layer network trained full-batch with AdamW on 30 % of all a + b mod 97 (smoke: 50 % of mod 41) groks: test accuracy first reaches 0.9 " +
        "at a step at least 5× the step where train accuracy first reaches 0.99; the weight norm falls by at least 10 % (smoke: 3 %) from its peak after " +
        "the fit to the end; the share of the embedding power in each unit's dominant Z_p frequency grows at least 3× (smoke: 2×) from the fit to the end; " +
        "and the same network on 70 % of the products of the non-abelian S_4 groks with a delay of at least 5×";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = GroupGrokkingSettings.For(context.Scale);
        context.Run.AddHyperparameters(new
        {
            group = $"Z_{s.Modulus} (+)", s.Modulus, train_fraction = s.TrainFraction, s.Width, activation = "quadratic", s.Steps, lr = s.LearningRate,
            weight_decay = s.WeightDecay, betas = new[] { GroupGrokkingSettings.Betas.Item1, GroupGrokkingSettings.Betas.Item2 }, init_scale = s.InitScale,
            eval_every = s.EvalEvery, required_delay = s.RequiredDelay, required_norm_drop = s.RequiredNormDrop, required_concentration_gain = s.RequiredConcentrationGain,
            permutation_group = $"S_{s.PermutationDegree}", permutation_train_fraction = s.PermutationTrainFraction, required_permutation_delay = s.RequiredPermutationDelay,
        });

        using var data = GroupWordSplit.Create(GroupTables.CyclicAddition(s.Modulus), s.TrainFraction, seed: (int)context.Seed, context.Device);
        ManualSeed(context.Seed);
        using var model = s.CreateModel(s.Modulus, context.Device);
        using var optimizer = s.CreateOptimizer(model);
        context.Run.Log($"{data.Group.Name}: {data.TrainRows} training pairs, {data.TestRows} held out; {model.ParameterCount()} parameters");
        using var permutations = GroupWordSplit.Create(GroupTables.Symmetric(s.PermutationDegree), s.PermutationTrainFraction, seed: (int)context.Seed, context.Device);
        using var permutationModel = s.CreateModel(permutations.Group.Order, context.Device);
        using var permutationOptimizer = s.CreateOptimizer(permutationModel);
        context.Run.Log($"{permutations.Group.Name}: {permutations.TrainRows} training pairs, {permutations.TestRows} held out");

        List<GrokkingPoint> history = [], permutationHistory = [];
        Dictionary<string, double> Evaluate(long step)
        {
            var (trainAccuracy, trainLoss, testAccuracy, testLoss) = data.Evaluate(model);
            double norm = model.WeightNorm(), concentration;
            using (NewScope()) concentration = CyclicFourier.Concentration(CyclicFourier.NeuronPower(model));
            history.Add(new GrokkingPoint(step, trainAccuracy, testAccuracy, testLoss, norm, concentration));
            var (permutationTrain, _, permutationTest, permutationTestLoss) = permutations.Evaluate(permutationModel);
            double permutationNorm = permutationModel.WeightNorm();
            permutationHistory.Add(new GrokkingPoint(step, permutationTrain, permutationTest, permutationTestLoss, permutationNorm, double.NaN));
            return new Dictionary<string, double>
            {
                ["permutation/train_accuracy"] = permutationTrain,
                ["permutation/test_accuracy"] = permutationTest,
                ["permutation/weight_norm"] = permutationNorm,
                ["eval/train_accuracy"] = trainAccuracy,
                ["eval/test_accuracy"] = testAccuracy,
                ["eval/train_loss"] = trainLoss,
                ["eval/test_loss"] = testLoss,
                ["weights/norm"] = norm,
                ["fourier/concentration"] = concentration,
            };
        }
        foreach (var (name, value) in Evaluate(0)) context.Run.Record(0, name, value);

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = s.Steps,
            LearningRate = LearningRates.Constant(s.LearningRate),
            EvalEvery = s.EvalEvery,
            FiniteCheckEvery = s.EvalEvery,
        });
        var state = new TensorState { { "cyclic", new ModuleState(model, optimizer) }, { "permutation", new ModuleState(permutationModel, permutationOptimizer) } };
        var result = trainer.Fit(state, ctx =>
        {
            var loss = data.TrainLoss(model);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            var permutationLoss = permutations.TrainLoss(permutationModel);
            permutationOptimizer.ZeroGrad();
            permutationLoss.Backward();
            permutationOptimizer.Step();
            return StepResult.From(loss, new Dictionary<string, double> { ["permutation/loss"] = permutationLoss.Item<float>() });
        }, evaluate: Evaluate, run: context.Run);

        var g = GrokkingSummary.From(history);
        bool grokked = g.FitStep is not null && g.GrokStep is not null && g.Delay >= s.RequiredDelay;
        bool normFalls = g.FitStep is not null && g.NormDrop >= s.RequiredNormDrop;
        bool concentrates = g.ConcentrationGain >= s.RequiredConcentrationGain;
        var sg = GrokkingSummary.From(permutationHistory);
        bool permutationGrokked = sg.FitStep is not null && sg.GrokStep is not null && sg.Delay >= s.RequiredPermutationDelay;
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{data.Group.Name}, {data.TrainRows} of {data.TrainRows + data.TestRows} pairs: train accuracy ≥ {GroupGrokkingSettings.FitAccuracy} at step {Show(g.FitStep)}, " +
            $"test accuracy ≥ {GroupGrokkingSettings.GrokAccuracy} at step {Show(g.GrokStep)} (delay {g.Delay:F1}× {(grokked ? "≥" : "<")} {s.RequiredDelay}×; final test accuracy {g.FinalTestAccuracy:F3}); " +
            $"weight norm peak {g.PeakNorm:F1} at step {g.PeakNormStep} → {g.FinalNorm:F1} at the end (−{100 * g.NormDrop:F1} % {(normFalls ? "≥" : "<")} {100 * s.RequiredNormDrop:F0} %); " +
            $"Fourier concentration {g.ConcentrationAtFit:F3} at the fit → {g.FinalConcentration:F3} ({g.ConcentrationGain:F2}× {(concentrates ? "≥" : "<")} {s.RequiredConcentrationGain}×); " +
            $"{permutations.Group.Name}, {permutations.TrainRows} of {permutations.TrainRows + permutations.TestRows} pairs: fit at step {Show(sg.FitStep)}, test accuracy ≥ {GroupGrokkingSettings.GrokAccuracy} at step {Show(sg.GrokStep)} " +
            $"(delay {sg.Delay:F1}× {(permutationGrokked ? "≥" : "<")} {s.RequiredPermutationDelay}×; final test accuracy {sg.FinalTestAccuracy:F3}) ({result.Status})");
        var metrics = new Dictionary<string, double>
        {
            ["final_test_accuracy"] = g.FinalTestAccuracy,
            ["peak_weight_norm"] = g.PeakNorm,
            ["final_weight_norm"] = g.FinalNorm,
            ["weight_norm_drop"] = g.NormDrop,
            ["concentration_at_fit"] = g.ConcentrationAtFit,
            ["final_concentration"] = g.FinalConcentration,
        };
        if (g.FitStep is { } fitStep) metrics["fit_step"] = fitStep;          // absent when it never happened (no NaN in summary.json)
        if (g.GrokStep is { } grokStep) metrics["grok_step"] = grokStep;
        if (double.IsFinite(g.Delay)) metrics["grok_delay"] = g.Delay;
        metrics["permutation_final_test_accuracy"] = sg.FinalTestAccuracy;
        if (sg.FitStep is { } permutationFit) metrics["permutation_fit_step"] = permutationFit;
        if (sg.GrokStep is { } permutationGrok) metrics["permutation_grok_step"] = permutationGrok;
        if (double.IsFinite(sg.Delay)) metrics["permutation_grok_delay"] = sg.Delay;
        return new ExperimentResult(grokked && normFalls && concentrates && permutationGrokked, detail, metrics, result);
    }

    private static string Show(long? step) => step is { } v ? v.ToString(CultureInfo.InvariantCulture) : "never";
}
