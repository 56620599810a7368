namespace Research.Torch.Data;

/// <summary>
/// Examples are slices along dimension 0 of tensors of equal length (inputs, targets, ...). The dataset
/// holds its own handles to the tensors (outside every scope) and frees them when disposed.
/// </summary>
public sealed class TensorDataset : Dataset<Tensor[]>, IDisposable
{
    private readonly Tensor[] _tensors;

    /// <summary>Wraps tensors that share their first dimension.</summary>
    public TensorDataset(params Tensor[] tensors)
    {
        if (tensors.Length == 0) throw new ArgumentException("a tensor dataset needs at least one tensor", nameof(tensors));
        long n = tensors[0].Dim == 0 ? -1 : tensors[0].Size(0);
        foreach (var t in tensors)
            if (t.Dim == 0 || t.Size(0) != n)
                throw new ArgumentException($"all tensors need the same first dimension, got shapes {string.Join(", ", tensors.Select(x => x.ShapeString))}", nameof(tensors));
        _tensors = tensors.Select(t => t.Alias().DetachFromScope()).ToArray();
        Count = checked((int)n);
    }

    /// <inheritdoc/>
    public override int Count { get; }

    /// <summary>The slices at <paramref name="index"/>, one per tensor.</summary>
    public override Tensor[] this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the dataset has {Count} examples");
            return _tensors.Select(t => t[index]).ToArray();
        }
    }

    /// <summary>The rows at <paramref name="indices"/> of every tensor, gathered in one operation each.</summary>
    public Tensor[] Gather(ReadOnlySpan<int> indices)
    {
        var idx = new long[indices.Length];
        for (int i = 0; i < idx.Length; i++) idx[i] = indices[i];
        using var index = Tensor.From(idx);
        return _tensors.Select(t => t.IndexSelect(0, index)).ToArray();
    }

    /// <summary>Frees the dataset's handles (not the caller's tensors).</summary>
    public void Dispose()
    {
        foreach (var t in _tensors) t.Dispose();
    }
}
