using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>Running parity as a token task for sequence models: bits in, the parity so far out, at every position.</summary>
public static class ParityTask
{
    /// <summary>Random bits as int64 tokens [batch, length] and their running parity, int64 [batch, length] (seeded, independent of libtorch's generator).</summary>
    public static (Tensor Bits, Tensor Parity) Batch(int batch, int length, int seed, Device? device = null)
    {
        using var scope = NewScope();
        var task = SyntheticTasks.Parity(batch, length, seed);                 // its tensors belong to the scope
        var bits = task.Inputs.To(DType.Int64);
        var parity = task.Targets;
        if (device is { } d)
        {
            bits = bits.To(d);
            parity = parity.To(d);
        }
        scope.Keep(bits, parity);
        return (bits, parity);
    }

    /// <summary>Mean cross-entropy of the per-position parity predictions: logits [batch, length, 2], parity [batch, length].</summary>
    public static Tensor Loss(Tensor logits, Tensor parity) => F.CrossEntropy(logits.Flatten(0, 1), parity.Flatten());

    /// <summary>
    /// Accuracy on the parity of whole sequences (the last position) of <paramref name="length"/> bits, on
    /// <paramref name="batch"/> fresh sequences drawn from <paramref name="seed"/> (default 1000 + length: a seed that depends only on
    /// the length) (chance: 0.5).
    /// </summary>
    public static double SequenceAccuracy(Module<Tensor, Tensor> model, int length, int batch = 256, Device? device = null, int? seed = null)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var (bits, parity) = Batch(batch, length, seed: seed ?? 1000 + length, device);
        var predicted = model.Forward(bits).Select(1, length - 1).ArgMax(-1);
        return predicted.Eq(parity.Select(1, length - 1)).Double().Mean().Item<double>();
    }
}
