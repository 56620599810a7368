using System.Globalization;
using System.Text;

namespace Research.Torch;

/// <summary>Text form of tensors, close to PyTorch's repr: values (summarised when large), shape, dtype, device.</summary>
public static class TensorFormat
{
    /// <summary>Elements shown per dimension edge before summarising with "...".</summary>
    public const int EdgeItems = 3;

    /// <summary>Tensors with more elements than this are summarised.</summary>
    public const int Threshold = 1000;

    /// <summary>Formats a tensor as <c>tensor([...], dtype=float32)</c> with its shape.</summary>
    public static string Format(Tensor t)
    {
        var shape = t.Shape;
        var dtype = t.DType;
        var device = t.Device;
        var sb = new StringBuilder("tensor(");
        if (dtype.IsComplex() || dtype is DType.Float16 or DType.BFloat16)
        {
            sb.Append("...");
        }
        else
        {
            using var cpu = t.Detach();
            using var d = cpu.To(Device.CPU, DType.Float64);
            var values = d.ToArray<double>();
            bool summarise = values.Length > Threshold;
            bool integral = !dtype.IsFloatingPoint();
            AppendLevel(sb, values, shape, 0, 0, summarise, integral, dtype == DType.Bool);
        }
        sb.Append($", shape=[{string.Join(", ", shape)}], dtype={dtype.Name()}");
        if (device.Type != DeviceType.CPU) sb.Append($", device={device}");
        if (t.RequiresGrad) sb.Append(", requires_grad=True");
        sb.Append(')');
        return sb.ToString();
    }

    private static void AppendLevel(StringBuilder sb, double[] values, long[] shape, int level, long offset, bool summarise, bool integral, bool boolean)
    {
        if (shape.Length == 0)
        {
            sb.Append(FormatValue(values[0], integral, boolean));
            return;
        }
        long stride = 1;
        for (int k = level + 1; k < shape.Length; k++) stride *= shape[k];
        long n = shape[level];
        sb.Append('[');
        for (long i = 0; i < n; i++)
        {
            if (summarise && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append("..., ");
                i = n - EdgeItems - 1;
                continue;
            }
            if (level == shape.Length - 1) sb.Append(FormatValue(values[offset + i], integral, boolean));
            else AppendLevel(sb, values, shape, level + 1, offset + i * stride, summarise, integral, boolean);
            if (i < n - 1) sb.Append(level == shape.Length - 1 ? ", " : ",\n" + new string(' ', level + 8));
        }
        sb.Append(']');
    }

    private static string FormatValue(double v, bool integral, bool boolean) =>
        boolean ? (v != 0 ? "True" : "False") :
        integral ? ((long)v).ToString(CultureInfo.InvariantCulture) :
        v.ToString("0.0000", CultureInfo.InvariantCulture);
}
