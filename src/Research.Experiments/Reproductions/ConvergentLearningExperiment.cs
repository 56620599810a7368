using System.Globalization;
using Research.Models.Dynamics;
using Research.Experiments.Data;
using Research.Models.WeightSpace;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>One layer of one pair of networks: each unit of A's correlation with its matched and its best partner in B.</summary>
/// <param name="Matched">r[i, σ*(i)] per unit i of A under the one-to-one matching σ*.</param>
/// <param name="Best">max_j r[i, j] per unit i of A (semi-matching).</param>
/// <param name="Permuted">The mean correlation under a random one-to-one assignment: the mean of all entries of r.</param>
/// <param name="Live">Per unit of A: whether it varies on the inputs (a dead ReLU unit is constant and correlates 0 with everything).</param>
public sealed record LayerMatch(double[] Matched, double[] Best, double Permuted, bool[] Live)
{
    /// <summary>The mean matched correlation.</summary>
    public double MeanMatched => Matched.Average();

    /// <summary>The fraction of A's units whose matched correlation is at least <paramref name="r"/>.</summary>
    public double FractionAtLeast(double r) => Matched.Count(v => v >= r) / (double)Matched.Length;

    /// <summary>The fraction of A's live units whose matched correlation is below <paramref name="r"/> (dead units are not counted).</summary>
    public double LiveFractionBelow(double r) =>
        Matched.Where((v, i) => Live[i] && v < r).Count() / (double)Math.Max(1, Live.Count(l => l));
}

/// <summary>One pair of networks: test accuracies, and every layer matched after training and at initialisation (the control).</summary>
/// <param name="Seed">The pair's seed s (A from 2s, B from 2s + 1).</param>
/// <param name="AccuracyA">A's test accuracy after training.</param>
/// <param name="AccuracyB">B's test accuracy after training.</param>
/// <param name="Trained">Per layer, the trained networks.</param>
/// <param name="Untrained">Per layer, the same two networks at initialisation.</param>
public sealed record ConvergentPair(ulong Seed, double AccuracyA, double AccuracyB, LayerMatch[] Trained, LayerMatch[] Untrained);

/// <summary>What the convergent-learning notebook draws.</summary>
/// <param name="Pairs">Every pair of networks.</param>
/// <param name="Before">Pair 0, per layer: the correlations A (rows) × B (columns), both in their own order.</param>
/// <param name="After">Pair 0, per layer: the same with B's units matched to A's and both sorted by matched correlation (the diagonal).</param>
/// <param name="UntrainedAfter">Pair 0, per layer: the matched and sorted correlations of the untrained networks.</param>
public sealed record ConvergentLearningOutcome(IReadOnlyList<ConvergentPair> Pairs, double[][][] Before, double[][][] After, double[][][] UntrainedAfter)
{
    /// <summary>Per pair: the mean matched correlation of layer <paramref name="layer"/>, trained or untrained.</summary>
    public SeedSummary MeanMatched(int layer, bool trained = true) =>
        new(Pairs.Select(p => (trained ? p.Trained : p.Untrained)[layer].MeanMatched));

    /// <summary>Per pair: how many hidden units (all layers) have a matched correlation ≥ <paramref name="r"/>, trained or untrained.</summary>
    public SeedSummary UnitsAtLeast(double r, bool trained = true) =>
        new(Pairs.Select(p => (double)(trained ? p.Trained : p.Untrained).Sum(l => l.Matched.Count(v => v >= r))));

    /// <summary>Per pair: the largest matched correlation of layer <paramref name="layer"/> (its most convergent unit), trained or untrained.</summary>
    public SeedSummary BestMatched(int layer, bool trained = true) =>
        new(Pairs.Select(p => (trained ? p.Trained : p.Untrained)[layer].Matched.Max()));
}

/// <summary>
/// Li, Yosinski, Clune, Lipson &amp; Hopcroft (ICLR 2016), "Convergent Learning: Do different neural networks learn the same
/// representations?" — the experiment of notebooks/dynamics/convergent-learning.ipynb. Pairs of ReLU MLPs
/// 64 → 64 → 64 → 64 → 10 (<see cref="ReluMlp"/>) are trained on sklearn digits from different seeds — different
/// initialisation and data order, the same Adam steps. Each hidden layer's units are then compared across the pair on the
/// held-out digits: Pearson correlation, a one-to-one matching by the assignment solver (<see cref="UnitMatching"/>) and each
/// unit's best partner. The same two networks at initialisation are the control. Metrics per step: <c>seed{k}/{a,b}/loss</c>;
/// per epoch: <c>seed{k}/{a,b}/accuracy</c> (test); after training: <c>seed{k}/layer{l}/matched</c>. The outcome is a
/// <see cref="ConvergentLearningOutcome"/>.
/// </summary>
public sealed class ConvergentLearningExperiment : IExperiment
{
    /// <summary>Layer widths: 64 pixels, three hidden layers of 64 units (the units compared), 10 classes.</summary>
    public static readonly long[] Sizes = [64, 64, 64, 64, 10];

    /// <summary>Hidden layers compared.</summary>
    public static int Layers => Sizes.Length - 2;

    /// <summary>A unit with matched correlation at least this has a near-perfect counterpart in the other network.</summary>
    public const double NearPerfect = 0.9;

    /// <summary>The smoke check's weaker bar for the best matched unit (5 epochs leave the units less converged).</summary>
    public const double SmokeNearPerfect = 0.8;

    /// <summary>The bar the best matched unit of the network must reach: <see cref="NearPerfect"/>, at smoke scale <see cref="SmokeNearPerfect"/>.</summary>
    public static double BestMatchBar(Scale scale) => scale == Scale.Smoke ? SmokeNearPerfect : NearPerfect;

    /// <summary>A unit with matched correlation below this has no counterpart (it is not shared).</summary>
    public const double Unshared = 0.5;

    /// <summary>The least gap, trained − untrained, in mean matched correlation that counts as far above the control.</summary>
    public const double ControlGap = 0.1;

    /// <summary>Adam's learning rate (both networks).</summary>
    public const double LearningRate = 1e-3;

    /// <summary>Minibatch size.</summary>
    public const int BatchSize = 64;

    /// <summary>Training epochs: 5 at smoke scale, 30 otherwise.</summary>
    public static int Epochs(Scale scale) => scale == Scale.Smoke ? 5 : 30;

    /// <summary>Pairs of networks: 1 at smoke scale, 5 at cpu scale, 10 at gpu scale.</summary>
    public static int PairCount(Scale scale) => scale switch { Scale.Smoke => 1, Scale.Cpu => 5, _ => 10 };

    /// <inheritdoc />
    public string Id => "convergent-learning";

    /// <inheritdoc />
    public string Family => "representation geometry & learning dynamics";

    /// <inheritdoc />
    public string Title => "Convergent learning: do different networks learn the same units? (Li et al., ICLR 2016)";

    /// <inheritdoc />
    public string? Narrower => "MLPs with three hidden layers on sklearn digits instead of AlexNet on ImageNet; one-to-one matching and best partners only " +
        "(no sparse prediction or spectral clustering); no depth trend is claimed, and the near-perfect counterparts are in the " +
        "second and third layers (the first layer's best match stays just under 0.9 in most pairs)";

    /// <inheritdoc />
    public string Claim => string.Create(CultureInfo.InvariantCulture,
        $"of pairs of MLPs trained on digits from different seeds, their hidden units matched one-to-one by activation correlation: " +
        $"some units have a near-perfect counterpart (matched r ≥ {NearPerfect}), more of them than in the same two networks untrained; every layer has " +
        $"live units with none (matched r < {Unshared}), " +
        $"and its mean matched correlation is at least {ControlGap} above that of the same two networks untrained (the control) — " +
        $"in every pair");

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int epochs = Epochs(context.Scale);
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction: 0.2, seed: 0, context.Device);
        var seeds = context.Seeds(PairCount(context.Scale));
        context.Run.AddHyperparameters(new
        {
            epochs, batch_size = BatchSize, lr = LearningRate, sizes = Sizes, pairs = seeds.Count, near_perfect = NearPerfect, unshared = Unshared,
            control_gap = ControlGap,
        });

        var pairs = new List<ConvergentPair>();
        TrainingResult? training = null;
        double[][][]? before = null, after = null, untrainedAfter = null;
        for (int k = 0; k < seeds.Count; k++)
        {
            ulong seedA = 2 * seeds[k], seedB = seedA + 1;
            using var a = Network(seedA, context.Device);
            using var b = Network(seedB, context.Device);
            var untrained = Compare(a, b, data.TestX);
            training = ClassifierPair.Train(context, data, a, b, epochs, BatchSize, LearningRate, seedA, seedB, $"seed{k}");
            var trained = Compare(a, b, data.TestX);
            pairs.Add(new ConvergentPair(seeds[k], data.TestAccuracy(a), data.TestAccuracy(b),
                trained.Select(t => t.Match).ToArray(), untrained.Select(t => t.Match).ToArray()));
            for (int l = 0; l < Layers; l++) context.Run.Record(training.Steps, $"seed{k}/layer{l + 1}/matched", trained[l].Match.MeanMatched);
            if (k == 0)
            {
                before = trained.Select(t => UnitMatching.Rows(t.Correlation)).ToArray();
                after = trained.Select(t => UnitMatching.SortedByMatch(t.Correlation, t.Assignment)).ToArray();
                untrainedAfter = untrained.Select(t => UnitMatching.SortedByMatch(t.Correlation, t.Assignment)).ToArray();
            }
        }

        var outcome = new ConvergentLearningOutcome(pairs, before!, after!, untrainedAfter!);
        var check = new ClaimCheck().AtLeast("best matched correlation of any hidden unit (a near-perfect counterpart)",
            new SeedSummary(pairs.Select(p => p.Trained.Max(l => l.Matched.Max()))), BestMatchBar(context.Scale), format: "F3")
            .AtLeast("units with a near-perfect counterpart, trained − untrained (control)",
                outcome.UnitsAtLeast(BestMatchBar(context.Scale)).Minus(outcome.UnitsAtLeast(BestMatchBar(context.Scale), trained: false)), 1, format: "F1");
        for (int l = 0; l < Layers; l++)
        {
            int layer = l;
            check.AtLeast($"layer {l + 1}: fraction of live units with matched r < {Unshared} (not shared)",
                    new SeedSummary(pairs.Select(p => p.Trained[layer].LiveFractionBelow(Unshared))), 1.0 / Sizes[l + 1], format: "F3")
                .AtLeast($"layer {l + 1}: mean matched correlation, trained − untrained (control)",
                    outcome.MeanMatched(l).Minus(outcome.MeanMatched(l, trained: false)), ControlGap, format: "F3");
        }
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = pairs.Average(p => (p.AccuracyA + p.AccuracyB) / 2),
        };
        for (int l = 0; l < Layers; l++)
        {
            metrics[$"layer{l + 1}/matched"] = outcome.MeanMatched(l).Mean;
            metrics[$"layer{l + 1}/untrained_matched"] = outcome.MeanMatched(l, trained: false).Mean;
            metrics[$"layer{l + 1}/best"] = pairs.Average(p => p.Trained[l].Best.Average());
            metrics[$"layer{l + 1}/best_matched"] = outcome.BestMatched(l).Mean;
            metrics[$"layer{l + 1}/permuted"] = pairs.Average(p => p.Trained[l].Permuted);
            metrics[$"layer{l + 1}/near_perfect_fraction"] = pairs.Average(p => p.Trained[l].FractionAtLeast(NearPerfect));
            metrics[$"layer{l + 1}/dead_units"] = pairs.Average(p => p.Trained[l].Live.Count(v => !v));
            metrics[$"layer{l + 1}/unshared_fraction"] = pairs.Average(p => p.Trained[l].LiveFractionBelow(Unshared));
        }
        return check.Result(metrics, training, outcome);
    }

    /// <summary>The compared network, initialised from <paramref name="seed"/> (PyTorch's default initialisation).</summary>
    public static ReluMlp Network(ulong seed, Device? device = null)
    {
        ManualSeed(seed);
        return new ReluMlp(Sizes, device: device);
    }

    /// <summary>Per hidden layer: the A × B unit correlations on <paramref name="x"/>, the matching and its summary.</summary>
    public static (double[,] Correlation, int[] Assignment, LayerMatch Match)[] Compare(ReluMlp a, ReluMlp b, Tensor x)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return a.HiddenActivations(x).Zip(b.HiddenActivations(x), (u, v) =>
        {
            var r = UnitMatching.Correlations(u, v);
            var match = UnitMatching.Match(r);
            double mean = 0;
            foreach (var value in r) mean += value;
            var live = (u.Amax([0L]) - u.Amin([0L])).Double().Cpu().Contiguous().ToArray<double>().Select(range => range > 0).ToArray();
            return (r, match, new LayerMatch(UnitMatching.MatchedCorrelations(r, match), UnitMatching.BestCorrelations(r), mean / r.Length, live));
        }).ToArray();
    }
}
