using System.Globalization;
using Research.Models.Dynamics;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The geometry of one hidden layer on the conditions of a task: its RSA with the label RDM and with the input RDM.</summary>
/// <param name="Label">RSA(hidden RDM, label RDM).</param>
/// <param name="Input">RSA(hidden RDM, input RDM).</param>
public readonly record struct GeometryScore(double Label, double Input)
{
    /// <summary>Label − input RSA: how much more the layer looks like the labels than like the inputs.</summary>
    public double LabelPreference => Label - Input;
}

/// <summary>One alignment level: the task's own input–label RSA and, per seed, the tanh and ReLU networks' geometry before and after training.</summary>
/// <param name="Alignment">a of the <see cref="AlignedClusterTask"/>.</param>
/// <param name="InputLabel">RSA(input RDM, label RDM) per seed (each seed draws its own task).</param>
/// <param name="Tanh">The trained tanh networks, per seed.</param>
/// <param name="Relu">The trained ReLU networks, per seed.</param>
/// <param name="TanhUntrained">The tanh networks at initialisation, per seed.</param>
/// <param name="ReluUntrained">The ReLU networks at initialisation, per seed.</param>
public sealed record AlignmentLevel(double Alignment, double[] InputLabel, GeometryScore[] Tanh, GeometryScore[] Relu, GeometryScore[] TanhUntrained,
    GeometryScore[] ReluUntrained)
{
    /// <summary>Per seed: tanh's label preference − ReLU's (positive: tanh is the more label-like, ReLU the more input-like).</summary>
    public SeedSummary PreferenceGap => new(Tanh.Zip(Relu, (t, r) => t.LabelPreference - r.LabelPreference));

    /// <summary>The same for the untrained networks (the control).</summary>
    public SeedSummary UntrainedPreferenceGap => new(TanhUntrained.Zip(ReluUntrained, (t, r) => t.LabelPreference - r.LabelPreference));
}

/// <summary>RSA with the labels and with the inputs of seed 0's networks at the first alignment level, during training.</summary>
/// <param name="Step">The training step.</param>
/// <param name="Tanh">The tanh network's geometry.</param>
/// <param name="Relu">The ReLU network's geometry.</param>
public readonly record struct GeometryPoint(long Step, GeometryScore Tanh, GeometryScore Relu);

/// <summary>What the task-geometry notebook draws.</summary>
/// <param name="Levels">Every alignment level with its per-seed scores.</param>
/// <param name="LabelGap">Per seed, over levels: mean RSA_label(tanh) − RSA_label(ReLU).</param>
/// <param name="InputGap">Per seed, over levels: mean RSA_input(ReLU) − RSA_input(tanh).</param>
/// <param name="PreferenceGap">Per seed, over levels: mean label-preference gap, trained.</param>
/// <param name="UntrainedPreferenceGap">The same at initialisation.</param>
/// <param name="TrainingAccuracy">Per network: the fraction of training samples classified correctly after training.</param>
/// <param name="Rdms">Seed 0 at the first level: RDMs (each divided by its largest entry) of the inputs, labels, and both networks before and after training.</param>
/// <param name="Trajectory">Seed 0 at the first level: the geometry during training.</param>
public sealed record TaskGeometryOutcome(IReadOnlyList<AlignmentLevel> Levels, SeedSummary LabelGap, SeedSummary InputGap, SeedSummary PreferenceGap,
    SeedSummary UntrainedPreferenceGap, double[] TrainingAccuracy, IReadOnlyDictionary<string, double[][]> Rdms, IReadOnlyList<GeometryPoint> Trajectory);

/// <summary>
/// Alleman, Lindsey &amp; Fusi (ICLR 2024), "Task structure and nonlinearity jointly determine learned representational geometry" —
/// the experiment of notebooks/dynamics/task-geometry.ipynb. For each alignment level a and seed, one
/// <see cref="AlignedClusterTask"/> (16 conditions in 20 dimensions, binary labels) is drawn and two
/// <see cref="OneHiddenLayerNetwork"/>s 20 → 100 → 1, tanh and ReLU, are trained on it from the same initial weights
/// (0.1 × PyTorch's default: the feature-learning regime) with full-batch gradient descent on the logistic loss, the same
/// steps and learning rate. The hidden layer's RDM over the 16 condition centres is then compared (RSA) with the input RDM and
/// the label RDM; the untrained networks are the control. Metrics per step: <c>seed{k}/a{i}/{tanh,relu}/loss</c>; every
/// <see cref="EvalEvery"/> steps: <c>seed{k}/a{i}/{tanh,relu}/rsa_{label,input}</c>. The outcome is a <see cref="TaskGeometryOutcome"/>.
/// </summary>
public sealed class TaskGeometryExperiment : IExperiment
{
    /// <summary>Hidden units of both networks.</summary>
    public const int Width = 100;

    /// <summary>The factor on PyTorch's default initialisation (small: weights must move to fit, the rich regime).</summary>
    public const double InitScale = 0.1;

    /// <summary>The full-batch gradient-descent step size (both networks; not tuned for either: both fit every task with it).</summary>
    public const double LearningRate = 0.5;

    /// <summary>Steps between geometry measurements during training.</summary>
    public const int EvalEvery = 10;

    /// <summary>Training steps: 300 at smoke scale, 2000 otherwise.</summary>
    public static int Steps(Scale scale) => scale == Scale.Smoke ? 300 : 2000;

    /// <summary>Alignment levels a: only 0 at smoke scale; from unstructured inputs to inputs whose RDM already correlates ≈ 0.4 with the labels'.</summary>
    public static double[] Alignments(Scale scale) => scale == Scale.Smoke ? [0.0] : [0.0, 0.03, 0.06, 0.1];

    /// <summary>Seeds (tasks and initialisations): 1 at smoke scale, 5 at cpu scale, 10 at gpu scale.</summary>
    public static int SeedCount(Scale scale) => scale switch { Scale.Smoke => 1, Scale.Cpu => 5, _ => 10 };

    /// <inheritdoc />
    public string Id => "task-geometry";

    /// <inheritdoc />
    public string Family => "representation geometry & learning dynamics";

    /// <inheritdoc />
    public string Title => "Task structure and nonlinearity determine representational geometry (Alleman, Lindsey & Fusi, ICLR 2024)";

    /// <inheritdoc />
    public string? Narrower => "one family of cluster tasks with one binary output, the feature-learning regime only, RSA only (no weight-space analysis)";

    /// <inheritdoc />
    public string Claim =>
        "one-hidden-layer networks trained in the rich regime on binary tasks whose input geometry is aligned with the labels to a controlled degree: " +
        "tanh hidden layers are closer to the label geometry (RSA with the label RDM) than ReLU hidden layers, and ReLU hidden layers keep more of the " +
        "input geometry (RSA with the input RDM) — averaged over alignment levels in every seed, and at every level in the mean; at initialisation " +
        "(the control) tanh is not the more label-like of the two";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int steps = Steps(context.Scale);
        var alignments = Alignments(context.Scale);
        var seeds = context.Seeds(smoke: SeedCount(Scale.Smoke), cpu: SeedCount(Scale.Cpu), gpu: SeedCount(Scale.Gpu));
        context.Run.AddHyperparameters(new
        {
            steps, width = Width, init_scale = InitScale, lr = LearningRate, alignments, seeds = seeds.Count, conditions = 16, dimensions = 20,
            samples_per_condition = 10, noise = 0.1,
        });

        int n = seeds.Count;
        var levels = new List<AlignmentLevel>();
        var accuracy = new List<double>();
        var rdms = new Dictionary<string, double[][]>();
        var trajectory = new List<GeometryPoint>();
        TrainingResult? training = null;
        for (int i = 0; i < alignments.Length; i++)
        {
            var inputLabel = new double[n];
            var scores = new GeometryScore[4][];
            for (int s = 0; s < 4; s++) scores[s] = new GeometryScore[n];
            for (int k = 0; k < n; k++)
            {
                using var task = AlignedClusterTask.Create(alignments[i], seed: (int)seeds[k] * 100 + i, device: context.Device);
                using var inputRdm = RepresentationalDissimilarity.Matrix(task.Centres);
                using var labelRdm = RepresentationalDissimilarity.Matrix(task.Labels);
                inputLabel[k] = RepresentationalDissimilarity.Correlation(inputRdm, labelRdm);
                GeometryScore Score(OneHiddenLayerNetwork net)
                {
                    using var scope = NewScope();
                    using var noGrad = NoGrad();
                    var hidden = RepresentationalDissimilarity.Matrix(net.Hidden(task.Centres));
                    return new GeometryScore(RepresentationalDissimilarity.Correlation(hidden, labelRdm), RepresentationalDissimilarity.Correlation(hidden, inputRdm));
                }

                // The same initial weights for both: only σ differs.
                ManualSeed(seeds[k]);
                using var tanh = new OneHiddenLayerNetwork(20, Width, 1, HiddenActivation.Tanh, InitScale, device: context.Device);
                ManualSeed(seeds[k]);
                using var relu = new OneHiddenLayerNetwork(20, Width, 1, HiddenActivation.Relu, InitScale, device: context.Device);
                scores[2][k] = Score(tanh);
                scores[3][k] = Score(relu);
                bool first = i == 0 && k == 0;
                if (first)
                {
                    rdms["inputs"] = Normalised(inputRdm);
                    rdms["labels"] = Normalised(labelRdm);
                    rdms["tanh, untrained"] = HiddenRdm(tanh, task.Centres);
                    rdms["ReLU, untrained"] = HiddenRdm(relu, task.Centres);
                    trajectory.Add(new GeometryPoint(0, scores[2][k], scores[3][k]));
                }

                string prefix = $"seed{k}/a{i}";
                training = Train(context, task, tanh, relu, steps, prefix, (step, t, r) =>
                {
                    var (gt, gr) = (Score(t), Score(r));
                    if (first) trajectory.Add(new GeometryPoint(step, gt, gr));
                    return new Dictionary<string, double>
                    {
                        [$"{prefix}/tanh/rsa_label"] = gt.Label, [$"{prefix}/tanh/rsa_input"] = gt.Input,
                        [$"{prefix}/relu/rsa_label"] = gr.Label, [$"{prefix}/relu/rsa_input"] = gr.Input,
                    };
                });
                scores[0][k] = Score(tanh);
                scores[1][k] = Score(relu);
                accuracy.Add(TrainingAccuracy(tanh, task));
                accuracy.Add(TrainingAccuracy(relu, task));
                if (first)
                {
                    rdms["tanh, trained"] = HiddenRdm(tanh, task.Centres);
                    rdms["ReLU, trained"] = HiddenRdm(relu, task.Centres);
                }
            }
            levels.Add(new AlignmentLevel(alignments[i], inputLabel, scores[0], scores[1], scores[2], scores[3]));
        }

        SeedSummary OverLevels(Func<AlignmentLevel, int, double> value) =>
            new(Enumerable.Range(0, n).Select(k => levels.Average(l => value(l, k))));
        var labelGap = OverLevels((l, k) => l.Tanh[k].Label - l.Relu[k].Label);
        var inputGap = OverLevels((l, k) => l.Relu[k].Input - l.Tanh[k].Input);
        var preference = OverLevels((l, k) => l.Tanh[k].LabelPreference - l.Relu[k].LabelPreference);
        var untrained = OverLevels((l, k) => l.TanhUntrained[k].LabelPreference - l.ReluUntrained[k].LabelPreference);
        double minAccuracy = accuracy.Min();
        var perLevel = levels.Select(l => l.PreferenceGap.Mean).ToArray();
        string PerLevel() => string.Join(", ", levels.Select(l => string.Create(CultureInfo.InvariantCulture,
            $"a = {l.Alignment:G2}: {l.PreferenceGap.Mean:F3} ({l.PreferenceGap.WinsAbove(Zeros(n))}/{n} seeds > 0)")));

        var check = new ClaimCheck()
            .AtLeast("RSA with the labels, tanh − ReLU (mean over levels)", labelGap, 0, format: "F3")
            .AtLeast("RSA with the inputs, ReLU − tanh (mean over levels)", inputGap, 0, format: "F3")
            .That("at every alignment level, mean label-preference gap (tanh − ReLU) > 0", perLevel.All(g => g > 0), PerLevel())
            .AtMost("control, untrained: label-preference gap tanh − ReLU (mean over levels)", untrained.Mean, 0, format: "F3")
            .AtLeast("every network fits its training set (least training accuracy)", minAccuracy, 1.0, format: "F3");
        var metrics = new Dictionary<string, double>
        {
            ["label_gap"] = labelGap.Mean, ["input_gap"] = inputGap.Mean, ["preference_gap"] = preference.Mean,
            ["untrained_preference_gap"] = untrained.Mean, ["min_training_accuracy"] = minAccuracy,
        };
        for (int i = 0; i < levels.Count; i++) metrics[$"a{i}/preference_gap"] = levels[i].PreferenceGap.Mean;
        return check.Result(metrics, training, new TaskGeometryOutcome(levels, labelGap, inputGap, preference, untrained, accuracy.ToArray(), rdms, trajectory));
    }

    // Both networks side by side on the whole training set, the same steps: gradient descent on the logistic loss.
    private static TrainingResult Train(ExperimentContext context, AlignedClusterTask task, OneHiddenLayerNetwork tanh, OneHiddenLayerNetwork relu,
        int steps, string prefix, Func<long, OneHiddenLayerNetwork, OneHiddenLayerNetwork, Dictionary<string, double>> measure)
    {
        using var tanhOpt = new SGD(tanh.Parameters(), lr: LearningRate);
        using var reluOpt = new SGD(relu.Parameters(), lr: LearningRate);
        using var targets = (task.Targets + 1) / 2;                                                      // ±1 → {0, 1}
        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = steps, LearningRate = LearningRates.Constant(LearningRate), EvalEvery = EvalEvery, LogEvery = 10,
        });
        return trainer.Fit(new TensorState { { "tanh", new ModuleState(tanh, tanhOpt) }, { "relu", new ModuleState(relu, reluOpt) } }, ctx =>
        {
            var metrics = new Dictionary<string, double>();
            foreach (var (model, optimizer, name) in new[] { (tanh, tanhOpt, "tanh"), (relu, reluOpt, "relu") })
            {
                var loss = F.BinaryCrossEntropyWithLogits(model.Forward(task.Inputs), targets);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                metrics[$"{prefix}/{name}/loss"] = loss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: step => measure(step, tanh, relu), run: context.Run);
    }

    /// <summary>The fraction of the task's training samples on the correct side of 0.</summary>
    public static double TrainingAccuracy(OneHiddenLayerNetwork network, AlignedClusterTask task)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return (network.Forward(task.Inputs) * task.Targets > 0).Double().Mean().Item<double>();
    }

    private static double[][] HiddenRdm(OneHiddenLayerNetwork network, Tensor centres)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return Normalised(RepresentationalDissimilarity.Matrix(network.Hidden(centres)));
    }

    private static double[][] Normalised(Tensor rdm)
    {
        using var scope = NewScope();
        return RepresentationalDissimilarity.Rows(rdm / rdm.Max().Clamp(min: 1e-300));
    }

    private static SeedSummary Zeros(int n) => new(new double[n]);
}
