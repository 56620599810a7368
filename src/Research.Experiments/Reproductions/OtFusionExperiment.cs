using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Dynamics;
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

/// <summary>One pair of networks: the linear paths from A to B as trained, to B aligned by activations and by weights (test set), and on the training set.</summary>
/// <param name="Seed">The pair's seed s (A from 2s, B from 2s + 1).</param>
/// <param name="Vanilla">Test loss and accuracy along θ(t) = (1 − t)θ_A + tθ_B.</param>
/// <param name="Aligned">The same with B's hidden units aligned to A's by OT on activations.</param>
/// <param name="WeightsAligned">The same with B aligned by OT on weights.</param>
/// <param name="VanillaTrain">Training-set loss and accuracy along the vanilla path.</param>
/// <param name="AlignedTrain">Training-set loss and accuracy along the aligned path.</param>
public sealed record OtFusionPair(ulong Seed, PathPoint[] Vanilla, PathPoint[] Aligned, PathPoint[] WeightsAligned, PathPoint[] VanillaTrain, PathPoint[] AlignedTrain)
{
    /// <summary>The mean test accuracy of the two endpoints.</summary>
    public double EndpointAccuracy => (Vanilla[0].Accuracy + Vanilla[^1].Accuracy) / 2;
}

/// <summary>What the OT-fusion notebook draws: every pair's paths, the summaries over pairs, and the first pair's plans and correlations.</summary>
/// <param name="Pairs">Every pair of networks.</param>
/// <param name="EndpointAccuracy">The endpoints' mean test accuracy, over pairs.</param>
/// <param name="VanillaDrop">Endpoint mean − plain average's test accuracy at t = ½, over pairs.</param>
/// <param name="AlignedDrop">The same for the OT-aligned (activations) average.</param>
/// <param name="WeightsAlignedDrop">The same for the weight-aligned average.</param>
/// <param name="TestBarrierRatio">Aligned / vanilla loss barrier on the test set, over pairs.</param>
/// <param name="TrainBarrierRatio">Aligned / vanilla loss barrier on the training set, over pairs.</param>
/// <param name="Permutations">The first pair's plans: for every hidden layer, the B unit matched to each A unit.</param>
/// <param name="CorrelationBefore">The first pair's middle-layer unit correlations on the test set, A (rows) × B (columns).</param>
/// <param name="CorrelationAfter">The same against B aligned.</param>
public sealed record OtFusionOutcome(IReadOnlyList<OtFusionPair> Pairs, SeedSummary EndpointAccuracy, SeedSummary VanillaDrop, SeedSummary AlignedDrop,
    SeedSummary WeightsAlignedDrop, SeedSummary TestBarrierRatio, SeedSummary TrainBarrierRatio, int[][] Permutations, double[][] CorrelationBefore,
    double[][] CorrelationAfter);

/// <summary>
/// Singh &amp; Jaggi (NeurIPS 2020), "Model Fusion via Optimal Transport" — the experiment of notebooks/weightspace/ot-fusion.ipynb.
/// Pairs of ReLU MLPs 64 → 128 → 128 → 128 → 10 are trained on sklearn digits from different seeds (different initialisation and data
/// order, same Adam steps). Then B's hidden units are aligned to A's by exact OT on their activations over the training set
/// (<see cref="OptimalTransportFusion.AlignByActivations"/>; the weight-based alignment is measured too), and the test loss
/// and accuracy are evaluated along θ(t) = (1 − t)θ_A + tθ_B with and without the alignment.
/// Metrics of pair k per step: <c>seed{k}/a/loss</c>, <c>seed{k}/b/loss</c>; per epoch: <c>seed{k}/{a,b}/accuracy</c> (test);
/// along the path (step = round(100 t)): <c>seed{k}/path/{vanilla,aligned,weights_aligned}_accuracy</c>. The result's outcome is an
/// <see cref="OtFusionOutcome"/>.
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
    public string? Narrower => "two same-width MLPs on sklearn digits, fused without fine-tuning";

    /// <inheritdoc />
    public string Claim => string.Create(CultureInfo.InvariantCulture,
        $"of pairs of ReLU MLPs 64→128→128→128→10 trained on digits from different seeds (5 pairs; smoke: 1, 10 epochs), the plain weight average " +
        $"loses at least {100 * VanillaDrop:F0} points of test accuracy against the endpoints' mean, while the average after aligning B's hidden units " +
        $"to A's by exact OT (a permutation, on activations) stays within {100 * AlignedGap:F0} points of it; and the loss barrier of the linear path, " +
        $"on the test and on the training set, shrinks to at most {BarrierRatio:F2}× the vanilla one — in the mean and in every pair");

    /// <summary>Pairs of networks: 1 at smoke scale, 5 otherwise (the vanilla drop varies a lot from pair to pair).</summary>
    public static int Pairs(Scale scale) => scale == Scale.Smoke ? 1 : 5;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int epochs = Epochs(context.Scale);
        const double testFraction = 0.2;
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction, seed: 0, context.Device);
        var seeds = context.Seeds(Pairs(context.Scale));
        context.Run.AddHyperparameters(new
        {
            epochs, batch_size = BatchSize, sizes = Sizes, lr = LearningRate, test_fraction = testFraction, path_points = PathPoints, pairs = seeds.Count,
            vanilla_drop = VanillaDrop, aligned_gap = AlignedGap, barrier_ratio = BarrierRatio,
        });

        var pairs = new List<OtFusionPair>();
        TrainingResult? training = null;
        double[][]? before = null, after = null;
        int[][]? permutations = null;
        for (int k = 0; k < seeds.Count; k++)
        {
            // A and B differ in their initialisation and in the order they see the data: seeds 2s and 2s + 1.
            ulong seedA = 2 * seeds[k], seedB = seedA + 1;
            (var a, var b, training) = TrainPair(context, data, epochs, seedA, seedB, $"seed{k}");
            using (a)
            using (b)
            {
                // Align B to A by activations on the whole training set (the claim), and by weights (measured alongside).
                var byActivations = OptimalTransportFusion.AlignByActivations(a, b, data.TrainX);
                using var aligned = b.Permuted(byActivations);
                using var weightsAligned = b.Permuted(OptimalTransportFusion.AlignByWeights(a, b));
                pairs.Add(new OtFusionPair(seeds[k],
                    InterpolationPath(a, b, data.TestX, data.TestY, PathPoints), InterpolationPath(a, aligned, data.TestX, data.TestY, PathPoints),
                    InterpolationPath(a, weightsAligned, data.TestX, data.TestY, PathPoints),
                    InterpolationPath(a, b, data.TrainX, data.TrainY, PathPoints), InterpolationPath(a, aligned, data.TrainX, data.TrainY, PathPoints)));
                if (k == 0)
                {
                    permutations = byActivations;
                    (before, after) = MiddleLayerCorrelations(a, b, aligned, data.TestX);
                }
            }
            foreach (var (name, path) in new[] { ("vanilla", pairs[k].Vanilla), ("aligned", pairs[k].Aligned), ("weights_aligned", pairs[k].WeightsAligned) })
                foreach (var p in path) context.Run.Record((long)Math.Round(100 * p.T), $"seed{k}/path/{name}_accuracy", p.Accuracy);
        }

        var endpoints = new SeedSummary(pairs.Select(p => p.EndpointAccuracy));
        var vanillaDrop = new SeedSummary(pairs.Select(p => p.EndpointAccuracy - Midpoint(p.Vanilla).Accuracy));
        var alignedDrop = new SeedSummary(pairs.Select(p => p.EndpointAccuracy - Midpoint(p.Aligned).Accuracy));
        var weightsDrop = new SeedSummary(pairs.Select(p => p.EndpointAccuracy - Midpoint(p.WeightsAligned).Accuracy));
        var testRatio = new SeedSummary(pairs.Select(p => Barrier(p.Aligned) / Barrier(p.Vanilla)));
        var trainRatio = new SeedSummary(pairs.Select(p => Barrier(p.AlignedTrain) / Barrier(p.VanillaTrain)));
        var check = new ClaimCheck()
            .AtLeast("vanilla average: test-accuracy drop at t = ½ (endpoint mean − midpoint)", vanillaDrop, VanillaDrop, format: "F3")
            .AtMost("OT-aligned average: test-accuracy drop at t = ½", alignedDrop, AlignedGap, format: "F3")
            .AtMost("test-loss barrier, aligned / vanilla", testRatio, BarrierRatio, format: "F3")
            .AtMost("training-loss barrier, aligned / vanilla", trainRatio, BarrierRatio, format: "F3");
        var metrics = new Dictionary<string, double>
        {
            ["endpoint_accuracy"] = endpoints.Mean, ["vanilla_drop"] = vanillaDrop.Mean, ["aligned_drop"] = alignedDrop.Mean,
            ["weights_aligned_drop"] = weightsDrop.Mean, ["test_barrier_ratio"] = testRatio.Mean, ["train_barrier_ratio"] = trainRatio.Mean,
            ["aligned_beats_vanilla_seeds"] = alignedDrop.WinsBelow(vanillaDrop),
        };
        return check.Result(metrics, training, new OtFusionOutcome(pairs, endpoints, vanillaDrop, alignedDrop, weightsDrop, testRatio, trainRatio,
            permutations!, before!, after!));
    }

    // Two MLPs trained side by side on the same steps: A from seedA, B from seedB (initialisation and data order).
    private static (ReluMlp A, ReluMlp B, TrainingResult Training) TrainPair(ExperimentContext context, ClassificationSplit data, int epochs,
        ulong seedA, ulong seedB, string prefix)
    {
        ManualSeed(seedA);
        var a = new ReluMlp(Sizes, device: context.Device);
        ManualSeed(seedB);
        var b = new ReluMlp(Sizes, device: context.Device);
        var training = ClassifierPair.Train(context, data, a, b, epochs, BatchSize, LearningRate, seedA, seedB, prefix);
        return (a, b, training);
    }

    // Unit correlations of the middle hidden layer on x: A against B in B's order, and against B aligned.
    private static (double[][] Before, double[][] After) MiddleLayerCorrelations(ReluMlp a, ReluMlp b, ReluMlp aligned, Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        int middle = Sizes.Length / 2 - 1;
        var ha = a.HiddenActivations(x)[middle];
        return (UnitMatching.Rows(UnitMatching.Correlations(ha, b.HiddenActivations(x)[middle])),
            UnitMatching.Rows(UnitMatching.Correlations(ha, aligned.HiddenActivations(x)[middle])));
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
}
