using System.Globalization;
using Research.Experiments.Data;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Li, Teh and Pascanu (2025), NoProp — the experiment of notebooks/locallearning/noprop.ipynb: a NoProp-DT classifier
/// (<see cref="NoProp"/>: T = 10 blocks, fixed one-hot label embeddings, cosine schedule) trained on sklearn digits, each
/// block with its own Adam on its own denoising loss and the linear classifier on its own cross-entropy; next to it a
/// backprop ReLU MLP of one block's depth and width (64 → 128 → 128 → 128 → 10) with the same Adam settings and batches.
/// Metrics per step: <c>block{t}/error</c> (‖û_t − u_y‖², t = 1 … T), <c>classifier/loss</c>, <c>backprop/loss</c>;
/// per epoch (and at step 0): <c>eval/noprop_accuracy</c> (sampled chain, as in the paper), <c>eval/noprop_mean_accuracy</c>
/// (posterior-mean chain), <c>eval/backprop_accuracy</c>, <c>eval/block{t}_error</c> (test denoising error); after training
/// <c>chain/accuracy</c> at step t (arg-max of z_t along the inference chain), <c>chain/prediction_accuracy</c> at step t
/// (arg-max of block t's prediction along it) and the gradient isolation
/// <c>isolation/cross_gradient</c> (largest |∂L_t/∂θ_s|, s ≠ t) and <c>isolation/own_gradient</c> (smallest max |∂L_t/∂θ_t|).
/// </summary>
public sealed class NoPropExperiment : IExperiment
{
    /// <summary>Width of every block and of the backprop MLP.</summary>
    public const long Hidden = 128;

    /// <summary>T at every scale.</summary>
    public const int Steps = 10;

    /// <summary>A block's test denoising error must end below this fraction of its initial value.</summary>
    public const double ErrorDrop = 0.5;

    /// <inheritdoc />
    public string Id => "noprop";

    /// <inheritdoc />
    public string Family => "backprop-free & local learning";

    /// <inheritdoc />
    public string Title => "NoProp-DT on digits (Li, Teh and Pascanu, 2025)";

    /// <inheritdoc />
    public string Claim =>
        $"T = {Steps} NoProp blocks, each trained only on its own denoising loss with its own optimiser (no forward or backward signal between blocks), " +
        "reach a digits test accuracy within 3 points (smoke: 8) of a backprop MLP of one block's size; every block's test denoising error falls below half its initial value; " +
        "and a block's loss has exactly zero gradient with respect to every other block's parameters";

    /// <summary>The largest allowed backprop − NoProp test accuracy at <paramref name="scale"/>.</summary>
    public static double AllowedGap(Scale scale) => scale == Scale.Smoke ? 0.08 : 0.03;

    /// <summary>Training epochs at <paramref name="scale"/>.</summary>
    public static int Epochs(Scale scale) => scale switch { Scale.Smoke => 6, Scale.Cpu => 60, _ => 60 };

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        int epochs = Epochs(context.Scale);
        const int batchSize = 64;
        const double lr = 1e-3, classifierLr = 1e-2, testFraction = 0.2;
        double allowedGap = AllowedGap(context.Scale);
        using var data = ClassificationSplit.Create(Sklearn.Digits(), testFraction, seed: 0, context.Device);
        var sampler = new EpochSampler(data.TrainRows, batchSize, context.Seed, shuffle: true, dropLast: false);
        long steps = (long)epochs * sampler.BatchesPerEpoch;
        var config = new NoPropConfig(data.Features, data.Classes, Hidden, Steps);
        context.Run.AddHyperparameters(new { epochs, steps, batch_size = batchSize, hidden = Hidden, blocks = Steps, eta = config.Eta, lr, classifier_lr = classifierLr, test_fraction = testFraction, allowed_gap = allowedGap, schedule = "cosine" });

        ManualSeed(context.Seed);
        using var model = new NoProp(config, device: context.Device);
        var blockOpts = model.Blocks.Select(b => new Adam(b.Parameters(), lr: lr)).ToArray();
        using var headOpt = new Adam(model.HeadParameters(), lr: classifierLr);
        ManualSeed(context.Seed);
        using var mlp = BackpropMlp(data.Features, data.Classes, context.Device);
        using var mlpOpt = new Adam(mlp.Parameters(), lr: lr);
        try
        {
            var state = new TensorState { { "head", new ModuleState(model.Classifier, headOpt) }, { "backprop", new ModuleState(mlp, mlpOpt) } };
            state["embedding"] = model.Embedding;
            for (int t = 1; t <= Steps; t++) state.Add($"block{t}", new ModuleState(model.Block(t), blockOpts[t - 1]));

            Dictionary<string, double> Evaluate()
            {
                var measured = new Dictionary<string, double>
                {
                    ["eval/noprop_accuracy"] = data.TestAccuracy(model),
                    ["eval/noprop_mean_accuracy"] = MeanChainAccuracy(model, data.TestX, data.TestY),
                    ["eval/backprop_accuracy"] = data.TestAccuracy(mlp),
                };
                using var noGrad = NoGrad();
                for (int t = 1; t <= Steps; t++)
                {
                    using var scope = NewScope();
                    measured[$"eval/block{t}_error"] = model.DenoisingError(t, data.TestX, data.TestY).Item<float>();
                }
                return measured;
            }
            var initial = Evaluate();
            foreach (var (name, value) in initial) context.Run.Record(0, name, value);

            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = steps,
                LearningRate = LearningRates.Constant(lr),
                EvalEvery = sampler.BatchesPerEpoch,
                FiniteCheckEvery = sampler.BatchesPerEpoch,         // NaN/Inf check of the ~100 state tensors once per epoch (every step would double the time)
            });
            var batches = new FuncBatches<(Tensor X, Tensor Y)>(step =>
            {
                using var index = Tensor.From(sampler.Indices(step).Select(i => (long)i).ToArray()).To(context.Device);
                return (data.TrainX.IndexSelect(0, index), data.TrainY.IndexSelect(0, index));
            });
            var result = trainer.Fit(state, batches, (batch, ctx) =>
            {
                var metrics = new Dictionary<string, double>();
                headOpt.ZeroGrad();                                             // a learned U would collect every block's gradient
                for (int t = 1; t <= Steps; t++)                                // each block alone: its own loss, its own optimiser
                {
                    var opt = blockOpts[t - 1];
                    ctx.ApplyLearningRate(opt);
                    opt.ZeroGrad();
                    var error = model.DenoisingError(t, batch.X, batch.Y);
                    (error * model.LossWeight(t)).Backward();
                    opt.Step();
                    metrics[$"block{t}/error"] = error.Item<float>();
                }
                var classifierLoss = model.ClassifierLoss(batch.Y);
                classifierLoss.Backward();
                headOpt.Step();
                metrics["classifier/loss"] = classifierLoss.Item<float>();

                ctx.ApplyLearningRate(mlpOpt);
                var bpLoss = F.CrossEntropy(mlp.Forward(batch.X), batch.Y);
                mlpOpt.ZeroGrad();
                bpLoss.Backward();
                mlpOpt.Step();
                metrics["backprop/loss"] = bpLoss.Item<float>();
                return new StepResult(Metrics: metrics);
            }, evaluate: _ => Evaluate(), run: context.Run);

            var (chain, predictions) = ChainAccuracy(model, data.TestX, data.TestY);
            for (int t = 0; t <= Steps; t++) context.Run.Record(t, "chain/accuracy", chain[t]);
            for (int t = 1; t <= Steps; t++) context.Run.Record(t, "chain/prediction_accuracy", predictions[t - 1]);
            var (cross, own) = GradientIsolation(model, data.TestX, data.TestY);
            context.Run.Record(steps, "isolation/cross_gradient", cross);
            context.Run.Record(steps, "isolation/own_gradient", own);

            var final = result.FinalMetrics;
            double npAccuracy = final["eval/noprop_accuracy"], meanAccuracy = final["eval/noprop_mean_accuracy"], bpAccuracy = final["eval/backprop_accuracy"];
            var errorRatio = Enumerable.Range(1, Steps).Select(t => final[$"eval/block{t}_error"] / initial[$"eval/block{t}_error"]).ToArray();
            bool close = bpAccuracy - npAccuracy <= allowedGap, falling = errorRatio.All(r => r < ErrorDrop), isolated = cross == 0 && own > 0;
            int worst = Array.IndexOf(errorRatio, errorRatio.Max()) + 1;
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"test accuracy after {epochs} epochs: NoProp {npAccuracy:F3} (posterior-mean chain {meanAccuracy:F3}), backprop {bpAccuracy:F3}, " +
                $"gap {100 * (bpAccuracy - npAccuracy):F1} points {(close ? "≤" : ">")} {100 * allowedGap:F0}; " +
                $"block test denoising errors fell to {errorRatio.Min():P0}–{errorRatio.Max():P0} of their initial values (worst block {worst}){(falling ? "" : $", not all below {ErrorDrop:P0}")}; " +
                $"largest cross-block gradient {cross:G3} (own-block gradients ≥ {own:G3}); accuracy along the chain: z_0 … z_T {Join(chain)}, blocks' predictions û_1 … û_T {Join(predictions)} ({result.Status})");
            var metrics = new Dictionary<string, double>
            {
                ["noprop_accuracy"] = npAccuracy,
                ["noprop_mean_accuracy"] = meanAccuracy,
                ["backprop_accuracy"] = bpAccuracy,
                ["accuracy_gap"] = bpAccuracy - npAccuracy,
                ["max_error_ratio"] = errorRatio.Max(),
                ["cross_gradient"] = cross,
                ["own_gradient"] = own,
                ["noprop_parameters"] = model.ParameterCount(),
                ["block_parameters"] = model.Block(1).ParameterCount(),
                ["backprop_parameters"] = mlp.ParameterCount(),
            };
            for (int t = 1; t <= Steps; t++) metrics[$"block{t}_error_ratio"] = errorRatio[t - 1];
            return new ExperimentResult(close && falling && isolated, detail, metrics, result);
        }
        finally
        {
            foreach (var opt in blockOpts) opt.Dispose();
        }
    }

    private static string Join(double[] values) => string.Join(" ", values.Select(a => a.ToString("F2", CultureInfo.InvariantCulture)));

    /// <summary>The backprop baseline: a ReLU MLP inputs → 128 → 128 → 128 → classes (one block's depth and width).</summary>
    public static Sequential BackpropMlp(long inputs, long classes, Device? device = null) => new(
        new Linear(inputs, Hidden, device: device), new ReLU(),
        new Linear(Hidden, Hidden, device: device), new ReLU(),
        new Linear(Hidden, Hidden, device: device), new ReLU(),
        new Linear(Hidden, classes, device: device));

    /// <summary>Test accuracy of the classifier on z_T from the posterior-mean chain (no sampling noise after z_0).</summary>
    public static double MeanChainAccuracy(NoProp model, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var states = model.Trajectory(x, stochastic: false);
        return ClassificationSplit.Accuracy(model.Classifier.Forward(states[^1]), y);
    }

    /// <summary>
    /// One sampled inference chain on (x, y), read at every step: <c>States[t]</c> is the accuracy of the class embedding with
    /// the largest inner product with z_t (arg-max of z_t for one-hot embeddings), t = 0 … T; <c>Predictions[t − 1]</c> that of
    /// block t's own class probabilities softmax(logits(x, z_{t−1})), t = 1 … T.
    /// </summary>
    public static (double[] States, double[] Predictions) ChainAccuracy(NoProp model, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var states = model.Trajectory(x);
        return (states.Select(z => ClassificationSplit.Accuracy(z.Matmul(model.Embedding.T), y)).ToArray(),
                Enumerable.Range(1, model.Steps).Select(t => ClassificationSplit.Accuracy(model.Block(t).Forward(x, states[t - 1]), y)).ToArray());
    }

    /// <summary>
    /// Gradient isolation of NoProp's block losses on one batch: see <see cref="GradientIsolation(NoProp, Func{int, Tensor})"/>.
    /// </summary>
    public static (double Cross, double Own) GradientIsolation(NoProp model, Tensor x, Tensor y) =>
        GradientIsolation(model, t => model.BlockLoss(t, x, y));

    /// <summary>
    /// Gradient isolation of per-block losses <paramref name="lossOfBlock"/>(t): the largest |∂L_t/∂θ_s| over blocks s ≠ t
    /// (exactly 0 when nothing passes between blocks; parameters a loss does not reach count as 0) and the smallest, over t,
    /// of max |∂L_t/∂θ_t|.
    /// </summary>
    public static (double Cross, double Own) GradientIsolation(NoProp model, Func<int, Tensor> lossOfBlock)
    {
        using var scope = NewScope();
        var blocks = model.Blocks.Select(b => b.Parameters().Cast<Tensor>().ToArray()).ToArray();
        var all = blocks.SelectMany(b => b).ToArray();
        double cross = 0, own = double.PositiveInfinity;
        for (int t = 1; t <= model.Steps; t++)
        {
            var grads = Autograd.Grad([lossOfBlock(t)], all, allowUnused: true);
            int offset = 0;
            for (int s = 1; s <= model.Steps; s++)
            {
                double largest = 0;
                for (int i = 0; i < blocks[s - 1].Length; i++)
                    if (grads[offset + i] is { } g) largest = Math.Max(largest, g.Abs().Max().Item<double>());
                offset += blocks[s - 1].Length;
                if (s == t) own = Math.Min(own, largest);
                else cross = Math.Max(cross, largest);
            }
        }
        return (cross, own);
    }
}
