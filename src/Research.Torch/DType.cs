namespace Research.Torch;

/// <summary>Element types, numbered as libtorch's c10::ScalarType.</summary>
public enum DType
{
    UInt8 = 0, Int8 = 1, Int16 = 2, Int32 = 3, Int64 = 4, Float16 = 5, Float32 = 6, Float64 = 7,
    Complex64 = 9, Complex128 = 10, Bool = 11, BFloat16 = 15,
}

/// <summary>Facts about element types.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType t) => t switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 or DType.Complex64 => 8,
        DType.Complex128 => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>
    /// <paramref name="t"/> itself when it is one of the defined types; an undefined value (<c>(DType)1000</c>) is an
    /// <see cref="ArgumentOutOfRangeException"/> here, before it reaches libtorch's type tables.
    /// </summary>
    public static DType Checked(this DType t) => t is DType.UInt8 or DType.Int8 or DType.Int16 or DType.Int32 or DType.Int64
        or DType.Float16 or DType.Float32 or DType.Float64 or DType.Complex64 or DType.Complex128 or DType.Bool or DType.BFloat16
        ? t : throw new ArgumentOutOfRangeException(nameof(t), (int)t, $"{(int)t} is not a dtype");

    /// <summary>True for floating-point types (not complex).</summary>
    public static bool IsFloatingPoint(this DType t) =>
        t is DType.Float16 or DType.Float32 or DType.Float64 or DType.BFloat16;

    /// <summary>True for complex types.</summary>
    public static bool IsComplex(this DType t) => t is DType.Complex64 or DType.Complex128;

    /// <summary>PyTorch's name for the type (torch.float32 → "float32").</summary>
    public static string Name(this DType t) => t switch
    {
        DType.UInt8 => "uint8", DType.Int8 => "int8", DType.Int16 => "int16", DType.Int32 => "int32",
        DType.Int64 => "int64", DType.Float16 => "float16", DType.Float32 => "float32", DType.Float64 => "float64",
        DType.Complex64 => "complex64", DType.Complex128 => "complex128", DType.Bool => "bool", DType.BFloat16 => "bfloat16",
        _ => t.ToString(),
    };

    internal static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(short)) return DType.Int16;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(System.Numerics.Complex)) return DType.Complex128;
        throw new NotSupportedException($"{typeof(T).Name} has no tensor dtype");
    }
}
