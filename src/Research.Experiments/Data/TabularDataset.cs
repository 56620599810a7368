using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// A classification table held in managed arrays (no native memory until you ask for tensors):
/// <see cref="Features"/> is row-major [Rows, Columns], <see cref="Labels"/> holds class indices.
/// </summary>
public sealed record TabularDataset(string Name, float[] Features, long[] Labels, int Rows, int Columns, string[] ClassNames)
{
    /// <summary>The features as a float32 tensor [Rows, Columns].</summary>
    public Tensor FeatureTensor() => Tensor.From(Features, Rows, Columns);

    /// <summary>The labels as an int64 tensor [Rows].</summary>
    public Tensor LabelTensor() => Tensor.From(Labels, Rows);

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Length;

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    public TabularDataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        var x = new float[indices.Count * Columns];
        var y = new long[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Array.Copy(Features, indices[i] * Columns, x, i * Columns, Columns);
            y[i] = Labels[indices[i]];
        }
        return this with { Name = name ?? Name, Features = x, Labels = y, Rows = indices.Count };
    }

    /// <summary>A seeded random split into train and test sets (<paramref name="testFraction"/> of the rows go to test).</summary>
    public (TabularDataset Train, TabularDataset Test) Split(double testFraction, int seed)
    {
        if (testFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "must be in (0, 1)");
        var order = Enumerable.Range(0, Rows).ToArray();
        new Random(seed).Shuffle(order);
        int test = (int)Math.Round(Rows * testFraction);
        return (Subset(order[test..], $"{Name}/train"), Subset(order[..test], $"{Name}/test"));
    }

    /// <summary>Features scaled per column to zero mean and unit variance, using <paramref name="reference"/>'s statistics (default: this set's).</summary>
    public TabularDataset Standardized(TabularDataset? reference = null)
    {
        var r = reference ?? this;
        var mean = new double[Columns];
        var sd = new double[Columns];
        for (int i = 0; i < r.Rows; i++)
            for (int j = 0; j < Columns; j++) mean[j] += r.Features[i * Columns + j] / (double)r.Rows;
        for (int i = 0; i < r.Rows; i++)
            for (int j = 0; j < Columns; j++) { double d = r.Features[i * Columns + j] - mean[j]; sd[j] += d * d / r.Rows; }
        var x = new float[Features.Length];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Columns; j++)
            {
                double s = Math.Sqrt(sd[j]);
                x[i * Columns + j] = (float)((Features[i * Columns + j] - mean[j]) / (s > 0 ? s : 1));
            }
        return this with { Features = x };
    }
}
