using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// An array in NumPy's .npy format (versions 1-3, C order, little- or big-endian numeric dtypes).
/// <see cref="Descr"/> is NumPy's type string, e.g. <c>&lt;f8</c>, <c>&lt;u2</c>, <c>|u1</c>.
/// </summary>
public sealed partial record NpyArray(string Descr, long[] Shape, byte[] Data)
{
    /// <summary>Number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Reads a .npy file.</summary>
    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no .npy file at {path}", path);
        using var s = File.OpenRead(path);
        return Read(s, path);
    }

    /// <summary>Reads a .npy stream (<paramref name="name"/> is used in error messages).</summary>
    public static NpyArray Read(Stream stream, string name = ".npy data")
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        var b = ms.ToArray();
        if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY") throw new InvalidDataException($"{name} is not a .npy file");
        int major = b[6];
        int headerLength, offset;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); offset = 10; }
        else { headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)); offset = 12; }
        var header = Encoding.Latin1.GetString(b, offset, headerLength);
        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shape = ShapeRegex().Match(header);
        if (!descr.Success || !shape.Success) throw new InvalidDataException($"{name}: cannot parse the .npy header {header.Trim()}");
        if (fortran.Success && fortran.Groups[1].Value == "True") throw new NotSupportedException($"{name} is stored in Fortran order, which is not supported");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = b.AsSpan(offset + headerLength).ToArray();
        var array = new NpyArray(descr.Groups[1].Value, dims, data);
        long need = array.Count * array.ElementSize;
        if (data.Length < need) throw new InvalidDataException($"{name}: header promises {need} bytes of {array.Descr} data, file holds {data.Length}");
        return array;
    }

    /// <summary>Bytes per element.</summary>
    public int ElementSize => int.Parse(Descr.AsSpan(2));

    private char Kind => Descr[1];

    private bool BigEndian => Descr[0] == '>';

    /// <summary>The values converted to double (row-major).</summary>
    public double[] ToDoubleArray()
    {
        var n = checked((int)Count);
        var r = new double[n];
        int size = ElementSize;
        Span<byte> buffer = stackalloc byte[16];
        var le = buffer[..size];
        for (int i = 0; i < n; i++)
        {
            Data.AsSpan(i * size, size).CopyTo(le);
            if (BigEndian) le.Reverse();
            r[i] = (Kind, size) switch
            {
                ('f', 4) => BinaryPrimitives.ReadSingleLittleEndian(le),
                ('f', 8) => BinaryPrimitives.ReadDoubleLittleEndian(le),
                ('f', 2) => (double)BinaryPrimitives.ReadHalfLittleEndian(le),
                ('i', 1) => (sbyte)le[0],
                ('i', 2) => BinaryPrimitives.ReadInt16LittleEndian(le),
                ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(le),
                ('i', 8) => BinaryPrimitives.ReadInt64LittleEndian(le),
                ('u', 1) or ('b', 1) => le[0],
                ('u', 2) => BinaryPrimitives.ReadUInt16LittleEndian(le),
                ('u', 4) => BinaryPrimitives.ReadUInt32LittleEndian(le),
                ('u', 8) => BinaryPrimitives.ReadUInt64LittleEndian(le),
                _ => throw new NotSupportedException($"npy dtype {Descr} is not supported"),
            };
        }
        return r;
    }

    /// <summary>The values as a tensor of the same shape (float64 for floats, int64 for integers, uint8 for bytes).</summary>
    public Tensor ToTensor()
    {
        var values = ToDoubleArray();
        if (Kind == 'f') return Tensor.From(values, Shape);
        if (Descr.EndsWith("u1")) return Tensor.From(values.Select(v => (byte)v).ToArray(), Shape);
        return Tensor.From(values.Select(v => (long)v).ToArray(), Shape);
    }

    /// <summary>Writes a float32 array as a version-1 .npy file.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, params long[] shape) =>
        Write(path, "<f4", System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray(), shape);

    /// <summary>Writes a uint8 array as a version-1 .npy file.</summary>
    public static void Write(string path, ReadOnlySpan<byte> values, params long[] shape) => Write(path, "|u1", values.ToArray(), shape);

    private static void Write(string path, string descr, byte[] data, long[] shape)
    {
        var dims = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        f.Write(len);
        f.Write(Encoding.Latin1.GetBytes(header));
        f.Write(data);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
