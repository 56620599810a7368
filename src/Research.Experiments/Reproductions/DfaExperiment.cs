using System.Globalization;
using Research.Experiments.Data;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Nøkland (2016) and Launay et al. (2020), Direct Feedback Alignment — the experiment of notebooks/locallearning/dfa.ipynb:
/// two copies of one tanh MLP (64 → 256 → 256 → 256 → 10, same initial weights) trained on sklearn digits with the same
/// Adam steps, one from <see cref="DirectFeedbackAlignment.DfaGradients"/>, one by backprop. Metrics per step:
/// <c>dfa/loss</c>, <c>backprop/loss</c>; per epoch (and at step 0): <c>eval/dfa_accuracy</c>, <c>eval/backprop_accuracy</c>,
/// <c>alignment/weight_angle</c> (∠(W_L, B_{L−1}) in degrees) and <c>alignment/signal_angle_layer{l}</c> (∠(δ_DFA, δ_BP)).
/// </summary>
public sealed class DfaExperiment : IExperiment
{
    /// <summary>Hidden layer widths of the MLP.</summary>
    public static readonly long[] Hidden = [256, 256, 256];

    /// <inheritdoc />
    public string Id => "dfa";

    /// <inheritdoc />
    public string Family => "backprop-free & local learning";

    /// <inheritdoc />
    public string Title => "Direct Feedback Alignment on digits (Nøkland, 2016; Launay et al., 2020)";

    /// <inheritdoc />
    public string Claim =>
        "an MLP trained by DFA reaches a digits test accuracy within 3 points (smoke: 8) of the same MLP trained by backprop, " +
        "and its output weights align with the feedback: ∠(W_L, B) ends below 90° and below its initial value, and every layer's DFA signal ends within 90° of backprop's";

    /// <summary>The largest allowed backprop − DFA test accuracy at <paramref name="scale"/>.</summary>
    public static double AllowedGap(Scale scale) => scale == Scale.Smoke ? 0.08 : 0.03;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int epochs = context.ByScale(8, 60, 60);
        const int batchSize = 64;
        const double lr = 1e-3, testFraction = 0.2;
        double allowedGap = AllowedGap(context.Scale);
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction, seed: 0, context.Device);
        var sampler = new EpochSampler(data.TrainRows, batchSize, context.Seed, shuffle: true, dropLast: false);
        long steps = (long)epochs * sampler.BatchesPerEpoch;
        context.Run.AddHyperparameters(new { epochs, steps, batch_size = batchSize, hidden = Hidden, lr, test_fraction = testFraction, allowed_gap = allowedGap });

        ManualSeed(context.Seed);
        using var dfa = new DirectFeedbackAlignment(data.Features, Hidden, data.Classes, device: context.Device);
        ManualSeed(context.Seed);
        using var bp = new DirectFeedbackAlignment(data.Features, Hidden, data.Classes, device: context.Device);   // same initial weights
        using var dfaOpt = new Adam(dfa.Parameters(), lr: lr);
        using var bpOpt = new Adam(bp.Parameters(), lr: lr);
        var state = new TensorState { { "dfa", new ModuleState(dfa, dfaOpt) }, { "backprop", new ModuleState(bp, bpOpt) } };

        Dictionary<string, double> Evaluate()
        {
            var measured = Alignment(dfa, data);
            measured["eval/dfa_accuracy"] = data.TestAccuracy(dfa);
            measured["eval/backprop_accuracy"] = data.TestAccuracy(bp);
            return measured;
        }
        var initial = Evaluate();
        foreach (var (name, value) in initial) context.Run.Record(0, name, value);

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = steps,
            LearningRate = LearningRates.Constant(lr),
            EvalEvery = sampler.BatchesPerEpoch,
        });
        var batches = new FuncBatches<(Tensor X, Tensor Y)>(step =>
        {
            using var index = Tensor.From(sampler.Indices(step).Select(i => (long)i).ToArray()).To(context.Device);
            return (data.TrainX.IndexSelect(0, index), data.TrainY.IndexSelect(0, index));
        });
        var result = trainer.Fit(state, batches, (batch, ctx) =>
        {
            ctx.ApplyLearningRate(dfaOpt);
            dfaOpt.ZeroGrad();
            var dfaLoss = dfa.DfaGradients(batch.X, batch.Y);           // writes the DFA update into .Grad
            dfaOpt.Step();

            ctx.ApplyLearningRate(bpOpt);
            var bpLoss = F.CrossEntropy(bp.Forward(batch.X), batch.Y);
            bpOpt.ZeroGrad();
            bpLoss.Backward();
            bpOpt.Step();
            return new StepResult(Metrics: new Dictionary<string, double> { ["dfa/loss"] = dfaLoss.Item<float>(), ["backprop/loss"] = bpLoss.Item<float>() });
        }, evaluate: _ => Evaluate(), run: context.Run);

        var final = result.FinalMetrics;
        double dfaAccuracy = final["eval/dfa_accuracy"], bpAccuracy = final["eval/backprop_accuracy"];
        double angle0 = initial["alignment/weight_angle"], angle = final["alignment/weight_angle"];
        var signal = Enumerable.Range(1, Hidden.Length).Select(l => final[$"alignment/signal_angle_layer{l}"]).ToArray();
        bool close = bpAccuracy - dfaAccuracy <= allowedGap, aligned = angle < 90 && angle < angle0, signalsAligned = signal.All(s => s < 90);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"test accuracy after {epochs} epochs: DFA {dfaAccuracy:F3}, backprop {bpAccuracy:F3}, gap {100 * (bpAccuracy - dfaAccuracy):F1} points {(close ? "≤" : ">")} {100 * allowedGap:F0}; " +
            $"∠(W_L, B) {angle0:F1}° → {angle:F1}°{(aligned ? "" : " (not aligned)")}; DFA vs backprop signal angles {string.Join(", ", signal.Select(s => $"{s:F1}°"))}{(signalsAligned ? "" : " (not all < 90°)")} ({result.Status})");
        var metrics = new Dictionary<string, double>
        {
            ["dfa_accuracy"] = dfaAccuracy,
            ["backprop_accuracy"] = bpAccuracy,
            ["accuracy_gap"] = bpAccuracy - dfaAccuracy,
            ["weight_angle_initial"] = angle0,
            ["weight_angle_final"] = angle,
        };
        for (int l = 0; l < signal.Length; l++) metrics[$"signal_angle_layer{l + 1}"] = signal[l];
        return new ExperimentResult(close && aligned && signalsAligned, detail, metrics, result);
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
