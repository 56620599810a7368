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
/// <param name="RequiredIrrepConcentration">Smallest allowed share of each S_n unit's non-trivial embedding energy in its strongest irrep at the end.</param>
/// <param name="RequiredControlGap">Smallest allowed concentration of the trained embeddings minus that of the same embeddings with the group elements permuted at random.</param>
public sealed record GroupGrokkingSettings(int Modulus, double TrainFraction, int Width, int Steps, double LearningRate, double WeightDecay,
    double InitScale, int EvalEvery, double RequiredDelay, double RequiredNormDrop, double RequiredConcentrationGain,
    int PermutationDegree, double PermutationTrainFraction, double RequiredPermutationDelay, double RequiredIrrepConcentration, double RequiredControlGap)
{
    /// <summary>Train accuracy that counts as "fitted".</summary>
    public const double FitAccuracy = 0.99;

    /// <summary>Test accuracy that counts as "generalised".</summary>
    public const double GrokAccuracy = 0.9;

    /// <summary>AdamW's (β₁, β₂).</summary>
    public static readonly (double, double) Betas = (0.9, 0.98);

    /// <summary>The settings of <paramref name="scale"/>: Z_41 with 60 % of the pairs and S_4 with 80 % for 900 steps at smoke, Z_97 with 30 % and S_4 with 70 % for 4000 steps otherwise.</summary>
    public static GroupGrokkingSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Modulus: 41, TrainFraction: 0.6, Width: 128, Steps: 900, LearningRate: 3e-3, WeightDecay: 0.5, InitScale: 2, EvalEvery: 25,
            RequiredDelay: 3, RequiredNormDrop: 0, RequiredConcentrationGain: 1.5,
            PermutationDegree: 4, PermutationTrainFraction: 0.8, RequiredPermutationDelay: 3, RequiredIrrepConcentration: 0.6, RequiredControlGap: 0.1)
        : new(Modulus: 97, TrainFraction: 0.3, Width: 128, Steps: 4000, LearningRate: 3e-3, WeightDecay: 0.5, InitScale: 2, EvalEvery: 50,
            RequiredDelay: 5, RequiredNormDrop: 0.1, RequiredConcentrationGain: 3,
            PermutationDegree: 4, PermutationTrainFraction: 0.7, RequiredPermutationDelay: 5, RequiredIrrepConcentration: 0.8, RequiredControlGap: 0.2);

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
/// One network learning one group's products (one seed): its evaluations and the energy of its embedding columns per
/// irrep and unit ([irreps, units], <see cref="GroupIrreps.Energy"/>) at initialisation, at the train fit, at the end, and at
/// the end with the group elements permuted at random (the control: the same numbers, no group structure).
/// </summary>
public sealed record GroupLearning(string Group, string[] Irreps, IReadOnlyList<GrokkingPoint> History,
    double[,] EnergyStart, double[,] EnergyFit, double[,] EnergyEnd, double[,] EnergyPermuted)
{
    /// <summary>Fit and grokking steps, norms and concentrations read off <see cref="History"/>.</summary>
    public GrokkingSummary Summary => GrokkingSummary.From(History);

    /// <summary>Share of each unit's non-trivial energy in its strongest irrep, at the end.</summary>
    public double Concentration => Share(EnergyEnd);

    /// <summary>The same share for the randomly permuted embeddings (the control).</summary>
    public double PermutedConcentration => Share(EnergyPermuted);

    private static double Share(double[,] energy)
    {
        using var scope = NewScope();
        return GroupIrreps.Concentration(Tensor.From(energy));
    }
}

/// <summary>What the group-grokking notebook draws: per seed, the cyclic and the permutation group's learning.</summary>
public sealed record GroupGrokkingOutcome(GroupGrokkingSettings Settings, GroupLearning[] Cyclic, GroupLearning[] Permutation);

/// <summary>
/// Grokking on groups and the representation-theoretic mechanism behind it (Chughtai, Chan &amp; Nanda, "A toy model of
/// universality", 2023; "Learning words in groups", 2025) — the experiment of notebooks/dynamics/group-grokking.ipynb. Per
/// seed, a two-layer <see cref="GroupWordNetwork"/> (quadratic units) learns a + b mod p and a second one the products of the
/// non-abelian S_4, both full-batch AdamW with weight decay from a fraction of all pairs. Each network fits its training
/// pairs early and generalises much later; its embedding columns end up in single irreducible representations
/// (<see cref="GroupIrreps"/>: Fourier modes for Z_p, the five irreps of S_4). Control: the same concentration measure on the
/// trained embeddings with the group elements relabelled at random. Metrics per step: <c>seed{n}/{cyclic,permutation}/loss</c>;
/// per evaluation: <c>seed{n}/{cyclic,permutation}/{train_accuracy,test_accuracy,test_loss,weight_norm,concentration}</c>.
/// </summary>
public sealed class GroupGrokkingExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "group-grokking";

    /// <inheritdoc />
    public string Family => "representation geometry & learning dynamics";

    /// <inheritdoc />
    public string Title => "Grokking group products along irreducible representations: a + b mod p and S_4";

    /// <inheritdoc />
    public string? Narrower => "two groups (Z₉₇ and S₄) with one small network each";

    /// <inheritdoc />
    public string Claim =>
        "two-layer networks trained full-batch with AdamW on 30 % of a + b mod 97 and on 70 % of the products of the non-abelian S_4 grok " +
        "(test accuracy 0.9 at ≥ 5× the step of train accuracy 0.99, both groups, every seed of 3) and learn along irreducible representations: " +
        "on S_4 each unit's embedding energy lies ≥ 80 % in one irrep at the end, ≥ 0.2 above the same measure on randomly relabelled embeddings; " +
        "on Z_97 the per-unit Fourier concentration grows ≥ 3× from the fit to the end and the weight norm falls ≥ 10 % from its peak " +
        "(smoke: 60 % of mod 41 and 80 % of S_4, 900 steps, 1 seed, delays ≥ 3×, 60 %, 0.1, 1.5×, no norm drop required)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = GroupGrokkingSettings.For(context.Scale);
        var seeds = context.Seeds(smoke: 1, cpu: 3, gpu: 5);
        context.Run.AddHyperparameters(new
        {
            group = $"Z_{s.Modulus} (+)", s.Modulus, train_fraction = s.TrainFraction, s.Width, activation = "quadratic", s.Steps, lr = s.LearningRate,
            weight_decay = s.WeightDecay, betas = new[] { GroupGrokkingSettings.Betas.Item1, GroupGrokkingSettings.Betas.Item2 }, init_scale = s.InitScale,
            eval_every = s.EvalEvery, seeds = seeds.Count, permutation_group = $"S_{s.PermutationDegree}", permutation_train_fraction = s.PermutationTrainFraction,
        });
        var cyclicGroup = GroupTables.CyclicAddition(s.Modulus);
        var permutationGroup = GroupTables.Symmetric(s.PermutationDegree);
        var (cyclicIrreps, permutationIrreps) = (GroupIrreps.Cyclic(s.Modulus), GroupIrreps.Symmetric(s.PermutationDegree));
        var cyclic = new List<GroupLearning>();
        var permutation = new List<GroupLearning>();
        TrainingResult? last = null;
        for (int i = 0; i < seeds.Count; i++)
        {
            var (c, p, result) = RunSeed(context, s, seeds[i], $"seed{i}/", cyclicGroup, cyclicIrreps, permutationGroup, permutationIrreps);
            cyclic.Add(c);
            permutation.Add(p);
            last = result;
            context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                $"seed {seeds[i]}: {c.Group} delay {c.Summary.Delay:F1}×, concentration {c.Concentration:F3} (permuted {c.PermutedConcentration:F3}); " +
                $"{p.Group} delay {p.Summary.Delay:F1}×, irrep concentration {p.Concentration:F3} (permuted {p.PermutedConcentration:F3})"));
        }

        SeedSummary Over(IEnumerable<GroupLearning> runs, Func<GroupLearning, double> f) => new(runs.Select(f));
        double Delay(GroupLearning r) => double.IsNaN(r.Summary.Delay) ? 0 : r.Summary.Delay;
        var cyclicDelay = Over(cyclic, Delay);
        var permutationDelay = Over(permutation, Delay);
        var normDrop = Over(cyclic, r => r.Summary.NormDrop);
        var gain = Over(cyclic, r => r.Summary.ConcentrationGain);
        var irrepConcentration = Over(permutation, r => r.Concentration);
        var permutationControl = Over(permutation, r => r.Concentration - r.PermutedConcentration);
        var cyclicControl = Over(cyclic, r => r.Concentration - r.PermutedConcentration);
        string z = cyclic[0].Group, sn = permutation[0].Group;
        var check = new ClaimCheck()
            .AtLeast($"{z} grokking delay (step of test acc 0.9 / step of train acc 0.99)", cyclicDelay, s.RequiredDelay, format: "F2")
            .AtLeast($"{sn} grokking delay", permutationDelay, s.RequiredPermutationDelay, format: "F2")
            .AtLeast($"{sn}: share of each unit's energy in its strongest irrep", irrepConcentration, s.RequiredIrrepConcentration, format: "F3")
            .AtLeast($"{sn}: concentration − randomly relabelled control", permutationControl, s.RequiredControlGap, format: "F3")
            .AtLeast($"{z}: Fourier concentration − randomly relabelled control", cyclicControl, s.RequiredControlGap, format: "F3")
            .AtLeast($"{z}: Fourier concentration at the end / at the fit", gain, s.RequiredConcentrationGain, format: "F2");
        if (s.RequiredNormDrop > 0)                                              // not checked at smoke scale (too few steps)
            check.AtLeast($"{z}: weight-norm drop from its peak (fraction)", normDrop, s.RequiredNormDrop, format: "F3");
        var metrics = new Dictionary<string, double>
        {
            ["cyclic_delay"] = cyclicDelay.Mean, ["permutation_delay"] = permutationDelay.Mean, ["weight_norm_drop"] = normDrop.Mean,
            ["concentration_gain"] = gain.Mean, ["permutation_irrep_concentration"] = irrepConcentration.Mean,
            ["permutation_permuted_concentration"] = Over(permutation, r => r.PermutedConcentration).Mean,
            ["cyclic_concentration"] = Over(cyclic, r => r.Concentration).Mean,
            ["cyclic_permuted_concentration"] = Over(cyclic, r => r.PermutedConcentration).Mean,
            ["cyclic_final_test_accuracy"] = Over(cyclic, r => r.Summary.FinalTestAccuracy).Mean,
            ["permutation_final_test_accuracy"] = Over(permutation, r => r.Summary.FinalTestAccuracy).Mean,
        };
        return check.Result(metrics, last, new GroupGrokkingOutcome(s, [.. cyclic], [.. permutation]));
    }

    private static (GroupLearning Cyclic, GroupLearning Permutation, TrainingResult Result) RunSeed(ExperimentContext context,
        GroupGrokkingSettings s, ulong seed, string prefix, GroupTable cyclicGroup, GroupIrrep[] cyclicIrreps, GroupTable permutationGroup,
        GroupIrrep[] permutationIrreps)
    {
        var device = context.Device;
        using var cyclicData = GroupWordSplit.Create(cyclicGroup, s.TrainFraction, seed: (int)seed, device);
        using var permutationData = GroupWordSplit.Create(permutationGroup, s.PermutationTrainFraction, seed: (int)seed, device);
        ManualSeed(seed);
        var learners = new[]
        {
            new Learner("cyclic", cyclicGroup, cyclicIrreps, cyclicData, s.CreateModel(cyclicGroup.Order, device)),
            new Learner("permutation", permutationGroup, permutationIrreps, permutationData, s.CreateModel(permutationGroup.Order, device)),
        };
        var optimizers = learners.Select(l => s.CreateOptimizer(l.Model)).ToArray();
        try
        {
            Dictionary<string, double> Evaluate(long step)
            {
                var metrics = new Dictionary<string, double>();
                foreach (var l in learners)
                {
                    var (trainAccuracy, _, testAccuracy, testLoss) = l.Data.Evaluate(l.Model);
                    using var scope = NewScope();
                    var energy = GroupIrreps.Energy(l.Irreps, l.Group, l.Model.Left, l.Model.Right);
                    double concentration = GroupIrreps.Concentration(energy);
                    l.History.Add(new GrokkingPoint(step, trainAccuracy, testAccuracy, testLoss, l.Model.WeightNorm(), concentration));
                    if (step == 0) l.EnergyStart = energy.ToArray2D<double>();
                    if (l.EnergyFit is null && trainAccuracy >= GroupGrokkingSettings.FitAccuracy) l.EnergyFit = energy.ToArray2D<double>();
                    metrics[$"{prefix}{l.Name}/train_accuracy"] = trainAccuracy;
                    metrics[$"{prefix}{l.Name}/test_accuracy"] = testAccuracy;
                    metrics[$"{prefix}{l.Name}/test_loss"] = testLoss;
                    metrics[$"{prefix}{l.Name}/weight_norm"] = l.History[^1].WeightNorm;
                    metrics[$"{prefix}{l.Name}/concentration"] = concentration;
                }
                return metrics;
            }
            foreach (var (name, value) in Evaluate(0)) context.Run.Record(0, name, value);

            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = s.Steps,
                LearningRate = LearningRates.Constant(s.LearningRate),
                EvalEvery = s.EvalEvery,
                FiniteCheckEvery = s.EvalEvery,
            }, seed);
            var state = new TensorState();
            for (int i = 0; i < learners.Length; i++) state.Add(learners[i].Name, new ModuleState(learners[i].Model, optimizers[i]));
            var result = trainer.Fit(state, ctx =>
            {
                var metrics = new Dictionary<string, double>();
                for (int i = 0; i < learners.Length; i++)
                {
                    var loss = learners[i].Data.TrainLoss(learners[i].Model);
                    optimizers[i].ZeroGrad();
                    loss.Backward();
                    optimizers[i].Step();
                    metrics[$"{prefix}{learners[i].Name}/loss"] = loss.Item<float>();
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: Evaluate, run: context.Run);

            var outcome = learners.Select(l =>
            {
                using var scope = NewScope();
                var order = Enumerable.Range(0, l.Group.Order).Select(i => (long)i).ToArray();
                new Random((int)seed + 17).Shuffle(order);
                using var index = Tensor.From(order).To(device);
                var end = GroupIrreps.Energy(l.Irreps, l.Group, l.Model.Left, l.Model.Right).ToArray2D<double>();
                var permuted = GroupIrreps.Energy(l.Irreps, l.Group, l.Model.Left.Detach().IndexSelect(0, index),
                    l.Model.Right.Detach().IndexSelect(0, index)).ToArray2D<double>();
                return new GroupLearning(l.Group.Name, [.. l.Irreps.Select(r => r.Name)], l.History, l.EnergyStart!, l.EnergyFit ?? l.EnergyStart!, end, permuted);
            }).ToArray();
            return (outcome[0], outcome[1], result);
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
            foreach (var l in learners) l.Model.Dispose();
        }
    }

    private sealed class Learner(string name, GroupTable group, GroupIrrep[] irreps, GroupWordSplit data, GroupWordNetwork model)
    {
        public string Name => name;
        public GroupTable Group => group;
        public GroupIrrep[] Irreps => irreps;
        public GroupWordSplit Data => data;
        public GroupWordNetwork Model => model;
        public List<GrokkingPoint> History { get; } = [];
        public double[,]? EnergyStart { get; set; }
        public double[,]? EnergyFit { get; set; }
    }
}
