using Research.Torch;

namespace Research.Interactive;

/// <summary>A 2-D tensor (or one with leading size-1 dimensions) as rows of doubles, the shape heatmaps take.</summary>
public static class TensorRows
{
    /// <summary>Copies <paramref name="tensor"/> ([rows, columns], leading 1s allowed) to the CPU as double rows.</summary>
    public static double[][] Of(Tensor tensor)
    {
        using var scope = Research.Torch.Torch.NewScope();
        var t = tensor.Detach();
        while (t.Dim > 2 && t.Size(0) == 1) t = t.Squeeze(0);
        if (t.Dim == 1) t = t.Unsqueeze(0);
        if (t.Dim != 2) throw new ArgumentException($"expected a 2-D tensor, got shape [{string.Join(", ", tensor.Shape)}]", nameof(tensor));
        long rows = t.Size(0), columns = t.Size(1);
        var flat = t.Cpu().Double().Contiguous().ToArray<double>();
        return Enumerable.Range(0, (int)rows).Select(r => flat.AsSpan((int)(r * columns), (int)columns).ToArray()).ToArray();
    }
}
