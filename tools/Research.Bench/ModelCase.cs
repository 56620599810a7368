using System.Diagnostics;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using Research.Torch.Serialization;
using static Research.Torch.Torch;

namespace Research.Bench;

/// <summary>
/// One training step of a model from the library, twinned in PyTorch by <c>twins.py</c>: the model (built under a fixed
/// seed), one batch and a loss; both sides train with Adam (lr 1e-3) on that batch. <see cref="Save"/> writes the initial
/// parameters, the batch and the twin's metadata to a safetensors file, which the twin loads.
/// </summary>
/// <param name="Key">The twin's name in <c>twins.py</c> (metadata "case").</param>
/// <param name="Name">The benchmark's name in the table and the JSON.</param>
/// <param name="Build">Builds the model (called under <c>ManualSeed(0)</c>).</param>
/// <param name="Batch">Builds the batch (called under <c>ManualSeed(1)</c>).</param>
/// <param name="Loss">The step's loss of the model on the batch.</param>
/// <param name="Metadata">What the twin needs to know beyond the tensors (shapes, hyperparameters).</param>
/// <param name="Flops">Floating-point operations of one step counted analytically, when the case reports GFLOP/s.</param>
public sealed record ModelCase(
    string Key,
    string Name,
    Func<Module> Build,
    Func<Dictionary<string, Tensor>> Batch,
    Func<Module, IReadOnlyDictionary<string, Tensor>, Tensor> Loss,
    IReadOnlyDictionary<string, string> Metadata,
    double? Flops = null)
{
    /// <summary>Learning rate of both sides' Adam.</summary>
    public const double LearningRate = 1e-3;

    /// <summary>Writes the case file the twin loads: <c>param.*</c> (initial parameters), <c>input.*</c> (the batch), metadata.</summary>
    public void Save(string path)
    {
        using var scope = NewScope();
        var (model, batch) = Create();
        using (model)
        {
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (name, p) in model.NamedParameters()) tensors["param." + name] = p;
            foreach (var (name, t) in batch) tensors["input." + name] = t;
            SafeTensors.Save(tensors, path, new Dictionary<string, string>(Metadata) { ["case"] = Key });
        }
    }

    /// <summary>
    /// Trains a fresh model: the first <paramref name="lossSteps"/> losses, then the median milliseconds of
    /// <paramref name="timedSteps"/> further steps (null when none).
    /// </summary>
    public (double[] Losses, double? Ms) Train(int lossSteps, int timedSteps)
    {
        using var scope = NewScope();
        var (model, batch) = Create();
        using (model)
        {
            using var optimizer = new Adam(model.Parameters(), LearningRate);
            double Step()
            {
                using var step = NewScope();
                optimizer.ZeroGrad();
                var loss = Loss(model, batch);
                loss.Backward();
                optimizer.Step();
                return loss.Item<float>();
            }
            var losses = Enumerable.Range(0, lossSteps).Select(_ => Step()).ToArray();
            var samples = new double[timedSteps];
            for (int i = 0; i < timedSteps; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Step();
                samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(samples);
            return (losses, timedSteps > 0 ? samples[timedSteps / 2] : null);
        }
    }

    private (Module Model, Dictionary<string, Tensor> Batch) Create()
    {
        ManualSeed(0);
        var model = Build();
        ManualSeed(1);
        return (model, Batch());
    }
}
