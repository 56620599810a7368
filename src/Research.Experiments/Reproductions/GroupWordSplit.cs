using Research.Experiments.Data;
using Research.Models.Dynamics;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// All |G|² products a∘b of a group, split into a training and a test part by a seeded shuffle (independent of libtorch's
/// generator). Tensors are int64 [rows], owned by this object (outside any dispose scope) and freed by <see cref="Dispose"/>.
/// </summary>
public sealed class GroupWordSplit : IDisposable
{
    private GroupWordSplit(GroupTable group, long[] left, long[] right, long[] product, int[] order, int trainRows, Device? device)
    {
        Tensor Take(long[] values, int from, int count)
        {
            var part = new long[count];
            for (int i = 0; i < count; i++) part[i] = values[order[from + i]];
            var t = Tensor.From(part);
            return (device is { } d ? t.To(d) : t).DetachFromScope();
        }
        using var scope = NewScope();
        Group = group;
        int testRows = order.Length - trainRows;
        TrainLeft = Take(left, 0, trainRows);
        TrainRight = Take(right, 0, trainRows);
        TrainProduct = Take(product, 0, trainRows);
        TestLeft = Take(left, trainRows, testRows);
        TestRight = Take(right, trainRows, testRows);
        TestProduct = Take(product, trainRows, testRows);
    }

    /// <summary>
    /// Splits the |G|² pairs of <paramref name="group"/>: a fraction <paramref name="trainFraction"/> (rounded down, at
    /// least one pair, at least one left over) for training, the rest for testing; the shuffle is seeded by <paramref name="seed"/>.
    /// </summary>
    public static GroupWordSplit Create(GroupTable group, double trainFraction, int seed, Device? device = null)
    {
        if (!(trainFraction > 0 && trainFraction < 1)) throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "the training fraction must be in (0, 1)");
        var (left, right, product) = group.AllPairs();
        int pairs = left.Length;
        int trainRows = Math.Clamp((int)(trainFraction * pairs), 1, pairs - 1);
        var order = Enumerable.Range(0, pairs).ToArray();
        new Random(seed).Shuffle(order);
        return new GroupWordSplit(group, left, right, product, order, trainRows, device);
    }

    /// <summary>The group whose products are learned.</summary>
    public GroupTable Group { get; }

    /// <summary>Left factors a of the training pairs.</summary>
    public Tensor TrainLeft { get; }

    /// <summary>Right factors b of the training pairs.</summary>
    public Tensor TrainRight { get; }

    /// <summary>Products a∘b of the training pairs (the labels).</summary>
    public Tensor TrainProduct { get; }

    /// <summary>Left factors of the held-out pairs.</summary>
    public Tensor TestLeft { get; }

    /// <summary>Right factors of the held-out pairs.</summary>
    public Tensor TestRight { get; }

    /// <summary>Products of the held-out pairs.</summary>
    public Tensor TestProduct { get; }

    /// <summary>Number of training pairs.</summary>
    public long TrainRows => TrainLeft.Size(0);

    /// <summary>Number of held-out pairs.</summary>
    public long TestRows => TestLeft.Size(0);

    /// <summary>Mean cross-entropy of <paramref name="model"/> on the training pairs (with autograd, for a step).</summary>
    public Tensor TrainLoss(GroupWordNetwork model) => F.CrossEntropy(model.Forward(TrainLeft, TrainRight), TrainProduct);

    /// <summary>Accuracy and mean cross-entropy on the training pairs and on the held-out pairs (no gradients).</summary>
    public (double TrainAccuracy, double TrainLoss, double TestAccuracy, double TestLoss) Evaluate(GroupWordNetwork model)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var (trainAccuracy, trainLoss) = Measure(model, TrainLeft, TrainRight, TrainProduct);
        var (testAccuracy, testLoss) = Measure(model, TestLeft, TestRight, TestProduct);
        return (trainAccuracy, trainLoss, testAccuracy, testLoss);
    }

    private static (double Accuracy, double Loss) Measure(GroupWordNetwork model, Tensor left, Tensor right, Tensor product)
    {
        var logits = model.Forward(left, right);
        return (ClassificationSplit.Accuracy(logits, product), F.CrossEntropy(logits, product).Item<double>());
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { TrainLeft, TrainRight, TrainProduct, TestLeft, TestRight, TestProduct }) t.Dispose();
    }
}
