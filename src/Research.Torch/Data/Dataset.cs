namespace Research.Torch.Data;

/// <summary>An indexable collection of examples (torch.utils.data.Dataset with a length).</summary>
public abstract class Dataset<T>
{
    /// <summary>Number of examples.</summary>
    public abstract int Count { get; }

    /// <summary>The example at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    public abstract T this[int index] { get; }
}

/// <summary>Datasets made from delegates and lists.</summary>
public static class Dataset
{
    /// <summary>A dataset of <paramref name="count"/> examples computed by <paramref name="get"/>.</summary>
    public static Dataset<T> From<T>(int count, Func<int, T> get) => new FuncDataset<T>(count, get);

    /// <summary>A dataset over a list.</summary>
    public static Dataset<T> From<T>(IReadOnlyList<T> items) => new FuncDataset<T>(items.Count, i => items[i]);

    private sealed class FuncDataset<T>(int count, Func<int, T> get) : Dataset<T>
    {
        public override int Count => count;

        public override T this[int index] =>
            (uint)index < (uint)count ? get(index) : throw new ArgumentOutOfRangeException(nameof(index), index, $"the dataset has {count} examples");
    }
}
