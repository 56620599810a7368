using System.Globalization;
using Research.Experiments.Data;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>How one training rule is applied to a <see cref="DirectFeedbackAlignment"/> MLP in <see cref="DfaExperiment"/>.</summary>
public enum DfaRule
{
    /// <summary>End-to-end backprop (the reference).</summary>
    Backprop,

    /// <summary>Direct Feedback Alignment with fixed random feedback matrices B_l.</summary>
    Dfa,

    /// <summary>Control: DFA with every B_l re-drawn before every step (same update size, nothing fixed to align with).</summary>
    ShuffledFeedback,

    /// <summary>Control: hidden layers frozen at their initial weights, only the output layer trained.</summary>
    ReadoutOnly,
}

/// <summary>Per-seed curves of one rule, measured before training and after every epoch: [seed][evaluation].</summary>
/// <param name="TrainLoss">Cross-entropy on the whole training set.</param>
/// <param name="TestAccuracy">Test accuracy.</param>
/// <param name="WeightAngle">∠(W_L, B_{L−1}) in degrees (DFA rules only, else empty rows).</param>
/// <param name="SignalAngle">∠(δ_rule, δ_backprop) per hidden layer on the test set: [seed][layer][evaluation] (DFA rules only).</param>
public sealed record DfaCurves(double[][] TrainLoss, double[][] TestAccuracy, double[][] WeightAngle, double[][][] SignalAngle);

/// <summary>What <see cref="DfaExperiment"/> produces for the notebook: the curves of every rule over all seeds.</summary>
/// <param name="Seeds">The seeds, in order.</param>
/// <param name="Epochs">Training epochs (evaluation i is after epoch i; 0 is the initial state).</param>
/// <param name="Rules">The curves per rule.</param>
public sealed record DfaOutcome(IReadOnlyList<ulong> Seeds, int Epochs, IReadOnlyDictionary<DfaRule, DfaCurves> Rules)
{
    /// <summary>The final value of <paramref name="curve"/> in every seed.</summary>
    public static SeedSummary Final(double[][] curve) => new(curve.Select(c => c[^1]));
}

/// <summary>
/// Nøkland (2016) and Launay et al. (2020), Direct Feedback Alignment — the experiment of notebooks/locallearning/dfa.ipynb.
/// Four copies of one tanh MLP (64 → 256 → 256 → 256 → 10, the same initial weights per seed) are trained on sklearn
/// digits with the same Adam steps and batches: by backprop, by DFA, by DFA with feedback re-drawn every step (control:
/// is a FIXED B what matters?) and readout-only (control: hidden layers frozen at init, only W_L trained — what the
/// hidden layers' learning adds). Metrics per step: <c>seed{s}/{rule}/loss</c>; before training and per epoch:
/// <c>seed{s}/{rule}/train_loss</c>, <c>seed{s}/{rule}/test_accuracy</c>, and for the DFA rules
/// <c>seed{s}/{rule}/weight_angle</c> and <c>seed{s}/{rule}/signal_angle_layer{l}</c>.
/// </summary>
public sealed class DfaExperiment : IExperiment
{
    /// <summary>Hidden layer widths of the MLP.</summary>
    public static readonly long[] Hidden = [256, 256, 256];

    /// <summary>All rules, in the order they are trained and drawn.</summary>
    public static readonly DfaRule[] Rules = [DfaRule.Backprop, DfaRule.Dfa, DfaRule.ShuffledFeedback, DfaRule.ReadoutOnly];

    /// <inheritdoc />
    public string Id => "dfa";

    /// <inheritdoc />
    public string Family => "backprop-free & local learning";

    /// <inheritdoc />
    public string Title => "Direct Feedback Alignment on digits (Nøkland, 2016; Launay et al., 2020)";

    /// <inheritdoc />
    public string? Narrower => "one tanh MLP (64→256×3→10) on sklearn digits, not the paper's range of architectures and tasks";

    /// <inheritdoc />
    public string Claim =>
        "an MLP trained by DFA reaches a digits test accuracy within 3 points (smoke: 8) of the same MLP trained by backprop, " +
        "and its hidden layers learn: its final training loss is at most half that of the readout-only control (hidden layers frozen) " +
        "and of the shuffled-feedback control (B re-drawn every step); cpu: mean over 5 seeds, gap in ≥ 4 seeds and loss ratios in every seed " +
        "(smoke, 1 seed: loss ratios below 1)";

    /// <summary>The largest allowed backprop − DFA test accuracy (points) at <paramref name="scale"/>.</summary>
    public static double AllowedGap(Scale scale) => scale == Scale.Smoke ? 8 : 3;

    /// <summary>The largest allowed DFA / control final training loss at <paramref name="scale"/>.</summary>
    public static double AllowedLossRatio(Scale scale) => scale == Scale.Smoke ? 1 : 0.5;

    /// <summary>The metric name of a rule: backprop, dfa, shuffled, readout.</summary>
    public static string Key(DfaRule rule) => rule switch
    {
        DfaRule.Backprop => "backprop",
        DfaRule.Dfa => "dfa",
        DfaRule.ShuffledFeedback => "shuffled",
        _ => "readout",
    };

    /// <summary>The name a reader sees.</summary>
    public static string Label(DfaRule rule) => rule switch
    {
        DfaRule.Backprop => "backprop",
        DfaRule.Dfa => "DFA",
        DfaRule.ShuffledFeedback => "shuffled feedback",
        _ => "readout only",
    };

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var seeds = context.Seeds(smoke: 1, cpu: 5, gpu: 5);
        int epochs = context.ByScale(4, 60, 60);
        const int batchSize = 64;
        const double lr = 1e-3, testFraction = 0.2;
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction, seed: 0, context.Device);
        context.Run.AddHyperparameters(new { epochs, seeds = seeds.Count, batch_size = batchSize, hidden = Hidden, lr, test_fraction = testFraction, tuned = "nothing: Adam 1e-3 for every rule" });

        var runs = seeds.Select(seed => TrainSeed(context, data, seed, epochs, batchSize, lr)).ToArray();
        var outcome = new DfaOutcome(seeds, epochs, Rules.ToDictionary(r => r, r => new DfaCurves(
            runs.Select(s => s[r].TrainLoss).ToArray(), runs.Select(s => s[r].TestAccuracy).ToArray(),
            runs.Select(s => s[r].WeightAngle).ToArray(), runs.Select(s => s[r].SignalAngle).ToArray())));
        return Check(context.Scale, outcome);
    }

    /// <summary>The claim check over the seeds of <paramref name="outcome"/>.</summary>
    public static ExperimentResult Check(Scale scale, DfaOutcome outcome)
    {
        SeedSummary Loss(DfaRule r) => DfaOutcome.Final(outcome.Rules[r].TrainLoss);
        SeedSummary Accuracy(DfaRule r) => DfaOutcome.Final(outcome.Rules[r].TestAccuracy);
        var gap = new SeedSummary(Accuracy(DfaRule.Backprop).Minus(Accuracy(DfaRule.Dfa)).Values.Select(v => 100 * v));
        SeedSummary Ratio(DfaRule control) => new(Loss(DfaRule.Dfa).Values.Zip(Loss(control).Values, (d, c) => d / c));
        int n = outcome.Seeds.Count;
        var check = new ClaimCheck()
            .AtMost("backprop − DFA test accuracy (points)", gap, AllowedGap(scale), minSeeds: Math.Max(1, n - 1), format: "F2")
            .AtMost("DFA / readout-only final training loss", Ratio(DfaRule.ReadoutOnly), AllowedLossRatio(scale), format: "F3")
            .AtMost("DFA / shuffled-feedback final training loss", Ratio(DfaRule.ShuffledFeedback), AllowedLossRatio(scale), format: "F3");
        var metrics = new Dictionary<string, double> { ["accuracy_gap_points"] = gap.Mean };
        foreach (var r in Rules)
        {
            metrics[$"{Key(r)}_test_accuracy"] = Accuracy(r).Mean;
            metrics[$"{Key(r)}_train_loss"] = Loss(r).Mean;
        }
        var dfa = outcome.Rules[DfaRule.Dfa];
        metrics["dfa_weight_angle_initial"] = dfa.WeightAngle.Average(a => a[0]);
        metrics["dfa_weight_angle_final"] = dfa.WeightAngle.Average(a => a[^1]);
        return check.Result(metrics, outcome: outcome);
    }

    private sealed record SeedCurves(double[] TrainLoss, double[] TestAccuracy, double[] WeightAngle, double[][] SignalAngle);

    private static Dictionary<DfaRule, SeedCurves> TrainSeed(ExperimentContext context, ClassificationSplit data, ulong seed, int epochs, int batchSize, double lr)
    {
        var sampler = new EpochSampler(data.TrainRows, batchSize, seed, shuffle: true, dropLast: false);
        var models = new Dictionary<DfaRule, DirectFeedbackAlignment>();
        var optimisers = new Dictionary<DfaRule, Adam>();
        foreach (var rule in Rules)
        {
            ManualSeed(seed);                                      // the same W and B in every copy
            var model = new DirectFeedbackAlignment(data.Features, Hidden, data.Classes, device: context.Device);
            models[rule] = model;
            optimisers[rule] = new Adam(rule == DfaRule.ReadoutOnly ? model.Layers[^1].Parameters() : model.Parameters(), lr: lr);
        }
        var curves = Rules.ToDictionary(r => r, _ => (Loss: new List<double>(), Accuracy: new List<double>(), Weight: new List<double>(),
            Signal: Hidden.Select(_ => new List<double>()).ToArray()));
        try
        {
            void Evaluate(long step)
            {
                foreach (var rule in Rules)
                {
                    var (model, c, name) = (models[rule], curves[rule], $"seed{seed}/{Key(rule)}");
                    c.Loss.Add(TrainLoss(model, data));
                    c.Accuracy.Add(data.TestAccuracy(model));
                    context.Run.Record(step, $"{name}/train_loss", c.Loss[^1]);
                    context.Run.Record(step, $"{name}/test_accuracy", c.Accuracy[^1]);
                    if (rule is not (DfaRule.Dfa or DfaRule.ShuffledFeedback)) continue;
                    var angles = Alignment(model, data);
                    c.Weight.Add(angles["alignment/weight_angle"]);
                    context.Run.Record(step, $"{name}/weight_angle", c.Weight[^1]);
                    for (int l = 0; l < Hidden.Length; l++)
                    {
                        c.Signal[l].Add(angles[$"alignment/signal_angle_layer{l + 1}"]);
                        context.Run.Record(step, $"{name}/signal_angle_layer{l + 1}", c.Signal[l][^1]);
                    }
                }
            }
            Evaluate(0);
            sampler.Run(epochs, data.TrainX, data.TrainY, (step, x, y) =>
            {
                foreach (var rule in Rules)
                {
                    var loss = Step(rule, models[rule], optimisers[rule], x, y);
                    context.Run.Record(step + 1, $"seed{seed}/{Key(rule)}/loss", loss);
                }
            }, Evaluate, context.Cancellation);
            return Rules.ToDictionary(r => r, r => new SeedCurves(curves[r].Loss.ToArray(), curves[r].Accuracy.ToArray(),
                curves[r].Weight.ToArray(), curves[r].Signal.Select(s => s.ToArray()).ToArray()));
        }
        finally
        {
            foreach (var rule in Rules)
            {
                optimisers[rule].Dispose();
                models[rule].Dispose();
            }
        }
    }

    /// <summary>One update of <paramref name="model"/> by <paramref name="rule"/> on a batch; returns the batch loss.</summary>
    public static double Step(DfaRule rule, DirectFeedbackAlignment model, Optimizer optimiser, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        optimiser.ZeroGrad();
        Tensor loss;
        switch (rule)
        {
            case DfaRule.Dfa:
                loss = model.DfaGradients(x, y);                     // writes the DFA update into .Grad
                break;
            case DfaRule.ShuffledFeedback:
                model.RedrawFeedback();                              // a new B_l every step
                loss = model.DfaGradients(x, y);
                break;
            default:                                                 // backprop; readout-only steps W_L alone
                loss = F.CrossEntropy(model.Forward(x), y);
                loss.Backward();
                break;
        }
        optimiser.Step();
        return loss.Item<float>();
    }

    /// <summary>Mean cross-entropy of <paramref name="model"/> on the whole training set.</summary>
    public static double TrainLoss(DirectFeedbackAlignment model, ClassificationSplit data)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return F.CrossEntropy(model.Forward(data.TrainX), data.TrainY).Item<float>();
    }

    /// <summary>
    /// The alignment of a DFA-trained model, in degrees: ∠(W_L, B_{L−1}) between the output weights and the last feedback
    /// matrix (<c>alignment/weight_angle</c>), and per hidden layer the angle between its DFA and backprop error signals on
    /// the test set (<c>alignment/signal_angle_layer{l}</c>).
    /// </summary>
    public static Dictionary<string, double> Alignment(DirectFeedbackAlignment model, ClassificationSplit data)
    {
        using var scope = NewScope();
        int hiddenLayers = model.Layers.Length - 1;
        var angles = new Dictionary<string, double>
        {
            ["alignment/weight_angle"] = DirectFeedbackAlignment.AngleDegrees(model.Layers[^1].Weight, model.Feedback(hiddenLayers - 1)),
        };
        var (dfaDelta, bpDelta) = model.HiddenDeltas(data.TestX, data.TestY);
        for (int l = 0; l < hiddenLayers; l++) angles[$"alignment/signal_angle_layer{l + 1}"] = DirectFeedbackAlignment.AngleDegrees(dfaDelta[l], bpDelta[l]);
        return angles;
    }
}
