using System.Globalization;
using Research.Experiments.Data;
using Research.Models.WeightSpace;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>One point of the linear path θ(t) = (1 − t)θ_A + tθ_B: its test loss (cross-entropy) and test accuracy.</summary>
/// <param name="T">The interpolation coefficient t.</param>
/// <param name="Loss">Mean cross-entropy at θ(t).</param>
/// <param name="Accuracy">Fraction classified correctly at θ(t).</param>
public readonly record struct PathPoint(double T, double Loss, double Accuracy);

/// <summary>
/// Singh &amp; Jaggi (NeurIPS 2020), "Model Fusion via Optimal Transport" — the experiment of notebooks/weightspace/ot-fusion.ipynb.
/// Two ReLU MLPs 64 → 128 → 128 → 128 → 10 are trained on sklearn digits from different seeds (different initialisation and data
/// order, same Adam steps). Then B's hidden units are aligned to A's by exact OT on their activations over the training set
/// (<see cref="OptimalTransportFusion.AlignByActivations"/>; the weight-based alignment is measured too), and the test loss
/// and accuracy are evaluated along θ(t) = (1 − t)θ_A + tθ_B with and without the alignment.
/// Metrics per step: <c>a/loss</c>, <c>b/loss</c>; per epoch (and at step 0): <c>eval/a_accuracy</c>, <c>eval/b_accuracy</c>;
/// along the path (step = round(100 t)): <c>path/{vanilla,aligned,weights_aligned}_{loss,accuracy}</c> on the test set and
/// <c>path/{vanilla,aligned}_train_loss</c> on the training set.
/// </summary>
public sealed class OtFusionExperiment : IExperiment
{
    /// <summary>
    /// Layer widths of both MLPs: three hidden layers. (With two hidden layers of 128 the plain average of such a pair loses only
    /// 4–7 points on digits; the mismatch of unaligned units compounds with depth — the notebook shows the sweep.)
    /// </summary>
    public static readonly long[] Sizes = [64, 128, 128, 128, 10];

    /// <summary>Points of the interpolation path, t = 0, 1/(n−1), …, 1 (t = ½ is among them).</summary>
    public const int PathPoints = 21;

    /// <summary>The least drop (endpoint mean − midpoint) in test accuracy the vanilla average must show.</summary>
    public const double VanillaDrop = 0.10;

    /// <summary>The aligned average's test accuracy may be at most this far below the endpoints' mean.</summary>
    public const double AlignedGap = 0.03;

    /// <summary>The aligned path's loss barriers (test and training loss) must be at most this fraction of the vanilla ones.</summary>
    public const double BarrierRatio = 0.10;

    /// <summary>The largest |Δ logit| allowed between B and its aligned (permuted) copy, float32.</summary>
    public const double FunctionTolerance = 1e-4;

    /// <summary>Adam's learning rate (both models).</summary>
    public const double LearningRate = 1e-3;

    /// <summary>Minibatch size (both models).</summary>
    public const int BatchSize = 64;

    /// <summary>Training epochs per model: 10 at smoke scale, 30 otherwise.</summary>
    public static int Epochs(Scale scale) => scale == Scale.Smoke ? 10 : 30;

    /// <inheritdoc />
    public string Id => "ot-fusion";

    /// <inheritdoc />
    public string Family => "weight-space & hypernetworks";

    /// <inheritdoc />
    public string Title => "Model fusion via optimal transport on digits (Singh & Jaggi, NeurIPS 2020)";

    /// <inheritdoc />
    public string Claim => string.Create(CultureInfo.InvariantCulture,
        $"of two ReLU MLPs 64→128→128→128→10 trained on digits from different seeds, the plain weight average loses at least {100 * VanillaDrop:F0} points of " +
        $"test accuracy against the endpoints' mean, while the average after aligning B's hidden units to A's by exact OT (a permutation, on activations) " +
        $"stays within {100 * AlignedGap:F0} points of it; the loss barrier of the linear path (max_t of loss(t) above the line between the endpoint losses), " +
        $"on the test and on the training set, shrinks to at most {BarrierRatio:F2}× the vanilla one after alignment; and the aligned B computes the same function as B (|Δ logit| ≤ {FunctionTolerance:0e0})");

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int epochs = Epochs(context.Scale);
        const double testFraction = 0.2;
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction, seed: 0, context.Device);
        var samplers = new[] { context.Seed, context.Seed + 1 }.Select(s => new EpochSampler(data.TrainRows, BatchSize, s, shuffle: true, dropLast: false)).ToArray();
        long steps = (long)epochs * samplers[0].BatchesPerEpoch;
        context.Run.AddHyperparameters(new
        {
            epochs, steps, batch_size = BatchSize, sizes = Sizes, lr = LearningRate, test_fraction = testFraction, path_points = PathPoints,
            vanilla_drop = VanillaDrop, aligned_gap = AlignedGap, barrier_ratio = BarrierRatio,
        });

        // A and B differ in their initialisation and in the order they see the data.
        ManualSeed(context.Seed);
        using var a = new ReluMlp(Sizes, device: context.Device);
        ManualSeed(context.Seed + 1);
        using var b = new ReluMlp(Sizes, device: context.Device);
        using var aOpt = new Adam(a.Parameters(), lr: LearningRate);
        using var bOpt = new Adam(b.Parameters(), lr: LearningRate);
        var state = new TensorState { { "a", new ModuleState(a, aOpt) }, { "b", new ModuleState(b, bOpt) } };

        Dictionary<string, double> Evaluate() => new()
        {
            ["eval/a_accuracy"] = data.TestAccuracy(a),
            ["eval/b_accuracy"] = data.TestAccuracy(b),
        };
        foreach (var (name, value) in Evaluate()) context.Run.Record(0, name, value);

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = steps,
            LearningRate = LearningRates.Constant(LearningRate),
            EvalEvery = samplers[0].BatchesPerEpoch,
        });
        var batches = new FuncBatches<(Tensor X, Tensor Y)[]>(step => samplers.Select(sampler =>
        {
            using var index = Tensor.From(sampler.Indices(step).Select(i => (long)i).ToArray()).To(context.Device);
            return (data.TrainX.IndexSelect(0, index), data.TrainY.IndexSelect(0, index));
        }).ToArray());
        var result = trainer.Fit(state, batches, (batch, ctx) =>
        {
            var metrics = new Dictionary<string, double>();
            foreach (var (model, optimizer, name, (x, y)) in new[] { (a, aOpt, "a", batch[0]), (b, bOpt, "b", batch[1]) })
            {
                ctx.ApplyLearningRate(optimizer);
                var loss = F.CrossEntropy(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                metrics[$"{name}/loss"] = loss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ => Evaluate(), run: context.Run);

        // Align B to A: by activations on the whole training set (the claim), and by weights (measured alongside).
        var byActivations = OptimalTransportFusion.AlignByActivations(a, b, data.TrainX);
        var byWeights = OptimalTransportFusion.AlignByWeights(a, b);
        using var aligned = b.Permuted(byActivations);
        using var weightsAligned = b.Permuted(byWeights);
        double functionDiff = MaxLogitDifference(b, aligned, data.TestX);

        var paths = new (string Name, PathPoint[] Path)[]
        {
            ("vanilla", InterpolationPath(a, b, data.TestX, data.TestY, PathPoints)),
            ("aligned", InterpolationPath(a, aligned, data.TestX, data.TestY, PathPoints)),
            ("weights_aligned", InterpolationPath(a, weightsAligned, data.TestX, data.TestY, PathPoints)),
        };
        foreach (var (name, path) in paths)
            foreach (var p in path)
            {
                long step = (long)Math.Round(100 * p.T);
                context.Run.Record(step, $"path/{name}_loss", p.Loss);
                context.Run.Record(step, $"path/{name}_accuracy", p.Accuracy);
            }
        var trainPaths = new[]
        {
            InterpolationPath(a, b, data.TrainX, data.TrainY, PathPoints),
            InterpolationPath(a, aligned, data.TrainX, data.TrainY, PathPoints),
        };
        foreach (var (name, path) in new[] { "vanilla", "aligned" }.Zip(trainPaths))
            foreach (var p in path) context.Run.Record((long)Math.Round(100 * p.T), $"path/{name}_train_loss", p.Loss);

        var vanilla = paths[0].Path;
        var alignedPath = paths[1].Path;
        var weightsPath = paths[2].Path;
        double endpointAccuracy = (vanilla[0].Accuracy + vanilla[^1].Accuracy) / 2;
        double vanillaMid = Midpoint(vanilla).Accuracy, alignedMid = Midpoint(alignedPath).Accuracy, weightsMid = Midpoint(weightsPath).Accuracy;
        double vanillaBarrier = Barrier(vanilla), alignedBarrier = Barrier(alignedPath), weightsBarrier = Barrier(weightsPath);
        bool vanillaDrops = endpointAccuracy - vanillaMid >= VanillaDrop;
        bool alignedKeeps = endpointAccuracy - alignedMid <= AlignedGap;
        double vanillaTrainBarrier = Barrier(trainPaths[0]), alignedTrainBarrier = Barrier(trainPaths[1]);
        bool barrierShrinks = alignedBarrier <= BarrierRatio * vanillaBarrier && alignedTrainBarrier <= BarrierRatio * vanillaTrainBarrier;
        bool sameFunction = functionDiff <= FunctionTolerance;

        var (identityCorrelation, alignedCorrelation) = MatchedCorrelations(a, b, byActivations, data.TrainX);
        var agreement = byActivations.Zip(byWeights).Select(p => OptimalTransportFusion.Agreement(p.First, p.Second)).ToArray();
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"test accuracy A {vanilla[0].Accuracy:F3}, B {vanilla[^1].Accuracy:F3} (mean {endpointAccuracy:F3}); at t = ½: vanilla {vanillaMid:F3} " +
            $"({100 * (vanillaMid - endpointAccuracy):+0.0;−0.0;0.0} points, {(vanillaDrops ? "≥" : "<")} {100 * VanillaDrop:F0}), OT-aligned {alignedMid:F3} " +
            $"({100 * (alignedMid - endpointAccuracy):+0.0;−0.0;0.0} points, {(alignedKeeps ? "≤" : ">")} {100 * AlignedGap:F0}), weight-aligned {weightsMid:F3}; " +
            $"test-loss barrier vanilla {vanillaBarrier:F3}, aligned {alignedBarrier:F3} ({alignedBarrier / vanillaBarrier:F3}×), weight-aligned {weightsBarrier:F3}; " +
            $"training-loss barrier vanilla {vanillaTrainBarrier:F3}, aligned {alignedTrainBarrier:F3} ({alignedTrainBarrier / vanillaTrainBarrier:F3}×) ({(barrierShrinks ? "both ≤" : "not both ≤")} {BarrierRatio:F2}×); " +
            $"aligned B vs B max |Δ logit| {functionDiff:0.0e0}{(sameFunction ? "" : " (not the same function)")}; " +
            $"mean matched unit correlation {string.Join(", ", identityCorrelation.Zip(alignedCorrelation).Select(p => $"{p.First:F2} → {p.Second:F2}"))} ({result.Status})");
        var metrics = new Dictionary<string, double>
        {
            ["a_accuracy"] = vanilla[0].Accuracy,
            ["b_accuracy"] = vanilla[^1].Accuracy,
            ["vanilla_mid_accuracy"] = vanillaMid,
            ["aligned_mid_accuracy"] = alignedMid,
            ["weights_aligned_mid_accuracy"] = weightsMid,
            ["vanilla_drop"] = endpointAccuracy - vanillaMid,
            ["aligned_drop"] = endpointAccuracy - alignedMid,
            ["vanilla_barrier"] = vanillaBarrier,
            ["aligned_barrier"] = alignedBarrier,
            ["weights_aligned_barrier"] = weightsBarrier,
            ["vanilla_train_barrier"] = vanillaTrainBarrier,
            ["aligned_train_barrier"] = alignedTrainBarrier,
            ["function_max_diff"] = functionDiff,
        };
        for (int l = 0; l < identityCorrelation.Length; l++)
        {
            metrics[$"correlation_layer{l + 1}_before"] = identityCorrelation[l];
            metrics[$"correlation_layer{l + 1}_after"] = alignedCorrelation[l];
            metrics[$"alignment_agreement_layer{l + 1}"] = agreement[l];
        }
        return new ExperimentResult(vanillaDrops && alignedKeeps && barrierShrinks && sameFunction, detail, metrics, result);
    }

    /// <summary>Test loss and accuracy at <paramref name="points"/> evenly spaced t ∈ [0, 1] of θ(t) = (1 − t)θ_a + tθ_b.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than two points.</exception>
    public static PathPoint[] InterpolationPath(ReluMlp a, ReluMlp b, Tensor x, Tensor y, int points)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        var path = new PathPoint[points];
        for (int i = 0; i < points; i++)
        {
            double t = i / (double)(points - 1);
            using var model = ReluMlp.Interpolate(a, b, t);
            using var scope = NewScope();
            using var noGrad = NoGrad();
            var logits = model.Forward(x);
            path[i] = new PathPoint(t, F.CrossEntropy(logits, y).Item<float>(), ClassificationSplit.Accuracy(logits, y));
        }
        return path;
    }

    /// <summary>
    /// The loss barrier of a path: max over t of loss(t) − ((1 − t)·loss(0) + t·loss(1)), the largest rise above the straight
    /// line between the endpoint losses (0 for a path that is never worse than that line). With equal endpoint losses it is
    /// max_t loss(t) minus their mean; unlike that, it does not count a difference between the endpoints as a barrier.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two points.</exception>
    public static double Barrier(IReadOnlyList<PathPoint> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Count < 2) throw new ArgumentException("a path needs at least its two endpoints", nameof(path));
        double first = path[0].Loss, last = path[^1].Loss, t0 = path[0].T, t1 = path[^1].T;
        return path.Max(p => p.Loss - (first + (last - first) * (p.T - t0) / (t1 - t0)));
    }

    /// <summary>The point of the path closest to t = ½.</summary>
    public static PathPoint Midpoint(IReadOnlyList<PathPoint> path) => path.MinBy(p => Math.Abs(p.T - 0.5));

    /// <summary>The largest |logit difference| between two networks on <paramref name="x"/>.</summary>
    public static double MaxLogitDifference(Module<Tensor, Tensor> first, Module<Tensor, Tensor> second, Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return (first.Forward(x) - second.Forward(x)).Abs().Max().Item<float>();
    }

    /// <summary>
    /// Per hidden layer, the mean Pearson correlation (over the rows of <paramref name="x"/>) between unit i of A and the B unit
    /// paired with it: unit i itself (before alignment), and unit π_l(i) (after).
    /// </summary>
    public static (double[] Before, double[] After) MatchedCorrelations(ReluMlp a, ReluMlp b, IReadOnlyList<int[]> permutations, Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var ha = a.HiddenActivations(x);
        var hb = b.HiddenActivations(x);
        var before = new double[ha.Length];
        var after = new double[ha.Length];
        for (int l = 0; l < ha.Length; l++)
        {
            var r = UnitCorrelations(ha[l], hb[l]);
            int n = permutations[l].Length;
            before[l] = Enumerable.Range(0, n).Average(i => r[i, i]);
            after[l] = Enumerable.Range(0, n).Average(i => r[i, permutations[l][i]]);
        }
        return (before, after);
    }

    /// <summary>Pearson correlations [unit of A, unit of B] of activations [samples, units]; a constant unit correlates 0 with everything.</summary>
    public static double[,] UnitCorrelations(Tensor ha, Tensor hb)
    {
        using var scope = NewScope();
        Tensor Standardise(Tensor h)
        {
            var c = h.Double() - h.Double().Mean(0, keepDim: true);
            var sd = c.Square().Mean(0, keepDim: true).Sqrt();
            return c / sd.Clamp(min: 1e-12);
        }
        return (Standardise(ha).T.Matmul(Standardise(hb)) / (double)ha.Size(0)).Cpu().Contiguous().ToArray2D<double>();
    }
}
