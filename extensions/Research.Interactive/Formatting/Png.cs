using System.Buffers.Binary;
using System.IO.Compression;

namespace Research.Interactive;

/// <summary>A minimal PNG encoder (8-bit greyscale or RGB, no filtering, zlib from the BCL) for inline images.</summary>
public static class Png
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>
    /// Encodes row-major 8-bit pixels: <paramref name="channels"/> is 1 (greyscale) or 3 (RGB, interleaved), so
    /// <paramref name="pixels"/> holds width × height × channels bytes.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"a PNG needs a positive size, got {width}×{height}.");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "PNG encoding takes 1 (grey) or 3 (RGB) channels");
        int stride = width * channels;
        if (pixels.Length != (long)stride * height)
            throw new ArgumentException($"{width}×{height}×{channels} pixels need {(long)stride * height} bytes, got {pixels.Length}.", nameof(pixels));

        // Each scanline is preceded by its filter type (0: none).
        var raw = new byte[(stride + 1) * height];
        for (int y = 0; y < height; y++) pixels.Slice(y * stride, stride).CopyTo(raw.AsSpan(y * (stride + 1) + 1));
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;                                // bit depth
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);    // colour type: greyscale or truecolour
        // compression, filter and interlace methods are all 0
        WriteChunk(png, "IHDR"u8, ihdr);
        WriteChunk(png, "IDAT"u8, compressed.ToArray());
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>The PNG as a <c>data:image/png;base64,…</c> URI.</summary>
    public static string ToDataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;   // over type and data
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        s.Write(word);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
