using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

/// <summary>
/// A two-layer MLP on the digits with hand-written momentum SGD and random input noise (so libtorch's RNG matters),
/// used to pin the trainer's behaviour.
/// </summary>
public sealed class TinyModel : IDisposable
{
    private static readonly Lazy<TabularDataset> s_digits = new(() => Sklearn.Digits().Standardized());

    public TinyModel(ulong seed)
    {
        var d = s_digits.Value;
        X = d.FeatureTensor().DetachFromScope();
        Y = d.LabelTensor().DetachFromScope();
        ManualSeed(seed);
        W1 = (Tensor.RandN(64, 32) * 0.1).DetachFromScope().RequiresGrad_();
        W2 = (Tensor.RandN(32, 10) * 0.1).DetachFromScope().RequiresGrad_();
        V1 = Tensor.Zeros(64, 32).DetachFromScope();
        V2 = Tensor.Zeros(32, 10).DetachFromScope();
        State = new TensorState { ["w1"] = W1, ["w2"] = W2, ["opt.v1"] = V1, ["opt.v2"] = V2 };
    }

    public Tensor X { get; }
    public Tensor Y { get; }
    public Tensor W1 { get; }
    public Tensor W2 { get; }
    public Tensor V1 { get; }
    public Tensor V2 { get; }
    public TensorState State { get; }

    public TensorBatches Batches(ulong seed) => new(X, Y, 32, seed);

    /// <summary>One SGD step; <paramref name="poison"/> multiplies W1's gradient by NaN.</summary>
    public StepResult Step((Tensor X, Tensor Y) batch, StepContext ctx, bool poison = false)
    {
        var noisy = batch.X + batch.X.RandNLike() * 0.1;
        var h = noisy.Matmul(W1).Tanh();
        var loss = -h.Matmul(W2).LogSoftmax(1).Gather(1, batch.Y.Unsqueeze(1)).Mean();
        loss.Backward();
        using (NoGrad())
        {
            if (poison) W1.Grad!.Mul_(double.NaN);
            foreach (var (p, v) in new[] { (W1, V1), (W2, V2) })
            {
                v.Mul_(0.9).Add_(p.Grad!);
                p.Sub_(v, ctx.LearningRate);
                p.Grad = null;
            }
        }
        return StepResult.From(loss);
    }

    public float[] Parameters() => W1.ToArray<float>().Concat(W2.ToArray<float>()).ToArray();

    public void Dispose()
    {
        foreach (var t in new[] { X, Y, W1, W2, V1, V2 }) t.Dispose();
    }
}
