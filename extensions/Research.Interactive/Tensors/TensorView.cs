using System.Globalization;
using System.Net;
using System.Text;
using Research.Torch;

namespace Research.Interactive;

/// <summary>
/// The notebook view of a <see cref="Tensor"/>: a header (type, shape, dtype, device, requires_grad), min/max/mean/std,
/// a value preview summarised as PyTorch does for large tensors, and for small 2-D or [C, H, W] (C = 1 or 3) floating
/// tensors an inline PNG. The tensor is read, never kept or changed; temporaries live in a dispose scope of their own.
/// </summary>
public static class TensorView
{
    /// <summary>Largest height or width drawn as an image.</summary>
    public const int MaxImageSide = 512;

    /// <summary>What a freed tensor shows.</summary>
    public const string DisposedText = "Tensor(disposed)";

    private const string Style = "font-family:monospace;font-size:12px";

    /// <summary>The tensor as HTML; a disposed tensor gives <see cref="DisposedText"/>.</summary>
    public static string ToHtml(Tensor tensor)
    {
        if (tensor.IsDisposed) return Disposed;
        try
        {
            using var scope = Research.Torch.Torch.NewScope();
            using var noGrad = Research.Torch.Torch.NoGrad();
            return Build(tensor);
        }
        catch (ObjectDisposedException)
        {
            return Disposed;       // freed by another thread while being read
        }
    }

    /// <summary>One line of text: type, shape, dtype, device and requires_grad (the plain-text view).</summary>
    public static string Describe(Tensor tensor)
    {
        if (tensor.IsDisposed) return DisposedText;
        try
        {
            return Header(tensor, tensor.Shape);
        }
        catch (ObjectDisposedException)
        {
            return DisposedText;
        }
    }

    private static string Disposed => $"<div class=\"research-tensor\" style=\"{Style}\">{DisposedText}</div>";

    private static string Header(Tensor t, long[] shape) =>
        $"{t.GetType().Name}(shape=[{string.Join(", ", shape)}], dtype={t.DType.Name()}, device={t.Device}, requires_grad={(t.RequiresGrad ? "True" : "False")})";

    private static string Build(Tensor tensor)
    {
        var shape = tensor.Shape;
        var dtype = tensor.DType;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var sb = new StringBuilder($"<div class=\"research-tensor\" style=\"{Style}\">");
        sb.Append("<div style=\"font-weight:bold\">").Append(WebUtility.HtmlEncode(Header(tensor, shape))).Append("</div>");
        var x = tensor.Detach();                  // same storage, outside autograd
        if (count > 0 && !dtype.IsComplex())
        {
            sb.Append("<div style=\"color:#555\">").Append(WebUtility.HtmlEncode(Stats(x, count))).Append("</div>");
            if (ImageLayout(shape, dtype) is { } image) sb.Append(Image(x, image.height, image.width, image.channels));
            sb.Append("<pre style=\"margin:4px 0;max-height:24em;overflow:auto\">").Append(WebUtility.HtmlEncode(Preview(x, shape, dtype))).Append("</pre>");
        }
        else if (dtype.IsComplex())
            sb.Append("<div style=\"color:#555\">complex values: view them with .Real(), .Imag() or .Abs()</div>");
        sb.Append("</div>");
        return sb.ToString();
    }

    /// <summary>min, max, mean and std over the finite values, with the count of NaN/Inf when there are any.</summary>
    private static string Stats(Tensor x, long count)
    {
        var d = x.To(DType.Float64);
        var finite = d.IsFinite();
        long nFinite = finite.Sum().Item<long>();
        var sb = new StringBuilder();
        if (nFinite > 0)
        {
            var values = nFinite == count ? d : d.MaskedSelect(finite);
            sb.Append(string.Create(CultureInfo.InvariantCulture,
                $"min {values.Min().Item<double>():G6}  max {values.Max().Item<double>():G6}  mean {values.Mean().Item<double>():G6}"));
            if (nFinite > 1) sb.Append(string.Create(CultureInfo.InvariantCulture, $"  std {values.Std().Item<double>():G6}"));
        }
        if (nFinite < count)
        {
            long nan = d.IsNan().Sum().Item<long>();
            sb.Append(sb.Length > 0 ? "  " : "").Append($"non-finite {count - nFinite} (NaN {nan}, Inf {count - nFinite - nan})");
        }
        return sb.ToString();
    }

    private static (int height, int width, int channels)? ImageLayout(long[] shape, DType dtype)
    {
        if (!dtype.IsFloatingPoint()) return null;
        static bool Fits(long h, long w) => h is > 0 and <= MaxImageSide && w is > 0 and <= MaxImageSide;
        if (shape.Length == 2 && Fits(shape[0], shape[1])) return ((int)shape[0], (int)shape[1], 1);
        if (shape.Length == 3 && shape[0] is 1 or 3 && Fits(shape[1], shape[2])) return ((int)shape[1], (int)shape[2], (int)shape[0]);
        return null;
    }

    /// <summary>
    /// An &lt;img&gt; of a [H, W] or [C, H, W] tensor: RGB in [0, 1] is drawn as is, anything else is scaled from its finite
    /// min (black) to max (white); NaN is black. Small images are magnified with square pixels.
    /// </summary>
    private static string Image(Tensor x, int height, int width, int channels)
    {
        var hwc = x.Dim == 3 ? x.Permute(1, 2, 0) : x;            // [H, W, C]
        var values = hwc.To(Device.CPU, DType.Float64).Contiguous().ToArray<double>();
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
            if (double.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        if (channels == 3 && lo >= 0 && hi <= 1) (lo, hi) = (0, 1);
        double scale = hi > lo ? 255 / (hi - lo) : 0;
        var pixels = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
            pixels[i] = double.IsFinite(values[i]) ? (byte)Math.Clamp(Math.Round((values[i] - lo) * scale), 0, 255) : (byte)0;
        var uri = Png.ToDataUri(Png.Encode(pixels, width, height, channels));
        int zoom = Math.Clamp(256 / Math.Max(height, width), 1, 16);
        string range = channels == 3 && lo == 0 && hi == 1 ? "RGB in [0, 1]" : string.Create(CultureInfo.InvariantCulture, $"black {lo:G4}, white {hi:G4}");
        return $"<div style=\"margin:4px 0\"><img src=\"{uri}\" width=\"{width * zoom}\" height=\"{height * zoom}\" style=\"image-rendering:pixelated;border:1px solid #ccc\" alt=\"tensor as image\" title=\"{range}\"/></div>";
    }

    /// <summary>
    /// The values nested in brackets. Above <see cref="TensorFormat.Threshold"/> elements only the first and last
    /// <see cref="TensorFormat.EdgeItems"/> of each long dimension are gathered (on the tensor's device) and shown around "...".
    /// </summary>
    private static string Preview(Tensor x, long[] shape, DType dtype)
    {
        const int edge = TensorFormat.EdgeItems;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var cut = new bool[shape.Length];
        var shown = (long[])shape.Clone();
        var p = x;
        if (count > TensorFormat.Threshold)
        {
            for (int k = 0; k < shape.Length; k++)
            {
                long n = shape[k];
                if (n <= 2 * edge) continue;
                var index = Tensor.From(Enumerable.Range(0, edge).Select(i => (long)i).Concat(Enumerable.Range(0, edge).Select(i => n - edge + i)).ToArray());
                p = p.IndexSelect(k, index.To(x.Device));
                cut[k] = true;
                shown[k] = 2 * edge;
            }
        }
        var values = p.To(Device.CPU, DType.Float64).Contiguous().ToArray<double>();
        var format = NumberFormat(values, dtype);
        int width = values.Max(v => format(v).Length);
        var sb = new StringBuilder("tensor(");
        AppendLevel(sb, values, shown, cut, 0, 0, v => format(v).PadLeft(width));
        sb.Append(')');
        return sb.ToString();
    }

    private static void AppendLevel(StringBuilder sb, double[] values, long[] shape, bool[] cut, int level, long offset, Func<double, string> format)
    {
        if (shape.Length == 0)
        {
            sb.Append(format(values[0]).Trim());
            return;
        }
        long stride = 1;
        for (int k = level + 1; k < shape.Length; k++) stride *= shape[k];
        long n = shape[level];
        bool last = level == shape.Length - 1;
        string separator = last ? ", " : "," + new string('\n', shape.Length - 1 - level) + new string(' ', level + 8);
        sb.Append('[');
        for (long i = 0; i < n; i++)
        {
            if (cut[level] && i == TensorFormat.EdgeItems) sb.Append("...").Append(separator);
            if (last) sb.Append(format(values[offset + i]));
            else AppendLevel(sb, values, shape, cut, level + 1, offset + i * stride, format);
            if (i < n - 1) sb.Append(separator);
        }
        sb.Append(']');
    }

    /// <summary>Integers for integral dtypes and True/False for bool; floats in fixed point with 4 decimals, or scientific when their magnitudes span too far.</summary>
    private static Func<double, string> NumberFormat(double[] values, DType dtype)
    {
        var c = CultureInfo.InvariantCulture;
        if (dtype == DType.Bool) return v => v != 0 ? "True" : "False";
        if (!dtype.IsFloatingPoint()) return v => ((long)v).ToString(c);
        double maxAbs = 0, minAbs = double.PositiveInfinity;
        foreach (var v in values)
        {
            if (!double.IsFinite(v) || v == 0) continue;
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
            minAbs = Math.Min(minAbs, Math.Abs(v));
        }
        bool scientific = maxAbs >= 1e8 || (maxAbs > 0 && (minAbs < 1e-4 || maxAbs / minAbs > 1e3));
        return v => double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf")
            : v.ToString(scientific ? "0.0000e+00" : "0.0000", c);
    }
}
