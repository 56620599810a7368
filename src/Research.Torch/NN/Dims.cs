namespace Research.Torch.NN;

/// <summary>
/// A per-dimension size argument (kernel size, stride, dilation...): one number for every spatial
/// dimension, or one per dimension. Converts implicitly from <c>int</c>, <c>long</c>, tuples and arrays.
/// </summary>
public readonly struct Dims
{
    private readonly long[]? _values;

    private Dims(long[] values) => _values = values;

    public static implicit operator Dims(int v) => new([v]);
    public static implicit operator Dims(long v) => new([v]);
    public static implicit operator Dims(long[] v) => new(v);
    public static implicit operator Dims(int[] v) => new(v.Select(x => (long)x).ToArray());
    public static implicit operator Dims((long, long) v) => new([v.Item1, v.Item2]);

    /// <summary>True when no value was given (the default struct).</summary>
    public bool IsEmpty => _values is null || _values.Length == 0;

    /// <summary>The values for <paramref name="n"/> spatial dimensions (a single number is repeated).</summary>
    public long[] For(int n, string what)
    {
        if (_values is null || _values.Length == 0) throw new ArgumentException($"{what} is missing");
        if (_values.Length == n) return (long[])_values.Clone();
        if (_values.Length == 1) return Enumerable.Repeat(_values[0], n).ToArray();
        throw new ArgumentException($"{what} needs 1 or {n} values, got [{string.Join(", ", _values)}]");
    }

    public override string ToString() => _values is null ? "" : _values.Length == 1 ? _values[0].ToString() : $"({string.Join(", ", _values)})";
}

/// <summary>Convolution padding: explicit sizes, or <see cref="Same"/>, <see cref="Valid"/>, <see cref="Causal"/> (all on the left: output t sees inputs ≤ t).</summary>
public readonly struct Padding
{
    private readonly Dims _sizes;

    private Padding(Dims sizes, string? mode)
    {
        _sizes = sizes;
        Mode = mode;
    }

    /// <summary>"same", "valid", "causal", or null for explicit sizes.</summary>
    public string? Mode { get; }

    /// <summary>Output length equals input length (stride 1); the extra pad goes to the right when odd.</summary>
    public static Padding Same => new(default, "same");

    /// <summary>No padding.</summary>
    public static Padding Valid => new(default, "valid");

    /// <summary>Pads dilation·(kernel−1) on the left only, so no output sees the future (along the last dimension).</summary>
    public static Padding Causal => new(default, "causal");

    public static implicit operator Padding(int v) => new(v, null);
    public static implicit operator Padding(long v) => new(v, null);
    public static implicit operator Padding(long[] v) => new(v, null);
    public static implicit operator Padding((long, long) v) => new(v, null);

    public static implicit operator Padding(string mode) => mode.ToLowerInvariant() switch
    {
        "same" => Same,
        "valid" => Valid,
        "causal" => Causal,
        _ => throw new ArgumentException($"padding '{mode}' is not one of same, valid, causal", nameof(mode)),
    };

    /// <summary>Explicit per-dimension sizes (zeros when nothing was given).</summary>
    public long[] Sizes(int n) => Mode is null && !_sizes.IsEmpty ? _sizes.For(n, "padding") : new long[n];

    public override string ToString() => Mode ?? _sizes.ToString();
}

/// <summary>How a convolution pads its input (PyTorch's padding_mode).</summary>
public enum PaddingMode
{
    /// <summary>Zeros.</summary>
    Zeros,
    /// <summary>Mirror without repeating the edge.</summary>
    Reflect,
    /// <summary>Repeat the edge value.</summary>
    Replicate,
    /// <summary>Wrap around.</summary>
    Circular,
}

/// <summary>How a loss reduces over elements; numbered as aten's reduction argument.</summary>
public enum Reduction
{
    /// <summary>One loss per element.</summary>
    None = 0,
    /// <summary>The mean over elements.</summary>
    Mean = 1,
    /// <summary>The sum over elements.</summary>
    Sum = 2,
}
