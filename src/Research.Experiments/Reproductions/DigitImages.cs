using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// scikit-learn's digits as images for vision models: a seeded train/test split of the 8×8 digits, pixels scaled to
/// [0, 1] and standardised with the training set's mean and standard deviation (one number each), then upsampled
/// bilinearly to <see cref="Size"/>×<see cref="Size"/> (F.Interpolate, align_corners = false). The tensors are owned by
/// this object and freed by <see cref="Dispose"/>.
/// </summary>
public sealed class DigitImages : IDisposable
{
    /// <summary>Side of the original digits.</summary>
    public const int SourceSize = 8;

    private DigitImages(Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, int size, int classes)
    {
        (TrainX, TrainY, TestX, TestY, Size, Classes) = (trainX, trainY, testX, testY, size, classes);
    }

    /// <summary>Splits the digits (a fraction <paramref name="testFraction"/> held out, seeded) and upsamples them to <paramref name="size"/>².</summary>
    public static DigitImages Create(int size, double testFraction = 0.2, int seed = 0, Device? device = null)
    {
        if (size < SourceSize) throw new ArgumentOutOfRangeException(nameof(size), size, $"the images are upsampled, so the size must be ≥ {SourceSize}");
        var (train, test) = Sklearn.Digits().Split(testFraction, seed);
        using var scope = NewScope();
        var trainPixels = train.FeatureTensor() / 16.0;                                    // [n, 64] in [0, 1]
        double mean = trainPixels.Mean().Item<float>(), std = trainPixels.Std().Item<float>();
        Tensor Images(TabularDataset part) => Upsample((part.FeatureTensor() / 16.0 - mean) / std, size);
        Tensor Place(Tensor t) => (device is { } d ? t.To(d) : t).DetachFromScope();
        return new DigitImages(Place(Images(train)), Place(train.LabelTensor()), Place(Images(test)), Place(test.LabelTensor()), size, train.ClassCount);
    }

    /// <summary>Rows of 8×8 pixels [n, 64] → bilinearly upsampled images [n, 1, size, size].</summary>
    public static Tensor Upsample(Tensor pixels, int size)
    {
        if (pixels.Dim != 2 || pixels.Size(1) != SourceSize * SourceSize)
            throw new ArgumentException($"expected digits [n, {SourceSize * SourceSize}], got {pixels.ShapeString}", nameof(pixels));
        using var images = pixels.View(pixels.Size(0), 1, SourceSize, SourceSize);
        return F.Interpolate(images, size: size, mode: "bilinear", alignCorners: false);
    }

    /// <summary>Training images [train, 1, Size, Size], float32.</summary>
    public Tensor TrainX { get; }

    /// <summary>Training labels [train], int64.</summary>
    public Tensor TrainY { get; }

    /// <summary>Test images [test, 1, Size, Size].</summary>
    public Tensor TestX { get; }

    /// <summary>Test labels [test].</summary>
    public Tensor TestY { get; }

    /// <summary>Side of the upsampled images.</summary>
    public int Size { get; }

    /// <summary>Number of classes (10).</summary>
    public int Classes { get; }

    /// <summary>Number of training images.</summary>
    public int TrainRows => (int)TrainX.Size(0);

    /// <summary>Number of test images.</summary>
    public int TestRows => (int)TestX.Size(0);

    /// <summary>
    /// Test accuracy of <paramref name="model"/> in evaluation mode (batch norm on running statistics, no dropout), in
    /// batches of <paramref name="batch"/>; the model's training mode is restored afterwards.
    /// </summary>
    public double TestAccuracy(Module<Tensor, Tensor> model, int batch = 512)
    {
        bool training = model.Training;
        model.Eval();
        try
        {
            using var noGrad = NoGrad();
            long correct = 0;
            for (long start = 0; start < TestRows; start += batch)
            {
                using var scope = NewScope();
                long n = Math.Min(batch, TestRows - start);
                correct += model.Forward(TestX.Narrow(0, start, n)).ArgMax(-1).Eq(TestY.Narrow(0, start, n)).Sum().Item<long>();
            }
            return (double)correct / TestRows;
        }
        finally
        {
            model.Train(training);
        }
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        TestX.Dispose();
        TestY.Dispose();
    }
}
