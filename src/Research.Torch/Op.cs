using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Research.Torch.Native;

namespace Research.Torch;

/// <summary>
/// A libtorch operator found once by name and overload (<c>aten::add</c>, <c>Tensor</c>) and called
/// through the c10 dispatcher. Every aten operator is reachable this way; the typed API is built on it.
/// </summary>
public sealed class Op
{
    private static readonly ConcurrentDictionary<(string, string), Op> s_cache = new();
    private IntPtr _handle;

    /// <summary>Declares an operator; it is looked up on first call.</summary>
    public Op(string name, string overload = "")
    {
        Name = name.Contains("::") ? name : "aten::" + name;
        Overload = overload;
    }

    /// <summary>The qualified name, e.g. <c>aten::conv1d</c>.</summary>
    public string Name { get; }

    /// <summary>The overload name, e.g. <c>Tensor</c> for <c>add.Tensor</c>; empty for the default.</summary>
    public string Overload { get; }

    /// <summary>The shared instance for a name and overload.</summary>
    public static Op Get(string name, string overload = "") => s_cache.GetOrAdd((name, overload), k => new Op(k.Item1, k.Item2));

    private IntPtr Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _handle != IntPtr.Zero ? _handle : Resolve();
    }

    private IntPtr Resolve()
    {
        NativeRuntime.Check(NativeMethods.rt_op_find(Name, Overload, out var h));
        _handle = h;
        return h;
    }

    /// <summary>The operator's schema as libtorch prints it.</summary>
    public unsafe string Schema
    {
        get
        {
            NativeRuntime.Check(NativeMethods.rt_op_schema(Handle, null, 0, out int n));
            var buf = new byte[n + 1];
            fixed (byte* p = buf) NativeRuntime.Check(NativeMethods.rt_op_schema(Handle, p, buf.Length, out n));
            return System.Text.Encoding.UTF8.GetString(buf, 0, n);
        }
    }

    /// <summary>Calls the operator and returns its single tensor result.</summary>
    public unsafe Tensor Call(params ReadOnlySpan<OpArg> args)
    {
        int code = Run(args, out var results, out int n);
        return Single(code, results, n);
    }

    /// <summary>Calls the operator and returns all results: Tensor, Tensor[] (for list results), long, double, bool, Complex or null.</summary>
    public unsafe object?[] Invoke(params ReadOnlySpan<OpArg> args)
    {
        int code = Run(args, out var results, out int n);
        if (code != 0) throw TorchException.FromCode(code, NativeRuntime.LastError());
        return Convert(results, n);
    }

    // Marshals the arguments (lists and strings into stack scratch) and calls the dispatcher. The
    // results live in native thread-local storage until the next call on this thread.
    private unsafe int Run(ReadOnlySpan<OpArg> args, out RtValue* results, out int nresults)
    {
        Interrupt.ThrowIfRequested();
        int slots = 0;
        foreach (ref readonly var a in args) slots += a.ScratchSlots;
        Span<RtValue> values = args.Length <= 16 ? stackalloc RtValue[args.Length] : new RtValue[args.Length];
        Span<long> scratch = slots <= 256 ? stackalloc long[slots] : new long[slots];
        int code;
        fixed (RtValue* pv = values)
        fixed (long* ps = scratch)
        {
            long* cursor = ps;
            for (int k = 0; k < args.Length; k++)
            {
                pv[k] = args[k].ToNative(cursor);
                cursor += args[k].ScratchSlots;
            }
            code = NativeMethods.rt_op_call(Handle, pv, args.Length, out results, out nresults);
        }
        foreach (ref readonly var a in args) a.KeepAlive();
        return code;
    }

    // Fast paths for the typed API's most common shapes of call: one or two arguments, one tensor back.
    internal unsafe Tensor CallTensor(Tensor a)
    {
        RtValue arg = Native(a);
        return CallRaw(&arg, 1, a, null);
    }

    internal unsafe Tensor CallTensor(Tensor a, Tensor b)
    {
        RtValue* args = stackalloc RtValue[2];
        args[0] = Native(a);
        args[1] = Native(b);
        return CallRaw(args, 2, a, b);
    }

    internal unsafe Tensor CallTensor(Tensor a, Scalar s)
    {
        RtValue* args = stackalloc RtValue[2];
        args[0] = Native(a);
        args[1] = new RtValue { Kind = s.Kind, I = s.I, D = s.D, D2 = s.D2 };
        return CallRaw(args, 2, a, null);
    }

    private static RtValue Native(Tensor t) => new() { Kind = RtKind.Tensor, P = t.Handle };

    private unsafe Tensor CallRaw(RtValue* args, int n, Tensor a, Tensor? b)
    {
        Interrupt.ThrowIfRequested();
        int code = NativeMethods.rt_op_call(Handle, args, n, out var results, out int count);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return Single(code, results, count);
    }

    private unsafe Tensor Single(int code, RtValue* results, int n)
    {
        if (code != 0) throw TorchException.FromCode(code, NativeRuntime.LastError());
        if (n == 1 && results[0].Kind == RtKind.Tensor) return new Tensor(results[0].P);
        DisposeAll(Convert(results, n));
        throw new InvalidOperationException($"{this} did not return exactly one tensor");
    }

    private static unsafe object?[] Convert(RtValue* results, int n)
    {
        var list = new List<object?>(n);
        for (int k = 0; k < n; k++)
        {
            var r = results[k];
            switch (r.Kind)
            {
                case RtKind.Tensor: list.Add(new Tensor(r.P)); break;
                case RtKind.TensorList:
                    var ts = new Tensor[r.Count];
                    for (int j = 0; j < r.Count; j++) ts[j] = new Tensor(results[k + 1 + j].P);
                    list.Add(ts);
                    k += r.Count;
                    break;
                case RtKind.Int: list.Add(r.I); break;
                case RtKind.Double: list.Add(r.D); break;
                case RtKind.Bool: list.Add(r.I != 0); break;
                case RtKind.Complex: list.Add(new System.Numerics.Complex(r.D, r.D2)); break;
                default: list.Add(null); break;
            }
        }
        return list.ToArray();
    }

    private static void DisposeAll(object?[] values)
    {
        foreach (var v in values)
        {
            if (v is Tensor t) t.Dispose();
            else if (v is Tensor[] ts) foreach (var x in ts) x.Dispose();
        }
    }

    /// <summary>Every operator schema the loaded libtorch registers, one per entry.</summary>
    public static unsafe IReadOnlyList<string> AllSchemas()
    {
        NativeRuntime.Check(NativeMethods.rt_all_schemas(null, 0, out long n));
        var buf = new byte[n + 1];
        fixed (byte* p = buf) NativeRuntime.Check(NativeMethods.rt_all_schemas(p, buf.Length, out n));
        return System.Text.Encoding.UTF8.GetString(buf, 0, (int)n).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public override string ToString() => Overload.Length == 0 ? Name : $"{Name}.{Overload}";
}
