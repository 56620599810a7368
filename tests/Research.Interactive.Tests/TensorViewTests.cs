using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.DotNet.Interactive.Formatting;
using Research.Torch;
using Research.Torch.NN;

namespace Research.Interactive.Tests;

public class TensorViewTests
{
    internal static byte[] PngOf(string html)
    {
        const string prefix = "<img src=\"data:image/png;base64,";
        int at = html.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(at >= 0, "no inline PNG in: " + html);
        var b64 = html[(at + prefix.Length)..].Split('"')[0];
        return Convert.FromBase64String(b64);
    }

    /// <summary>The pixels of an 8-bit, unfiltered PNG as written by <see cref="Png"/>: IHDR size, IDAT inflated, filter bytes dropped.</summary>
    private static (int width, int height, int colourType, byte[] pixels) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        int width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        int colourType = png[25];
        var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            if (type == "IDAT") idat.Write(png, at + 8, length);
            at += 12 + length;
        }
        using var z = new ZLibStream(new MemoryStream(idat.ToArray()), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        int channels = colourType == 2 ? 3 : 1, stride = width * channels;
        var bytes = raw.ToArray();
        Assert.Equal((stride + 1) * height, bytes.Length);
        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, bytes[y * (stride + 1)]);
            Array.Copy(bytes, y * (stride + 1) + 1, pixels, y * stride, stride);
        }
        return (width, height, colourType, pixels);
    }

    [Fact]
    public void SmallMatrixShowsShapeDtypeStatsAndADecodablePng()
    {
        Formatters.Register();
        using var t = Tensor.Arange(12, DType.Float32).Reshape(3, 4);
        var html = Formatter.ToDisplayString(t, "text/html");
        Assert.Contains("shape=[3, 4]", html);
        Assert.Contains("dtype=float32", html);
        Assert.Contains("device=cpu", html);
        Assert.Contains("requires_grad=False", html);
        Assert.Contains("min 0  max 11  mean 5.5", html);
        Assert.Contains("[ 8.0000,  9.0000, 10.0000, 11.0000]]", html);
        var (width, height, colourType, pixels) = Decode(PngOf(html));
        Assert.Equal((4, 3, 0), (width, height, colourType));
        Assert.Equal(0, pixels[0]);                 // min is black
        Assert.Equal(255, pixels[^1]);              // max is white
        Assert.Equal(Math.Round(5 * 255 / 11.0), pixels[5]);
        Assert.Equal("Tensor(shape=[3, 4], dtype=float32, device=cpu, requires_grad=False)", Formatter.ToDisplayString(t, "text/plain"));
    }

    [Fact]
    public void RgbImagesInTheUnitRangeAreDrawnAsIs()
    {
        var data = new float[3 * 2 * 2];
        data[0] = 1;                                // red channel, pixel (0, 0)
        data[4 + 3] = 0.5f;                         // green channel, pixel (1, 1)
        using var t = Tensor.From(data, 3, 2, 2);
        var (width, height, colourType, pixels) = Decode(PngOf(TensorView.ToHtml(t)));
        Assert.Equal((2, 2, 2), (width, height, colourType));
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0 }, pixels);
    }

    [Fact]
    public void LargeTensorsAreSummarisedWithoutAnImageAndTheFormatterKeepsNothing()
    {
        using var outer = Research.Torch.Torch.NewScope();
        var t = Tensor.Arange(100_000, DType.Float32).Reshape(100, 1000).RequiresGrad_();
        int owned = outer.Count;
        var html = TensorView.ToHtml(t);
        Assert.Equal(owned, outer.Count);           // temporaries were freed in the formatter's own scope
        Assert.False(t.IsDisposed);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("requires_grad=True", html);
        Assert.Contains("[0.0000e+00, 1.0000e+00, 2.0000e+00, ..., 9.9700e+02, 9.9800e+02, 9.9900e+02]", html);
        Assert.Contains("...,", html);
        Assert.Equal(99_999f, t.Max().Item<float>());   // values untouched
        Assert.True(t.RequiresGrad);
    }

    [Fact]
    public void DisposedTensorsFormatWithoutThrowing()
    {
        Formatters.Register();
        var t = Tensor.Ones(2, 2);
        t.Dispose();
        Assert.Contains("Tensor(disposed)", Formatter.ToDisplayString(t, "text/html"));
        Assert.Equal("Tensor(disposed)", Formatter.ToDisplayString(t, "text/plain"));
    }

    [Fact]
    public void IntegerBoolAndNonFiniteValuesAreShownPlainly()
    {
        using var ints = Tensor.From(new long[] { 1, -2, 3 });
        var html = TensorView.ToHtml(ints);
        Assert.Contains("tensor([ 1, -2,  3])", html);
        Assert.DoesNotContain("<img", html);
        using var bools = Tensor.From(new[] { true, false });
        Assert.Contains("tensor([ True, False])", TensorView.ToHtml(bools));
        using var odd = Tensor.From(new[] { 1f, float.NaN, float.PositiveInfinity, 3f });
        var oddHtml = TensorView.ToHtml(odd);
        Assert.Contains("min 1  max 3  mean 2", oddHtml);
        Assert.Contains("non-finite 2 (NaN 1, Inf 1)", oddHtml);
        using var scalar = Tensor.ScalarTensor(2.5);
        Assert.Contains("tensor(2.5000)", TensorView.ToHtml(scalar));
    }

    [Fact]
    public void ModuleTableListsDottedParameterNamesAndTotals()
    {
        Formatters.Register();
        using var model = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1));
        model.NamedParameters().First().Param.RequiresGrad = false;
        var html = Formatter.ToDisplayString(model, "text/html");
        foreach (var name in new[] { "0.weight", "0.bias", "2.weight", "2.bias" }) Assert.Contains($">{name}</td>", html);
        Assert.Contains(">[8, 2]</td>", html);
        Assert.Contains("33 parameters in 4 tensors (trainable 17, frozen 16)", html);
        Assert.Contains(">33</td>", html);                // totals row
        Assert.DoesNotContain("research-table\" style=\"border-collapse:collapse;font-family", html);  // not the record table
        Assert.Equal(model.ToString(), Formatter.ToDisplayString(model, "text/plain"));
    }
}
