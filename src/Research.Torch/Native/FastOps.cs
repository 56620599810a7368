namespace Research.Torch.Native;

/// <summary>Unboxed native calls for the arithmetic that dominates small-tensor loops (native/src/fastpath.cpp).</summary>
internal static class FastOps
{
    internal enum Binary { Add = 0, Sub = 1, Mul = 2, Div = 3, Matmul = 4 }

    public static Tensor Call(Binary op, Tensor a, Tensor b)
    {
        Interrupt.ThrowIfRequested();
        int code = NativeMethods.rt_binary((int)op, a.Handle, b.Handle, out var result);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        NativeRuntime.Check(code);
        return new Tensor(result);
    }

    /// <summary>The operator with a number on the right; null when the number is not an int or a double.</summary>
    public static Tensor? Call(Binary op, Tensor a, Scalar s)
    {
        if (s.Kind is not (RtKind.Int or RtKind.Double)) return null;
        Interrupt.ThrowIfRequested();
        int code = NativeMethods.rt_binary_scalar((int)op, a.Handle, s.Kind == RtKind.Int ? 1 : 0, s.I, s.D, out var result);
        GC.KeepAlive(a);
        NativeRuntime.Check(code);
        return new Tensor(result);
    }

    /// <summary>
    /// self op= alpha·other in place (alpha applies to add and sub only; 1 when null); returns self, or null
    /// when alpha is neither an int nor a double.
    /// </summary>
    public static Tensor? InPlace(Binary op, Tensor self, Tensor other, Scalar? alpha = null)
    {
        var a = alpha ?? 1;
        if (a.Kind is not (RtKind.Int or RtKind.Double)) return null;
        Interrupt.ThrowIfRequested();
        int code = NativeMethods.rt_binary_inplace((int)op, self.Handle, other.Handle, a.Kind == RtKind.Int ? 1 : 0, a.I, a.D);
        GC.KeepAlive(other);
        NativeRuntime.Check(code);
        return self;
    }

    /// <summary>self op= number in place; null when the number is not an int or a double.</summary>
    public static Tensor? InPlace(Binary op, Tensor self, Scalar s)
    {
        if (s.Kind is not (RtKind.Int or RtKind.Double)) return null;
        Interrupt.ThrowIfRequested();
        NativeRuntime.Check(NativeMethods.rt_binary_scalar_inplace((int)op, self.Handle, s.Kind == RtKind.Int ? 1 : 0, s.I, s.D));
        return self;
    }
}
