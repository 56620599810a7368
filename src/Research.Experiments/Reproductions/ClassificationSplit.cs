using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// A tabular classification set as tensors: a seeded train/test split, features standardised with the training
/// statistics. The tensors are owned by this object (outside any dispose scope) and freed by <see cref="Dispose"/>.
/// </summary>
public sealed class ClassificationSplit : IDisposable
{
    private ClassificationSplit(TabularDataset train, TabularDataset test, Device? device)
    {
        Tensor Place(Tensor t) => (device is { } d ? t.To(d) : t).DetachFromScope();
        using var scope = NewScope();
        TrainX = Place(train.FeatureTensor());
        TrainY = Place(train.LabelTensor());
        TestX = Place(test.FeatureTensor());
        TestY = Place(test.LabelTensor());
        TrainRows = train.Rows;
        TestRows = test.Rows;
        Features = train.Columns;
        Classes = train.ClassCount;
    }

    /// <summary>Splits <paramref name="data"/> (a fraction <paramref name="testFraction"/> held out, seeded) and standardises both parts with the training statistics.</summary>
    public static ClassificationSplit Create(TabularDataset data, double testFraction, int seed, Device? device = null)
    {
        var (train, test) = data.Split(testFraction, seed);
        return new ClassificationSplit(train.Standardized(), test.Standardized(train), device);
    }

    /// <summary>Training features, float32 [train rows, features].</summary>
    public Tensor TrainX { get; }

    /// <summary>Training labels, int64 [train rows].</summary>
    public Tensor TrainY { get; }

    /// <summary>Test features, float32 [test rows, features].</summary>
    public Tensor TestX { get; }

    /// <summary>Test labels, int64 [test rows].</summary>
    public Tensor TestY { get; }

    /// <summary>Number of training examples.</summary>
    public int TrainRows { get; }

    /// <summary>Number of test examples.</summary>
    public int TestRows { get; }

    /// <summary>Features per example.</summary>
    public int Features { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Fraction of the test set that <paramref name="model"/>'s arg-max logits classify correctly.</summary>
    public double TestAccuracy(Module<Tensor, Tensor> model) => Accuracy(model, TestX, TestY);

    /// <summary>Fraction of rows of <paramref name="x"/> whose arg-max logits equal <paramref name="y"/>.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return Accuracy(model.Forward(x), y);
    }

    /// <summary>Fraction of rows of <paramref name="scores"/> (logits, probabilities…) whose arg-max equals <paramref name="labels"/>.</summary>
    public static double Accuracy(Tensor scores, Tensor labels)
    {
        using var scope = NewScope();
        return scores.ArgMax(-1).Eq(labels).Double().Mean().Item<double>();
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
