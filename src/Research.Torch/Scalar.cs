using System.Numerics;

namespace Research.Torch;

/// <summary>A number passed to an operator (PyTorch's Scalar): integer, real, boolean or complex.</summary>
public readonly struct Scalar
{
    internal readonly Native.RtKind Kind;
    internal readonly long I;
    internal readonly double D;
    internal readonly double D2;

    private Scalar(Native.RtKind kind, long i, double d, double d2) { Kind = kind; I = i; D = d; D2 = d2; }

    public static implicit operator Scalar(int v) => new(Native.RtKind.Int, v, 0, 0);
    public static implicit operator Scalar(long v) => new(Native.RtKind.Int, v, 0, 0);
    public static implicit operator Scalar(float v) => new(Native.RtKind.Double, 0, v, 0);
    public static implicit operator Scalar(double v) => new(Native.RtKind.Double, 0, v, 0);
    public static implicit operator Scalar(bool v) => new(Native.RtKind.Bool, v ? 1 : 0, 0, 0);
    public static implicit operator Scalar(Complex v) => new(Native.RtKind.Complex, 0, v.Real, v.Imaginary);

    /// <summary>True for integer (and boolean) scalars.</summary>
    public bool IsIntegral => Kind is Native.RtKind.Int or Native.RtKind.Bool;

    /// <summary>The value as a double.</summary>
    public double ToDouble() => Kind switch { Native.RtKind.Int or Native.RtKind.Bool => I, _ => D };

    public override string ToString() => Kind switch
    {
        Native.RtKind.Int => I.ToString(),
        Native.RtKind.Bool => (I != 0).ToString(),
        Native.RtKind.Complex => new Complex(D, D2).ToString(),
        _ => D.ToString("R"),
    };
}
