using System.Text;
using Research.Torch.Native;

namespace Research.Torch;

/// <summary>
/// One argument of a dispatcher call: a tensor, a number, a list, a string, None or "use the schema's
/// default". Converted implicitly from the usual .NET values.
/// </summary>
public readonly struct OpArg
{
    internal readonly object? Ref;
    internal readonly long I;
    internal readonly double D;
    internal readonly double D2;
    internal readonly RtKind Kind;

    private OpArg(RtKind kind, object? reference = null, long i = 0, double d = 0, double d2 = 0)
    {
        Kind = kind; Ref = reference; I = i; D = d; D2 = d2;
    }

    /// <summary>Python's None (an absent optional argument).</summary>
    public static readonly OpArg None = new(RtKind.None);

    /// <summary>Leave the argument at the schema's default value.</summary>
    public static readonly OpArg Default = new(RtKind.Default);

    public static implicit operator OpArg(Tensor? t) => t is null ? None : new(RtKind.Tensor, t);
    public static implicit operator OpArg(int v) => new(RtKind.Int, i: v);
    public static implicit operator OpArg(long v) => new(RtKind.Int, i: v);
    public static implicit operator OpArg(double v) => new(RtKind.Double, d: v);
    public static implicit operator OpArg(float v) => new(RtKind.Double, d: v);
    public static implicit operator OpArg(bool v) => new(RtKind.Bool, i: v ? 1 : 0);
    public static implicit operator OpArg(Scalar s) => new(s.Kind, i: s.I, d: s.D, d2: s.D2);
    public static implicit operator OpArg(long[]? v) => v is null ? None : new(RtKind.IntList, v);
    public static implicit operator OpArg(double[]? v) => v is null ? None : new(RtKind.DoubleList, v);
    public static implicit operator OpArg(bool[]? v) => v is null ? None : new(RtKind.BoolList, v);
    public static implicit operator OpArg(Tensor[]? v) => v is null ? None : new(RtKind.TensorList, v);
    public static implicit operator OpArg(string? v) => v is null ? None : new(RtKind.String, v);
    public static implicit operator OpArg(DType v) => new(RtKind.Int, i: (int)v.Checked());
    public static implicit operator OpArg(Device v) => new(RtKind.String, v.ToString());

    /// <summary>A dtype that may be absent.</summary>
    public static OpArg Of(DType? v) => v is null ? None : (OpArg)v.Value;

    /// <summary>An int that may be absent.</summary>
    public static OpArg Of(long? v) => v is null ? None : (OpArg)v.Value;

    /// <summary>A double that may be absent.</summary>
    public static OpArg Of(double? v) => v is null ? None : (OpArg)v.Value;

    /// <summary>A bool that may be absent.</summary>
    public static OpArg Of(bool? v) => v is null ? None : (OpArg)v.Value;

    /// <summary>A list of optional tensors (aten::index's <c>Tensor?[]</c>).</summary>
    public static OpArg OptionalTensors(Tensor?[] v) => new(RtKind.OptionalTensorList, v);

    /// <summary>Number of scratch slots (8 bytes each) the argument needs during the call.</summary>
    internal int ScratchSlots => Kind switch
    {
        RtKind.IntList => ((long[])Ref!).Length,
        RtKind.DoubleList => ((double[])Ref!).Length,
        RtKind.BoolList => (((bool[])Ref!).Length + 7) / 8,
        RtKind.TensorList or RtKind.OptionalTensorList => ((Array)Ref!).Length,
        RtKind.String => (Encoding.UTF8.GetMaxByteCount(((string)Ref!).Length) + 8) / 8,
        _ => 0,
    };

    /// <summary>Writes the native form; lists and strings are copied into <paramref name="scratch"/> (caller-pinned).</summary>
    internal unsafe RtValue ToNative(long* scratch)
    {
        var v = new RtValue { Kind = Kind, I = I, D = D, D2 = D2 };
        switch (Kind)
        {
            case RtKind.Tensor:
                v.P = ((Tensor)Ref!).Handle;
                break;
            case RtKind.IntList:
            {
                var a = (long[])Ref!;
                a.AsSpan().CopyTo(new Span<long>(scratch, a.Length));
                v.P = (IntPtr)scratch; v.Count = a.Length;
                break;
            }
            case RtKind.DoubleList:
            {
                var a = (double[])Ref!;
                a.AsSpan().CopyTo(new Span<double>(scratch, a.Length));
                v.P = (IntPtr)scratch; v.Count = a.Length;
                break;
            }
            case RtKind.BoolList:
            {
                var a = (bool[])Ref!;
                var bytes = (byte*)scratch;
                for (int k = 0; k < a.Length; k++) bytes[k] = a[k] ? (byte)1 : (byte)0;
                v.P = (IntPtr)scratch; v.Count = a.Length;
                break;
            }
            case RtKind.TensorList:
            case RtKind.OptionalTensorList:
            {
                var a = (Tensor?[])Ref!;
                for (int k = 0; k < a.Length; k++)
                {
                    if (a[k] is null && Kind == RtKind.TensorList)
                        throw new ArgumentNullException(null, $"tensor list element {k} is null");
                    scratch[k] = a[k] is { } t ? (long)t.Handle : 0;
                }
                v.P = (IntPtr)scratch; v.Count = a.Length;
                break;
            }
            case RtKind.String:
            {
                var s = (string)Ref!;
                var bytes = new Span<byte>(scratch, ScratchSlots * 8);
                int n = Encoding.UTF8.GetBytes(s, bytes);
                bytes[n] = 0;
                v.P = (IntPtr)scratch;
                break;
            }
        }
        return v;
    }

    internal void KeepAlive()
    {
        if (Ref is Tensor t) GC.KeepAlive(t);
        else if (Ref is Tensor?[] list) GC.KeepAlive(list);
    }
}
