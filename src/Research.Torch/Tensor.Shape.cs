namespace Research.Torch;

// Views and shape operations, joining and splitting, type and device conversion.
public partial class Tensor
{
    private static readonly Op s_view = new("view"), s_reshape = new("reshape"), s_permute = new("permute"),
        s_transpose = new("transpose", "int"), s_t = new("t"), s_unsqueeze = new("unsqueeze"), s_squeeze = new("squeeze"),
        s_squeezeDim = new("squeeze", "dim"), s_flatten = new("flatten", "using_ints"), s_unflatten = new("unflatten", "int"),
        s_expand = new("expand"), s_expandAs = new("expand_as"), s_repeat = new("repeat"), s_contiguous = new("contiguous"),
        s_narrow = new("narrow"), s_select = new("select", "int"), s_slice = new("slice", "Tensor"), s_chunk = new("chunk"),
        s_split = new("split", "Tensor"), s_splitSizes = new("split_with_sizes"), s_cat = new("cat"), s_stack = new("stack"),
        s_clone = new("clone"), s_detach = new("detach"), s_toDtype = new("to", "dtype"), s_toDevice = new("to", "device"),
        s_unbind = new("unbind", "int"), s_movedim = new("movedim", "int"), s_repeatInterleave = new("repeat_interleave", "self_int"),
        s_tile = new("tile"), s_flip = new("flip"), s_roll = new("roll"), s_tril = new("tril"), s_triu = new("triu"),
        s_diag = new("diag"), s_diagonal = new("diagonal"), s_diagEmbed = new("diag_embed"), s_broadcastTo = new("broadcast_to"),
        s_pad = new("pad"), s_unfold = new("unfold"), s_mT = new("transpose", "int"), s_viewAs = new("view_as"),
        s_meshgrid = new("meshgrid", "indexing"), s_tensorSplit = new("tensor_split", "sections"), s_hstack = new("hstack"),
        s_vstack = new("vstack"), s_atleast2d = new("atleast_2d");

    /// <summary>A view with a new shape (one dimension may be -1); the data must be compatible.</summary>
    public Tensor View(params long[] shape) => s_view.Call(this, shape);

    /// <summary>A tensor with a new shape (a view when possible, else a copy).</summary>
    public Tensor Reshape(params long[] shape) => s_reshape.Call(this, shape);

    /// <summary>A view with this tensor's data shaped like <paramref name="other"/>.</summary>
    public Tensor ViewAs(Tensor other) => s_viewAs.CallTensor(this, other);

    /// <summary>Reorders dimensions.</summary>
    public Tensor Permute(params long[] dims) => s_permute.Call(this, dims);

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(long dim0, long dim1) => s_transpose.Call(this, dim0, dim1);

    /// <summary>The transpose of a matrix (≤ 2-D).</summary>
    public Tensor T => s_t.CallTensor(this);

    /// <summary>Swaps the last two dimensions (batched matrix transpose).</summary>
    public Tensor MT => s_mT.Call(this, -2L, -1L);

    /// <summary>Inserts a dimension of size 1.</summary>
    public Tensor Unsqueeze(long dim) => s_unsqueeze.Call(this, dim);

    /// <summary>Removes all dimensions of size 1.</summary>
    public Tensor Squeeze() => s_squeeze.CallTensor(this);

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1.</summary>
    public Tensor Squeeze(long dim) => s_squeezeDim.Call(this, dim);

    /// <summary>Flattens dimensions start..end into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1) => s_flatten.Call(this, startDim, endDim);

    /// <summary>Splits dimension <paramref name="dim"/> into <paramref name="sizes"/>.</summary>
    public Tensor Unflatten(long dim, params long[] sizes) => s_unflatten.Call(this, dim, sizes);

    /// <summary>A broadcast view with a larger shape (-1 keeps a size).</summary>
    public Tensor Expand(params long[] shape) => s_expand.Call(this, shape);

    /// <summary>A broadcast view shaped like <paramref name="other"/>.</summary>
    public Tensor ExpandAs(Tensor other) => s_expandAs.CallTensor(this, other);

    /// <summary>Broadcasts to a shape.</summary>
    public Tensor BroadcastTo(params long[] shape) => s_broadcastTo.Call(this, shape);

    /// <summary>Tiles the data (torch.Tensor.repeat).</summary>
    public Tensor Repeat(params long[] repeats) => s_repeat.Call(this, repeats);

    /// <summary>Tiles the data (torch.tile).</summary>
    public Tensor Tile(params long[] reps) => s_tile.Call(this, reps);

    /// <summary>Repeats each element <paramref name="repeats"/> times along <paramref name="dim"/>.</summary>
    public Tensor RepeatInterleave(long repeats, long? dim = null) => s_repeatInterleave.Call(this, repeats, OpArg.Of(dim));

    /// <summary>A contiguous (row-major) tensor with the same values.</summary>
    public Tensor Contiguous() => s_contiguous.CallTensor(this);

    /// <summary>A view of <paramref name="length"/> entries of <paramref name="dim"/> from <paramref name="start"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) => s_narrow.Call(this, dim, start, length);

    /// <summary>The slice at <paramref name="index"/> of <paramref name="dim"/>, with that dimension removed.</summary>
    public Tensor Select(long dim, long index) => s_select.Call(this, dim, index);

    /// <summary>A strided view of <paramref name="dim"/>: start..end by step (null: to the end).</summary>
    public Tensor Slice(long dim, long? start, long? end, long step = 1) =>
        s_slice.Call(this, dim, OpArg.Of(start), OpArg.Of(end), step);

    /// <summary>Splits into <paramref name="chunks"/> nearly equal views along <paramref name="dim"/>.</summary>
    public Tensor[] Chunk(long chunks, long dim = 0) => (Tensor[])s_chunk.Invoke(this, chunks, dim)[0]!;

    /// <summary>Splits into views of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] Split(long splitSize, long dim = 0) => (Tensor[])s_split.Invoke(this, splitSize, dim)[0]!;

    /// <summary>Splits into views with the given sizes along <paramref name="dim"/>.</summary>
    public Tensor[] Split(long[] sizes, long dim = 0) => (Tensor[])s_splitSizes.Invoke(this, sizes, dim)[0]!;

    /// <summary>Splits into <paramref name="sections"/> views along <paramref name="dim"/> (torch.tensor_split).</summary>
    public Tensor[] TensorSplit(long sections, long dim = 0) => (Tensor[])s_tensorSplit.Invoke(this, sections, dim)[0]!;

    /// <summary>Removes a dimension, returning its slices.</summary>
    public Tensor[] Unbind(long dim = 0) => (Tensor[])s_unbind.Invoke(this, dim)[0]!;

    /// <summary>Moves a dimension to a new position.</summary>
    public Tensor MoveDim(long source, long destination) => s_movedim.Call(this, source, destination);

    /// <summary>Reverses the order along the given dimensions.</summary>
    public Tensor Flip(params long[] dims) => s_flip.Call(this, dims);

    /// <summary>Rolls values along dimensions (wrapping around).</summary>
    public Tensor Roll(long[] shifts, long[] dims) => s_roll.Call(this, shifts, dims);

    /// <summary>Rolls values along one dimension.</summary>
    public Tensor Roll(long shift, long dim) => s_roll.Call(this, new[] { shift }, new[] { dim });

    /// <summary>The lower triangle (diagonal offset <paramref name="diagonal"/>), zeros elsewhere.</summary>
    public Tensor Tril(long diagonal = 0) => s_tril.Call(this, diagonal);

    /// <summary>The upper triangle (diagonal offset <paramref name="diagonal"/>), zeros elsewhere.</summary>
    public Tensor Triu(long diagonal = 0) => s_triu.Call(this, diagonal);

    /// <summary>A diagonal matrix from a vector, or the diagonal of a matrix.</summary>
    public Tensor Diag(long diagonal = 0) => s_diag.Call(this, diagonal);

    /// <summary>A view of diagonals over two dimensions.</summary>
    public Tensor Diagonal(long offset = 0, long dim1 = 0, long dim2 = 1) => s_diagonal.Call(this, offset, dim1, dim2);

    /// <summary>Batched diagonal matrices from the last dimension.</summary>
    public Tensor DiagEmbed(long offset = 0, long dim1 = -2, long dim2 = -1) => s_diagEmbed.Call(this, offset, dim1, dim2);

    /// <summary>Sliding windows of <paramref name="size"/> with <paramref name="step"/> along <paramref name="dim"/> (a view).</summary>
    public Tensor Unfold(long dim, long size, long step) => s_unfold.Call(this, dim, size, step);

    /// <summary>
    /// Pads the last dimensions: <paramref name="pad"/> lists (left, right) pairs starting from the last
    /// dimension, as torch.nn.functional.pad. <paramref name="mode"/>: constant, reflect, replicate, circular.
    /// </summary>
    public Tensor Pad(long[] pad, string mode = "constant", double value = 0) =>
        s_pad.Call(this, pad, mode, mode == "constant" ? value : OpArg.None);

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor Cat(Tensor[] tensors, long dim = 0) => s_cat.Call(tensors, dim);

    /// <summary>Joins tensors along a new dimension.</summary>
    public static Tensor Stack(Tensor[] tensors, long dim = 0) => s_stack.Call(tensors, dim);

    /// <summary>Joins horizontally (dimension 1, or 0 for vectors).</summary>
    public static Tensor HStack(Tensor[] tensors) => s_hstack.Call(tensors);

    /// <summary>Joins vertically (rows).</summary>
    public static Tensor VStack(Tensor[] tensors) => s_vstack.Call(tensors);

    /// <summary>Coordinate grids; <paramref name="indexing"/> is "ij" or "xy".</summary>
    public static Tensor[] Meshgrid(Tensor[] tensors, string indexing = "ij") => (Tensor[])s_meshgrid.Invoke(tensors, indexing)[0]!;

    /// <summary>A copy with its own storage (differentiable).</summary>
    public Tensor Clone() => s_clone.CallTensor(this);

    /// <summary>The same data, cut from the autograd graph.</summary>
    public Tensor Detach() => s_detach.CallTensor(this);

    /// <summary>Converts to another dtype (returns the same data when nothing changes).</summary>
    public Tensor To(DType dtype) => s_toDtype.Call(this, dtype);

    /// <summary>Moves to another device.</summary>
    public Tensor To(Device device) => s_toDevice.Call(this, Checked(device), DType);

    /// <summary>Moves to another device and dtype.</summary>
    public Tensor To(Device device, DType dtype) => s_toDevice.Call(this, Checked(device), dtype);

    /// <summary>float32 copy.</summary>
    public Tensor Float() => To(DType.Float32);

    /// <summary>float64 copy.</summary>
    public Tensor Double() => To(DType.Float64);

    /// <summary>int64 copy.</summary>
    public Tensor Long() => To(DType.Int64);

    /// <summary>int32 copy.</summary>
    public Tensor Int() => To(DType.Int32);

    /// <summary>bool copy.</summary>
    public Tensor Bool() => To(DType.Bool);

    /// <summary>float16 copy.</summary>
    public Tensor Half() => To(DType.Float16);

    /// <summary>bfloat16 copy.</summary>
    public Tensor BFloat16() => To(DType.BFloat16);

    /// <summary>On the CPU.</summary>
    public Tensor Cpu() => To(Device.CPU);

    /// <summary>On CUDA device <paramref name="index"/>.</summary>
    public Tensor Cuda(int index = 0) => To(Device.Cuda(index));
}
