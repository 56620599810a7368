using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments;

/// <summary>
/// Multinomial logistic regression on scikit-learn's 8×8 digits with momentum SGD, written with raw tensors:
/// the smallest end-to-end experiment (data, trainer, checkpoints, claim check).
/// </summary>
public sealed class DigitsLogisticRegression : IExperiment
{
    /// <inheritdoc />
    public string Id => "digits-logreg";

    /// <inheritdoc />
    public string Family => "baselines";

    /// <inheritdoc />
    public string Title => "Softmax regression on 8×8 digits";

    /// <inheritdoc />
    public string Claim => "a linear classifier reaches test accuracy ≥ 90 % on the held-out quarter of the digits";

    /// <summary>The accuracy threshold of the claim.</summary>
    public const double Threshold = 0.90;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        var (train, test) = Sklearn.Digits().Split(0.25, seed: 0);
        var trainSet = train.Standardized();
        var testSet = test.Standardized(train);
        using var xTrain = trainSet.FeatureTensor().To(context.Device).DetachFromScope();
        using var yTrain = trainSet.LabelTensor().To(context.Device).DetachFromScope();
        using var xTest = testSet.FeatureTensor().To(context.Device).DetachFromScope();
        using var yTest = testSet.LabelTensor().To(context.Device).DetachFromScope();

        ManualSeed(context.Seed);
        using var w = (Tensor.RandN([64, 10], device: context.Device) * 0.01).DetachFromScope().RequiresGrad_();
        using var b = Tensor.Zeros([10], device: context.Device).DetachFromScope().RequiresGrad_();
        using var vw = Tensor.Zeros([64, 10], device: context.Device).DetachFromScope();
        using var vb = Tensor.Zeros([10], device: context.Device).DetachFromScope();
        var state = new TensorState { ["w"] = w, ["b"] = b, ["momentum.w"] = vw, ["momentum.b"] = vb };

        long steps = context.ByScale(150L, 1000L, 3000L);
        const double peakLr = 0.1, finalLr = 0.01, momentum = 0.9;
        const int batchSize = 64;
        context.Run.AddHyperparameters(new { steps, peak_lr = peakLr, final_lr = finalLr, momentum, batch_size = batchSize, warmup = steps / 10, test_fraction = 0.25 });
        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = steps,
            LearningRate = LearningRates.WarmupCosine(peakLr, steps / 10, steps, finalLr),
            EvalEvery = (int)Math.Max(1, steps / 10),
            CheckpointEvery = (int)Math.Max(1, steps / 3),
            Monitor = "eval/accuracy",
            MonitorMode = MonitorMode.Max,
        });
        var data = new TensorBatches(xTrain, yTrain, batchSize, seed: context.Seed);

        var result = trainer.Fit(state, data, (batch, ctx) =>
        {
            var logits = batch.X.Matmul(w) + b;                                      // [batch, 10]
            var loss = -logits.LogSoftmax(1).Gather(1, batch.Y.Unsqueeze(1)).Mean();
            loss.Backward();
            using (NoGrad())
            {
                foreach (var (p, v) in new[] { (w, vw), (b, vb) })
                {
                    var g = p.Grad!;
                    v.Mul_(momentum).Add_(g);
                    p.Sub_(v, ctx.LearningRate);
                    p.Grad = null;
                }
            }
            return StepResult.From(loss);
        }, evaluate: _ => new Dictionary<string, double>
        {
            ["accuracy"] = Accuracy(xTest, yTest, w, b),
            ["train_accuracy"] = Accuracy(xTrain, yTrain, w, b),
        }, run: context.Run);

        double accuracy = result.FinalMetrics.GetValueOrDefault("eval/accuracy", double.NaN);
        return new ClaimCheck().AtLeast("test accuracy", accuracy, Threshold, format: "F3")
            .Result(new Dictionary<string, double> { ["test_accuracy"] = accuracy }, result);
    }

    private static double Accuracy(Tensor x, Tensor y, Tensor w, Tensor b)
    {
        using var scope = NewScope();
        return Reproductions.ClassificationSplit.Accuracy(x.Matmul(w) + b, y);
    }
}
