namespace Research.Torch.Distributed;

/// <summary>How <see cref="ProcessGroup.AllReduce"/> combines the ranks' tensors (PyTorch's <c>ReduceOp</c>).</summary>
public enum ReduceOp
{
    /// <summary>Elementwise sum.</summary>
    Sum = 0,
    /// <summary>Elementwise product.</summary>
    Product = 1,
    /// <summary>Elementwise minimum.</summary>
    Min = 2,
    /// <summary>Elementwise maximum.</summary>
    Max = 3,
}
