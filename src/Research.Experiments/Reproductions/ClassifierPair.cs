using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Two classifiers trained side by side on the same steps, each with its own data order: A shuffled by
/// <c>seedA</c>, B by <c>seedB</c>; Adam at a constant rate, cross-entropy. Metrics per step:
/// <c>{prefix}/{a|b}/loss</c>; per epoch: <c>{prefix}/{a|b}/accuracy</c> on the test split. Used where a paper compares
/// independently trained networks (OT fusion, convergent learning).
/// </summary>
public static class ClassifierPair
{
    /// <summary>Trains <paramref name="a"/> and <paramref name="b"/> for <paramref name="epochs"/> epochs of the training split.</summary>
    public static TrainingResult Train(ExperimentContext context, ClassificationSplit data, Module<Tensor, Tensor> a, Module<Tensor, Tensor> b,
        int epochs, int batchSize, double learningRate, ulong seedA, ulong seedB, string prefix)
    {
        var samplers = new[] { seedA, seedB }.Select(s => new EpochSampler(data.TrainRows, batchSize, s, shuffle: true, dropLast: false)).ToArray();
        using var aOpt = new Adam(a.Parameters(), lr: learningRate);
        using var bOpt = new Adam(b.Parameters(), lr: learningRate);
        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = (long)epochs * samplers[0].BatchesPerEpoch,
            LearningRate = LearningRates.Constant(learningRate),
            EvalEvery = samplers[0].BatchesPerEpoch,
        });
        var batches = new FuncBatches<(Tensor X, Tensor Y)[]>(step => samplers.Select(s => s.Batch(step, data.TrainX, data.TrainY)).ToArray());
        return trainer.Fit(new TensorState { { "a", new ModuleState(a, aOpt) }, { "b", new ModuleState(b, bOpt) } }, batches, (batch, ctx) =>
        {
            var metrics = new Dictionary<string, double>();
            foreach (var (model, optimizer, name, (x, y)) in new[] { (a, aOpt, "a", batch[0]), (b, bOpt, "b", batch[1]) })
            {
                ctx.ApplyLearningRate(optimizer);
                var loss = F.CrossEntropy(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                metrics[$"{prefix}/{name}/loss"] = loss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ => new Dictionary<string, double>
        {
            [$"{prefix}/a/accuracy"] = data.TestAccuracy(a),
            [$"{prefix}/b/accuracy"] = data.TestAccuracy(b),
        }, run: context.Run);
    }
}
