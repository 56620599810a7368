using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// scikit-learn's digits read pixel by pixel (sequential digits, as sequential MNIST): each <see cref="DigitImages"/> image
/// (standardised, upsampled to side² pixels) becomes a sequence [1, side²] in raster order, or in one fixed random order of
/// the pixels when <c>permuted</c> (the same permutation for every image, seeded). The training part of the split is cut
/// again into training and validation images (the last <c>validationFraction</c> of them); the test images are the held-out
/// ones of <see cref="DigitImages"/>. Tensors are [n, 1, time] float32 and labels [n] int64, owned and freed by
/// <see cref="Dispose"/>.
/// </summary>
public sealed class SequentialDigits : IDisposable
{
    private SequentialDigits(Tensor[] parts, int length, long[]? order)
    {
        (TrainX, TrainY, ValidationX, ValidationY, TestX, TestY) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
        Length = length;
        Order = order;
    }

    /// <summary>Sequences of <paramref name="side"/>² steps (side ≥ 8), in raster order or permuted by <paramref name="permutationSeed"/>.</summary>
    public static SequentialDigits Create(int side, bool permuted = false, int permutationSeed = 0, double validationFraction = 0.2, Device? device = null)
    {
        if (validationFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in (0, 1)");
        using var images = DigitImages.Create(side);
        using var scope = NewScope();
        int length = side * side;
        long[]? order = permuted ? Permutation(length, permutationSeed) : null;
        Tensor Sequences(Tensor x)
        {
            var flat = x.Reshape(x.Size(0), 1, length);                                                 // [n, 1, time], raster order
            return order is null ? flat : flat.IndexSelect(2, Tensor.From(order));
        }
        var train = Sequences(images.TrainX);
        long validation = (long)Math.Round(train.Size(0) * validationFraction), fit = train.Size(0) - validation;
        Tensor[] parts =
        [
            train.Narrow(0, 0, fit), images.TrainY.Narrow(0, 0, fit), train.Narrow(0, fit, validation), images.TrainY.Narrow(0, fit, validation),
            Sequences(images.TestX), images.TestY.Alias(),
        ];
        return new SequentialDigits(parts.Select(p => (device is { } d ? p.To(d) : p.Contiguous()).DetachFromScope()).ToArray(), length, order);
    }

    /// <summary>A seeded permutation of 0 … n − 1 (Fisher–Yates with <see cref="Random"/>).</summary>
    public static long[] Permutation(int n, int seed)
    {
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    /// <summary>Training sequences [n, 1, time].</summary>
    public Tensor TrainX { get; }

    /// <summary>Training labels [n].</summary>
    public Tensor TrainY { get; }

    /// <summary>Validation sequences (cut from the training images; used to tune).</summary>
    public Tensor ValidationX { get; }

    /// <summary>Validation labels.</summary>
    public Tensor ValidationY { get; }

    /// <summary>Test sequences (images no model trained or tuned on).</summary>
    public Tensor TestX { get; }

    /// <summary>Test labels.</summary>
    public Tensor TestY { get; }

    /// <summary>Steps per sequence: side².</summary>
    public int Length { get; }

    /// <summary>The pixel read at each step when permuted (null: raster order).</summary>
    public long[]? Order { get; }

    /// <summary>Number of classes (10).</summary>
    public const int Classes = 10;

    /// <summary>A training batch of <paramref name="batch"/> sequences drawn with replacement from <paramref name="seed"/>.</summary>
    public TaskBatch Batch(int batch, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, batch).Select(_ => (long)random.Next((int)TrainX.Size(0))).ToArray();
        using var index = Tensor.From(rows).To(TrainX.Device);
        return new TaskBatch(TrainX.IndexSelect(0, index), TrainY.IndexSelect(0, index));
    }

    /// <summary>Accuracy of <paramref name="model"/> (logits [n, classes]) on <paramref name="x"/>, in evaluation mode, batches of 256.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        bool training = model.Training;
        model.Eval();
        try
        {
            using var noGrad = NoGrad();
            long correct = 0, n = x.Size(0);
            for (long start = 0; start < n; start += 256)
            {
                using var scope = NewScope();
                long m = Math.Min(256, n - start);
                correct += model.Forward(x.Narrow(0, start, m)).ArgMax(-1).Eq(y.Narrow(0, start, m)).Sum().Item<long>();
            }
            return (double)correct / n;
        }
        finally
        {
            model.Train(training);
        }
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { TrainX, TrainY, ValidationX, ValidationY, TestX, TestY }) t.Dispose();
    }
}
