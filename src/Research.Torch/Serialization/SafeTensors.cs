using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using static Research.Torch.Torch;

namespace Research.Torch.Serialization;

/// <summary>Where one tensor lives in a safetensors file: dtype, shape and byte range within the data section.</summary>
public sealed record SafeTensorInfo(string Name, DType DType, long[] Shape, long Begin, long End);

/// <summary>A validated safetensors header: the tensors' places and the <c>__metadata__</c> string map.</summary>
public sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// (<c>{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}</c>) and raw little-endian data.
/// Writes are atomic; reads validate everything before allocating and throw <see cref="InvalidDataException"/>
/// for truncated, corrupt or hostile files.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const int ChunkBytes = 1 << 20;

    private static readonly Dictionary<string, DType> s_dtypes = new()
    {
        ["F32"] = DType.Float32, ["F64"] = DType.Float64, ["F16"] = DType.Float16, ["BF16"] = DType.BFloat16,
        ["I64"] = DType.Int64, ["I32"] = DType.Int32, ["I16"] = DType.Int16, ["I8"] = DType.Int8, ["U8"] = DType.UInt8, ["BOOL"] = DType.Bool,
    };

    /// <summary>The safetensors name of a dtype (F32, BF16, I64, BOOL...).</summary>
    public static string DTypeName(DType dtype) =>
        s_dtypes.FirstOrDefault(kv => kv.Value == dtype).Key ?? throw new NotSupportedException($"safetensors has no {dtype.Name()} type");

    /// <summary>Writes <paramref name="tensors"/> (any device; copied to the CPU) and optional string <paramref name="metadata"/> atomically.</summary>
    public static unsafe void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
        using var scope = NewScope();
        var entries = new List<(string Name, Tensor Data, long Begin, long End)>();
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(tensors));
            DTypeName(t.DType);
            var cpu = t.Detach().To(Device.CPU).Contiguous();
            long bytes = cpu.NumEl * cpu.DType.ElementSize();
            entries.Add((name, cpu, offset, offset + bytes));
            offset += bytes;
        }
        var header = BuildHeader(entries.Select(e => (e.Name, e.Data.DType, e.Data.Shape, e.Begin, e.End)), metadata);
        AtomicFile.Write(path, fs =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            fs.Write(prefix);
            fs.Write(header);
            foreach (var (_, data, begin, end) in entries)
            {
                if (end == begin) continue;
                var p = (byte*)data.DataPointer();
                for (long o = 0; o < end - begin; o += ChunkBytes)
                    fs.Write(new ReadOnlySpan<byte>(p + o, (int)Math.Min(ChunkBytes, end - begin - o)));
                GC.KeepAlive(data);
            }
        });
    }

    private static byte[] BuildHeader(IEnumerable<(string Name, DType DType, long[] Shape, long Begin, long End)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var (name, dtype, shape, begin, end) in entries)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", DTypeName(dtype));
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(begin);
                w.WriteNumberValue(end);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    /// <summary>Loads every tensor (on the CPU, owned by the current scope or the caller).</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Loads every tensor and the <c>__metadata__</c> map.</summary>
    public static unsafe Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        using var handle = OpenRead(path);
        var header = ReadHeader(handle, path);
        metadata = new Dictionary<string, string>(header.Metadata);
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var info in header.Tensors)
            {
                var t = Tensor.Empty(info.Shape, info.DType);
                result[info.Name] = t;
                long length = info.End - info.Begin;
                if (length == 0) continue;
                var p = (byte*)t.DataPointer();
                for (long o = 0; o < length; o += ChunkBytes)
                {
                    int n = (int)Math.Min(ChunkBytes, length - o);
                    var span = new Span<byte>(p + o, n);
                    int read = 0;
                    while (read < n)
                    {
                        int r = RandomAccess.Read(handle, span[read..], header.DataStart + info.Begin + o + read);
                        if (r <= 0) throw new InvalidDataException($"{path}: the file ended while reading tensor '{info.Name}' (was it truncated while being read?)");
                        read += r;
                    }
                }
                GC.KeepAlive(t);
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Reads and validates the header only (names, dtypes, shapes, metadata) without loading data.</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var handle = OpenRead(path);
        return ReadHeader(handle, path);
    }

    private static SafeFileHandle OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no safetensors file at {path}", path);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static SafeTensorsHeader ReadHeader(SafeFileHandle handle, string path)
    {
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8) throw Bad(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(handle, prefix, 0, path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(fileLength - 8))
            throw Bad(path, $"the header claims {headerLength} bytes but only {fileLength - 8} follow the length prefix (truncated or not a safetensors file)");
        if (headerLength > MaxHeaderBytes) throw Bad(path, $"the header claims {headerLength} bytes, more than the {MaxHeaderBytes} allowed");
        if (headerLength < 2) throw Bad(path, $"the header has {headerLength} bytes, too few for a JSON object");
        var bytes = new byte[headerLength];
        ReadExactly(handle, bytes, 8, path);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>();
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "the header is not a JSON object");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(entry.Name)) throw Bad(path, $"the header names '{entry.Name}' twice");
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object of strings");
                    foreach (var m in entry.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                tensors.Add(ParseEntry(entry, path, dataLength));
            }
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the header is not valid JSON ({e.Message})", e);
        }
        catch (ArgumentException e)
        {
            throw Bad(path, $"the header is not valid UTF-8 JSON ({e.Message})", e);
        }
        long expected = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < expected) throw Bad(path, $"tensor '{t.Name}' [{t.Begin}, {t.End}) overlaps the previous tensor's data (ends at {expected})");
            if (t.Begin > expected) throw Bad(path, $"the data has a gap [{expected}, {t.Begin}) before tensor '{t.Name}'");
            expected = t.End;
        }
        if (expected != dataLength)
            throw Bad(path, $"the tensors cover {expected} data bytes but the file holds {dataLength} (truncated, or trailing bytes)");
        return new SafeTensorsHeader(tensors, metadata, dataStart);
    }

    private static SafeTensorInfo ParseEntry(JsonProperty entry, string path, long dataLength)
    {
        var name = entry.Name;
        var v = entry.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"entry '{name}' is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String || !s_dtypes.TryGetValue(dt.GetString()!, out var dtype))
            throw Bad(path, $"tensor '{name}' has a missing or unsupported dtype (supported: {string.Join(", ", s_dtypes.Keys)})");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array || sh.GetArrayLength() > 64)
            throw Bad(path, $"tensor '{name}' has no valid shape array");
        var shape = new long[sh.GetArrayLength()];
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var x) || x < 0)
                throw Bad(path, $"tensor '{name}' has an invalid dimension {d.GetRawText()} in its shape");
            shape[k++] = x;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}' needs data_offsets [begin, end]");
        var o = off.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var x) ? x : -1).ToArray();
        long begin = o[0], end = o[1];
        if (begin < 0 || end < begin || end > dataLength)
            throw Bad(path, $"tensor '{name}' has data offsets [{begin}, {end}) outside the {dataLength}-byte data section");
        long bytes;
        try
        {
            long numel = 1;
            foreach (var d in shape) numel = checked(numel * d);
            bytes = checked(numel * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw Bad(path, $"tensor '{name}' has an absurd shape [{string.Join(", ", shape)}]");
        }
        if (bytes != end - begin)
            throw Bad(path, $"tensor '{name}' is {DTypeName(dtype)} [{string.Join(", ", shape)}] = {bytes} bytes but its offsets span {end - begin}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int r = RandomAccess.Read(handle, buffer[read..], offset + read);
            if (r <= 0) throw Bad(path, "the file ended early");
            read += r;
        }
    }

    private static InvalidDataException Bad(string path, string why, Exception? inner = null) =>
        new($"{path} is not a valid safetensors file: {why}", inner);
}
