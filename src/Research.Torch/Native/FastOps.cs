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
}
