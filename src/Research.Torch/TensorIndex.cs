namespace Research.Torch;

/// <summary>
/// One entry of a Python-style index: an integer, a slice (C# ranges, or <see cref="Slice"/> with a
/// step), <see cref="Ellipsis"/>, <see cref="NewAxis"/>, or a boolean/integer tensor.
/// <c>x[.., 1..3]</c> is <c>x[:, 1:3]</c>; <c>x[TensorIndex.Ellipsis, 0]</c> is <c>x[..., 0]</c>.
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kinds { Int, Slice, Ellipsis, NewAxis, Tensor }

    internal readonly Kinds Kind;
    internal readonly long Value;
    internal readonly long? Start, Stop;
    internal readonly long Step;
    internal readonly Tensor? Tensor;

    private TensorIndex(Kinds kind, long value = 0, long? start = null, long? stop = null, long step = 1, Tensor? tensor = null)
    {
        Kind = kind; Value = value; Start = start; Stop = stop; Step = step; Tensor = tensor;
    }

    /// <summary>Python's <c>...</c>: as many full slices as needed.</summary>
    public static readonly TensorIndex Ellipsis = new(Kinds.Ellipsis);

    /// <summary>Python's <c>None</c>: a new dimension of size 1.</summary>
    public static readonly TensorIndex NewAxis = new(Kinds.NewAxis);

    /// <summary>Python's <c>start:stop:step</c> (null bounds mean the ends; negative values count from the end).</summary>
    public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1)
    {
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), step, "slice step must be positive");
        return new(Kinds.Slice, start: start, stop: stop, step: step);
    }

    public static implicit operator TensorIndex(int i) => new(Kinds.Int, i);
    public static implicit operator TensorIndex(long i) => new(Kinds.Int, i);
    public static implicit operator TensorIndex(Index i) => new(Kinds.Int, i.IsFromEnd ? -i.Value : i.Value);
    public static implicit operator TensorIndex(Range r) => new(Kinds.Slice,
        start: r.Start.IsFromEnd ? -r.Start.Value : r.Start.Value,
        stop: r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value);
    public static implicit operator TensorIndex(Tensor t) => new(Kinds.Tensor, tensor: t);
}

// Python-style indexing: x[i, 1..3, TensorIndex.NewAxis, mask] and assignment through it.
public partial class Tensor
{
    private static readonly Op s_index = new("index", "Tensor"), s_indexPut_ = new("index_put_"),
        s_gather = new("gather"), s_scatter = new("scatter", "src"), s_scatterAdd = new("scatter_add"),
        s_scatterReduce = new("scatter_reduce", "two"), s_indexSelect = new("index_select"), s_indexAdd = new("index_add"),
        s_maskedSelect = new("masked_select"), s_take = new("take"), s_indexFill = new("index_fill", "int_Scalar");

    /// <summary>Indexes as Python does: integers remove a dimension, slices keep it, tensors gather.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[params TensorIndex[] index]
    {
        get => Index(index);
        set
        {
            using var scope = Torch.NewScope();
            Assign(index, value);
        }
    }

    /// <summary>Assigns a number to the indexed elements (x[mask] = 0).</summary>
    public void SetItem(TensorIndex[] index, Scalar value)
    {
        using var scope = Torch.NewScope();
        Assign(index, Full([], value, DType, Device));
    }

    private Tensor Index(TensorIndex[] index)
    {
        var (view, tensors) = BasicIndex(index);
        if (tensors is null) return view;
        try
        {
            return s_index.Call(view, OpArg.OptionalTensors(tensors));
        }
        finally
        {
            view.Dispose();
        }
    }

    private void Assign(TensorIndex[] index, Tensor value)
    {
        var (view, tensors) = BasicIndex(index);
        if (tensors is null) view.Copy_(value);
        else s_indexPut_.Call(view, OpArg.OptionalTensors(tensors), value, false).Dispose();
    }

    // Applies integers, slices, None and ... as views; returns the view and, when tensor indices are
    // present, the per-dimension tensor list for aten::index on that view.
    private (Tensor View, Tensor?[]? Tensors) BasicIndex(TensorIndex[] index)
    {
        int consumed = 0, ellipses = 0;
        foreach (var i in index)
        {
            if (i.Kind == TensorIndex.Kinds.Ellipsis) ellipses++;
            else if (i.Kind == TensorIndex.Kinds.Tensor && i.Tensor!.DType is DType.Bool or DType.UInt8) consumed += i.Tensor.Dim;
            else if (i.Kind != TensorIndex.Kinds.NewAxis) consumed++;
        }
        if (ellipses > 1) throw new ArgumentException("an index can only have a single ellipsis");
        int dims = Dim;
        if (consumed > dims) throw new TorchIndexException($"too many indices for tensor of dimension {dims} (got {consumed})");

        Tensor current = Alias();
        List<Tensor?>? tensors = null;
        int dim = 0;
        try
        {
            foreach (var i in index)
            {
                Tensor next;
                switch (i.Kind)
                {
                    case TensorIndex.Kinds.Int:
                        next = current.Select(dim, i.Value);
                        break;
                    case TensorIndex.Kinds.Slice:
                        next = current.Slice(dim, i.Start, i.Stop, i.Step);
                        tensors?.Add(null);
                        dim++;
                        break;
                    case TensorIndex.Kinds.NewAxis:
                        next = current.Unsqueeze(dim);
                        tensors?.Add(null);
                        dim++;
                        break;
                    case TensorIndex.Kinds.Ellipsis:
                        int skip = dims - consumed;
                        for (int k = 0; k < skip; k++) tensors?.Add(null);
                        dim += skip;
                        continue;
                    default:
                        tensors ??= Enumerable.Repeat<Tensor?>(null, dim).ToList();
                        var t = i.Tensor!;
                        tensors.Add(t);
                        // A boolean mask covers as many dimensions as it has; aten::index expands it.
                        dim += t.DType is DType.Bool or DType.UInt8 ? t.Dim : 1;
                        continue;
                }
                current.Dispose();
                current = next;
            }
            return (current, tensors?.ToArray());
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    /// <summary>Values along <paramref name="dim"/> at <paramref name="index"/> (torch.gather).</summary>
    public Tensor Gather(long dim, Tensor index) => s_gather.Call(this, dim, index, false);

    /// <summary>A copy with <paramref name="src"/> written at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor src) => s_scatter.Call(this, dim, index, src);

    /// <summary>A copy with <paramref name="src"/> added at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor src) => s_scatterAdd.Call(this, dim, index, src);

    /// <summary>A copy with <paramref name="src"/> reduced into <paramref name="index"/> ("sum", "prod", "mean", "amax", "amin").</summary>
    public Tensor ScatterReduce(long dim, Tensor index, Tensor src, string reduce, bool includeSelf = true) =>
        s_scatterReduce.Call(this, dim, index, src, reduce, includeSelf);

    /// <summary>The entries of <paramref name="dim"/> listed in <paramref name="index"/>.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => s_indexSelect.Call(this, dim, index);

    /// <summary>A copy with alpha·<paramref name="source"/> added at the listed entries of <paramref name="dim"/>.</summary>
    public Tensor IndexAdd(long dim, Tensor index, Tensor source, Scalar? alpha = null) =>
        s_indexAdd.Call(this, dim, index, source, alpha is { } a ? a : (Scalar)1);

    /// <summary>A copy with the listed entries of <paramref name="dim"/> set to <paramref name="value"/>.</summary>
    public Tensor IndexFill(long dim, Tensor index, Scalar value) => s_indexFill.Call(this, dim, index, value);

    /// <summary>The elements where <paramref name="mask"/> is true, as a 1-D tensor.</summary>
    public Tensor MaskedSelect(Tensor mask) => s_maskedSelect.CallTensor(this, mask);

    /// <summary>Elements at flat indices.</summary>
    public Tensor Take(Tensor index) => s_take.CallTensor(this, index);
}
