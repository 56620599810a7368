using System.Globalization;
using Research.Experiments.Data;
using Research.Models.LocalLearning;
using Research.Models.Physics;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The medium's field u(t, x) [step][point] for one test digit driven with its true label and with a wrong one, per layer.</summary>
/// <param name="Label">The digit's label.</param>
/// <param name="WrongLabel">The wrong label of the negative pass.</param>
/// <param name="Positive">Per layer, the field of the positive pass [layer][step][point].</param>
/// <param name="Negative">Per layer, the field of the negative pass.</param>
/// <param name="PositiveGoodness">Per layer, G_l of the positive pass.</param>
/// <param name="NegativeGoodness">Per layer, G_l of the negative pass.</param>
public sealed record MediumFields(int Label, int WrongLabel, double[][][] Positive, double[][][] Negative,
    double[] PositiveGoodness, double[] NegativeGoodness);

/// <summary>What <see cref="FfPhysicalExperiment"/> produces for the notebook.</summary>
/// <param name="Seeds">The seeds, in order.</param>
/// <param name="EvaluationSteps">The steps after which every model was evaluated (0 first).</param>
/// <param name="TestAccuracy">Per method key, the test accuracy at its chosen learning rate: [seed][evaluation].</param>
/// <param name="FitAccuracy">Per method key, the final accuracy on its own training (fit) set at its chosen rate: [seed].</param>
/// <param name="Goodness">Mean G_l on the test set of the FF network (first seed, chosen lr) per layer, true vs wrong labels:
/// [layer] of (positive, negative) curves over the evaluations.</param>
/// <param name="Tuning">The learning-rate sweep: chosen rate, validation accuracy per rate, test accuracy over seeds.</param>
/// <param name="Parameters">Trainable parameters per method key.</param>
/// <param name="Fields">The space-time field of the trained FF network (first seed) for one test digit.</param>
public sealed record FfPhysicalOutcome(IReadOnlyList<ulong> Seeds, long[] EvaluationSteps,
    IReadOnlyDictionary<string, double[][]> TestAccuracy, IReadOnlyDictionary<string, double[]> FitAccuracy, (double[] Positive, double[] Negative)[] Goodness,
    TuningOutcome Tuning, IReadOnlyDictionary<string, long> Parameters, MediumFields Fields)
{
    /// <summary>The final test accuracy of <paramref name="key"/> in every seed.</summary>
    public SeedSummary Final(string key) => new(TestAccuracy[key].Select(c => c[^1]));
}

/// <summary>
/// Momeni et al. (2023), "Backpropagation-free Training of Deep Physical Neural Networks" — the experiment of
/// notebooks/locallearning/ff-physical.ipynb. A <see cref="PhysicalForwardForward"/> network (two layers, each a
/// nonlinear 1-D <see cref="WaveMedium"/> of 66 points followed by a digital 64 → 64 projection) classifies sklearn digits.
/// Three ways to train it, same data, same step budget, same batches, same learning-rate sweep:
/// <list type="bullet">
/// <item><c>ff</c>: forward-forward, layer-local, the medium measured without gradient (never differentiated);</item>
/// <item><c>insilico</c>: backprop end to end through the differentiable twin (<see cref="WaveMediumTwin"/>) with a linear
/// readout on h_L (the reference the paper compares with);</item>
/// <item><c>readout</c>: control — the same network with its projections frozen at initialisation, only a linear readout on
/// every layer's activities trained (what the untrained physical layers already give).</item>
/// </list>
/// Learning rates: every method is trained at each rate of the sweep on the first seed, the best validation accuracy picks
/// its rate, the other seeds train at that rate; test accuracies are the claim's. Metrics per step:
/// <c>seed{s}/{method}/lr{lr}/loss</c>; per evaluation <c>seed{s}/{method}/lr{lr}/test_accuracy</c> and for ff
/// <c>seed{s}/ff/lr{lr}/goodness_{positive,negative}_layer{l}</c>.
/// </summary>
public sealed class FfPhysicalExperiment : IExperiment
{
    /// <summary>The methods, in the order drawn: forward-forward, in-silico backprop, random-feature readout.</summary>
    public static readonly string[] Methods = ["ff", "insilico", "readout"];

    /// <summary>Physical layers.</summary>
    public const int Layers = 2;

    /// <summary>θ of the forward-forward loss.</summary>
    public const double Threshold = 2.0;

    /// <summary>Batch size of every method.</summary>
    public const int BatchSize = 64;

    /// <inheritdoc />
    public string Id => "ff-physical";

    /// <inheritdoc />
    public string Family => "backprop-free & local learning";

    /// <inheritdoc />
    public string Title => "Forward-forward training of a deep physical (wave) network (Momeni et al., 2023)";

    /// <inheritdoc />
    public string? Narrower => "a simulated 1-D nonlinear wave medium instead of hardware, sklearn digits instead of vowels, two layers";

    /// <inheritdoc />
    public string Claim =>
        "a two-layer physical network whose wave media are never differentiated, trained by layer-local forward-forward, " +
        "beats the random-feature readout of the same network by ≥ 5 test points (mean, and in every seed) and comes within " +
        "5 points of the same network trained by in-silico backprop through a differentiable twin (mean, and in ≥ n − 1 seeds); " +
        "smoke (1 seed, short): FF ≥ 0.5 test accuracy and within 20 points of in-silico backprop";

    /// <summary>The name a reader sees.</summary>
    public static string Label(string method) => method switch
    {
        "ff" => "physical FF (no gradient through the medium)",
        "insilico" => "in-silico backprop (through the twin)",
        _ => "random-feature readout (control)",
    };

    /// <summary>The wave medium of every layer: 66 points (64 free), 40 steps, C = 0.5, β = 1, γ = 0.02.</summary>
    public static WaveMedium Medium() => new(points: 66, steps: 40, courant: 0.5, cubic: 1.0, damping: 0.02);

    /// <summary>The largest allowed in-silico − FF test accuracy gap, in points.</summary>
    public static double AllowedGap(Scale scale) => scale == Scale.Smoke ? 20 : 5;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var seeds = context.Seeds(smoke: 1, cpu: 5, gpu: 5);
        int steps = context.ByScale(60, 1200, 3000), evaluations = context.ByScale(1, 12, 15);
        double[] rates = context.ByScale<double[]>([3e-3], [1e-3, 3e-3, 1e-2, 3e-2], [1e-3, 3e-3, 1e-2, 3e-2]);
        var (trainAll, test) = Sklearn.Digits().Split(0.2, seed: 0);
        var (fit, validation) = trainAll.Split(0.2, seed: 1);
        using var data = new Split(fit.Standardized(), validation.Standardized(fit), test.Standardized(fit), context.Device);
        var evaluationSteps = Enumerable.Range(0, evaluations + 1).Select(i => (long)Math.Round((double)i * steps / evaluations)).ToArray();
        context.Run.AddHyperparameters(new { steps, seeds = seeds.Count, batch_size = BatchSize, layers = Layers, threshold = Threshold,
            rates, medium = "66 points, 40 steps, C 0.5, cubic 1, damping 0.02", tuned = "Adam lr from the sweep, per method, on validation accuracy of the first seed" });

        var curves = new Dictionary<(ulong, string, double), double[]>();
        var fitted = new Dictionary<(ulong, string, double), double>();
        var firstSeed = new Dictionary<double, ((double[], double[])[] Goodness, MediumFields Fields)>();
        var parameters = new Dictionary<string, long>();
        var tuning = LearningRateTuning.Run(Methods, rates, seeds, (seed, configs) => configs.Select(c =>
        {
            var run = Train(context, data, seed, c.Model, c.LearningRate, steps, evaluationSteps);
            curves[(seed, c.Model, c.LearningRate)] = run.TestCurve;
            fitted[(seed, c.Model, c.LearningRate)] = run.Fit;
            parameters[c.Model] = run.Parameters;
            if (c.Model == "ff" && seed == seeds[0]) firstSeed[c.LearningRate] = (run.Goodness, run.Fields!);
            return new ScoredRun(run.Validation, run.TestCurve[^1]);
        }).ToArray(), higherIsBetter: true);
        var (goodness, fields) = firstSeed[tuning.Chosen["ff"]];                // the pictures: first seed, chosen rate
        var accuracy = Methods.ToDictionary(m => m, m => seeds.Select(s => curves[(s, m, tuning.Chosen[m])]).ToArray());
        var fitAccuracy = Methods.ToDictionary(m => m, m => seeds.Select(s => fitted[(s, m, tuning.Chosen[m])]).ToArray());
        var outcome = new FfPhysicalOutcome(seeds, evaluationSteps, accuracy, fitAccuracy, goodness, tuning, parameters, fields);
        return Check(context.Scale, outcome);
    }

    /// <summary>The claim check over the seeds of <paramref name="outcome"/>.</summary>
    public static ExperimentResult Check(Scale scale, FfPhysicalOutcome outcome)
    {
        var ff = outcome.Final("ff");
        var gap = new SeedSummary(outcome.Final("insilico").Minus(ff).Values.Select(v => 100 * v));
        var lead = new SeedSummary(ff.Minus(outcome.Final("readout")).Values.Select(v => 100 * v));
        int n = outcome.Seeds.Count;
        var check = new ClaimCheck();
        check = scale == Scale.Smoke
            ? check.AtLeast("FF test accuracy", ff, 0.5, minSeeds: 1, format: "F3")
            : check.AtLeast("FF − random-feature readout test accuracy (points)", lead, 5, minSeeds: n, format: "F2");
        check.AtMost("in-silico backprop − FF test accuracy (points)", gap, AllowedGap(scale), minSeeds: Math.Max(1, n - 1), format: "F2");
        var metrics = Methods.ToDictionary(m => $"{m}_test_accuracy", m => outcome.Final(m).Mean);
        metrics["insilico_minus_ff_points"] = gap.Mean;
        metrics["ff_minus_readout_points"] = lead.Mean;
        foreach (var m in Methods) metrics[$"{m}_fit_accuracy"] = outcome.FitAccuracy[m].Average();
        return check.Result(metrics, outcome: outcome);
    }

    /// <summary>Fit, validation and test features [rows, 64] (standardised with the fit part) and labels, as tensors.</summary>
    private sealed class Split : IDisposable
    {
        public Split(TabularDataset fit, TabularDataset validation, TabularDataset test, Device device)
        {
            (FitX, FitY) = (fit.FeatureTensor().To(device), fit.LabelTensor().To(device));
            (ValidationX, ValidationY) = (validation.FeatureTensor().To(device), validation.LabelTensor().To(device));
            (TestX, TestY) = (test.FeatureTensor().To(device), test.LabelTensor().To(device));
            (Features, Classes, FitRows) = (fit.Columns, fit.ClassCount, fit.Rows);
        }

        public Tensor FitX { get; }
        public Tensor FitY { get; }
        public Tensor ValidationX { get; }
        public Tensor ValidationY { get; }
        public Tensor TestX { get; }
        public Tensor TestY { get; }
        public int Features { get; }
        public int Classes { get; }
        public int FitRows { get; }

        public void Dispose()
        {
            foreach (var t in new[] { FitX, FitY, ValidationX, ValidationY, TestX, TestY }) t.Dispose();
        }
    }

    private sealed record TrainedRun(double Validation, double Fit, double[] TestCurve, long Parameters, (double[], double[])[] Goodness, MediumFields? Fields);

    private static string Fmt(double lr) => lr.ToString("G3", CultureInfo.InvariantCulture);

    private static TrainedRun Train(ExperimentContext context, Split data, ulong seed, string method, double lr, int steps, long[] evaluationSteps)
    {
        ManualSeed(seed);                                                    // the same initial projections for every method
        using var model = new PhysicalForwardForward(Medium(), data.Features, data.Classes, Layers, device: context.Device);
        int classes = data.Classes, width = model.Width;
        using var readout = new Linear(method == "readout" ? Layers * width : width, classes, device: context.Device);
        var trained = method switch
        {
            "ff" => model.Parameters().ToList(),
            "insilico" => model.Parameters().Concat(readout.Parameters()).ToList(),
            _ => readout.Parameters().ToList(),
        };
        using var optimiser = new Adam(trained, lr: lr);
        var name = $"seed{seed}/{method}/lr{Fmt(lr)}";

        // The first physical layer has nothing trainable before it: measure it once per example (and per label for FF).
        Tensor Labelled(Tensor x) => Tensor.Stack(Enumerable.Range(0, classes)
            .Select(k => model.Measure(model.Encode(x, Tensor.Full([x.Size(0)], k, DType.Int64, x.Device)))).ToArray());
        using var scope = NewScope();
        Tensor fitM, validationM, testM;
        if (method == "ff") (fitM, validationM, testM) = (Labelled(data.FitX), Labelled(data.ValidationX), Labelled(data.TestX));
        else (fitM, validationM, testM) = (model.Measure(model.Encode(data.FitX, null)), model.Measure(model.Encode(data.ValidationX, null)),
            model.Measure(model.Encode(data.TestX, null)));
        // The control's features are fixed: every layer's activity direction from the frozen network, computed once.
        Tensor Features(Tensor m)
        {
            using var inner = NewScope();
            using var noGrad = NoGrad();
            return inner.Keep(Tensor.Cat(model.Activities(m).Select(h => h / (h.Norm(2, [1], keepDim: true) + 1e-6)).ToArray(), 1));
        }
        if (method == "readout") (fitM, validationM, testM) = (Features(fitM), Features(validationM), Features(testM));

        double Accuracy(Tensor m, Tensor y)
        {
            using var inner = NewScope();
            using var noGrad = NoGrad();
            var scores = method switch
            {
                "ff" => model.LabelGoodness(m),
                "insilico" => readout.Forward(model.Activities(m)[^1]),
                _ => readout.Forward(m),
            };
            return ClassificationSplit.Accuracy(scores, y);
        }
        var testCurve = new List<double>();
        var goodness = Enumerable.Range(0, Layers).Select(_ => (Positive: new List<double>(), Negative: new List<double>())).ToArray();
        void Evaluate(long step)
        {
            testCurve.Add(Accuracy(testM, data.TestY));
            context.Run.Record(step, $"{name}/test_accuracy", testCurve[^1]);
            if (method != "ff") return;
            using var inner = NewScope();
            using var noGrad = NoGrad();
            var (positive, negative) = PassGoodness(model, testM, data.TestY, WrongLabels(data.TestY, classes, seed));
            for (int l = 0; l < Layers; l++)
            {
                goodness[l].Positive.Add(positive[l]);
                goodness[l].Negative.Add(negative[l]);
                context.Run.Record(step, $"{name}/goodness_positive_layer{l + 1}", positive[l]);
                context.Run.Record(step, $"{name}/goodness_negative_layer{l + 1}", negative[l]);
            }
        }

        var sampler = new EpochSampler(data.FitRows, BatchSize, seed, shuffle: true, dropLast: true);
        var generator = new Random(unchecked((int)seed) ^ 0x5f3759df);
        int next = 1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Evaluate(0);
        for (long step = 0; step < steps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using var stepScope = NewScope();
            var indices = sampler.Indices(step);
            using var index = Tensor.From(indices.Select(i => (long)i).ToArray()).To(context.Device);
            var y = data.FitY.IndexSelect(0, index);
            optimiser.ZeroGrad();
            Tensor loss;
            if (method == "ff")
            {
                var labels = y.ToArray<long>();
                var wrong = labels.Select(k => (k + 1 + generator.Next(classes - 1)) % classes).ToArray();
                var positive = Pick(fitM, index, labels);                  // m_1(x, y)      [batch, M]
                var negative = Pick(fitM, index, wrong);                   // m_1(x, y′ ≠ y)
                var h = model.Activities(Tensor.Cat([positive, negative]));
                loss = h.Select(hl =>
                {
                    var g = PhysicalForwardForward.Goodness(hl);
                    return PhysicalForwardForward.LayerLoss(g.Narrow(0, 0, indices.Length), g.Narrow(0, indices.Length, indices.Length), Threshold);
                }).Aggregate((a, b) => a + b);
            }
            else if (method == "insilico") loss = F.CrossEntropy(readout.Forward(model.Activities(fitM.IndexSelect(0, index), inSilico: true)[^1]), y);
            else loss = F.CrossEntropy(readout.Forward(fitM.IndexSelect(0, index)), y);
            loss.Backward();
            optimiser.Step();
            context.Run.Record(step + 1, $"{name}/loss", loss.Item<float>());
            if (next < evaluationSteps.Length && step + 1 == evaluationSteps[next])
            {
                Evaluate(step + 1);
                next++;
            }
        }
        context.Run.Record(steps, $"{name}/seconds", clock.Elapsed.TotalSeconds);
        double validation = Accuracy(validationM, data.ValidationY);
        var fields = method == "ff" ? Fields(model, data.TestX, data.TestY) : null;
        return new TrainedRun(validation, Accuracy(fitM, data.FitY), testCurve.ToArray(), trained.Sum(p => p.NumEl),
            goodness.Select(g => (g.Positive.ToArray(), g.Negative.ToArray())).ToArray(), fields);
    }

    /// <summary>Rows m[label_i, index_i] of per-label measurements [classes, rows, M].</summary>
    private static Tensor Pick(Tensor measured, Tensor index, long[] labels)
    {
        using var scope = NewScope();
        using var flat = Tensor.From(labels).To(index.Device) * measured.Size(1) + index;
        return scope.Keep(measured.Reshape(-1, measured.Size(2)).IndexSelect(0, flat));
    }

    private static long[] WrongLabels(Tensor y, int classes, ulong seed)
    {
        var random = new Random(unchecked((int)seed) + 17);
        return y.ToArray<long>().Select(k => (k + 1 + random.Next(classes - 1)) % classes).ToArray();
    }

    /// <summary>Mean G_l per layer over the rows of <paramref name="measured"/> [classes, rows, M] with true and with wrong labels.</summary>
    private static (double[] Positive, double[] Negative) PassGoodness(PhysicalForwardForward model, Tensor measured, Tensor y, long[] wrong)
    {
        using var scope = NewScope();
        using var index = Tensor.Arange(y.Size(0), DType.Int64, y.Device);
        double[] Mean(long[] labels) => model.Activities(Pick(measured, index, labels))
            .Select(h => PhysicalForwardForward.Goodness(h).Mean().Item<float>()).Select(v => (double)v).ToArray();
        return (Mean(y.ToArray<long>()), Mean(wrong));
    }

    /// <summary>The fields of the first test digit through every layer, with its true label and with the next label.</summary>
    private static MediumFields Fields(PhysicalForwardForward model, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var row = x.Narrow(0, 0, 1);
        int label = (int)y[0].Item<long>(), wrong = (label + 1) % model.Classes;
        (double[][][] Fields, double[] Goodness) Pass(int k)
        {
            var drive = model.Encode(row, Tensor.Full([1], k, DType.Int64, x.Device));
            var perLayer = new double[model.Projections.Length][][];
            var goodness = new double[model.Projections.Length];
            for (int l = 0; l < perLayer.Length; l++)
            {
                var frames = new List<double[]>();
                model.Medium.Run(drive, (n, u) => frames.Add(u.Double().ToArray<double>()));
                perLayer[l] = frames.ToArray();
                var h = model.Projections[l].Forward(model.Measure(drive)).Relu();
                goodness[l] = PhysicalForwardForward.Goodness(h).Item<float>();
                drive = model.Drive(h);
            }
            return (perLayer, goodness);
        }
        var (positive, positiveGoodness) = Pass(label);
        var (negative, negativeGoodness) = Pass(wrong);
        return new MediumFields(label, wrong, positive, negative, positiveGoodness, negativeGoodness);
    }
}
