using System.Buffers.Binary;
using System.Text;

namespace Research.Experiments.Audio;

/// <summary>Sample encodings for writing WAV files.</summary>
public enum WavEncoding
{
    /// <summary>16-bit signed integer PCM (format tag 1).</summary>
    Pcm16,
    /// <summary>32-bit IEEE float (format tag 3).</summary>
    Float32,
}

/// <summary>Reads and writes RIFF WAVE files: PCM 8/16/24/32-bit and float 32/64 in, PCM16 or float32 out.</summary>
public static class WavFile
{
    /// <summary>Reads a WAV file into a clip with samples in [-1, 1].</summary>
    public static AudioClip Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no WAV file at {path}", path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads WAV bytes (<paramref name="name"/> is used in error messages).</summary>
    public static AudioClip Read(ReadOnlySpan<byte> data, string name = "WAV data")
    {
        if (data.Length < 12 || Encoding.ASCII.GetString(data[..4]) != "RIFF" || Encoding.ASCII.GetString(data.Slice(8, 4)) != "WAVE")
            throw new InvalidDataException($"{name} is not a RIFF/WAVE file");
        int pos = 12, format = 0, channels = 0, rate = 0, bits = 0;
        ReadOnlySpan<byte> payload = default;
        bool haveFmt = false, haveData = false;
        while (pos + 8 <= data.Length)
        {
            string id = Encoding.ASCII.GetString(data.Slice(pos, 4));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(pos + 4, 4));
            int start = pos + 8;
            // Streaming writers (espeak-ng to a pipe, sox) may leave 0 or 0xFFFFFFFF as the data size: take the rest.
            int available = data.Length - start;
            int length = size > available || (id == "data" && size == 0) ? available : (int)size;
            var chunk = data.Slice(start, length);
            if (id == "fmt ")
            {
                format = BinaryPrimitives.ReadUInt16LittleEndian(chunk);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(chunk[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(chunk[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(chunk[14..]);
                if (format == 0xFFFE && chunk.Length >= 26) format = BinaryPrimitives.ReadUInt16LittleEndian(chunk[24..]);
                haveFmt = true;
            }
            else if (id == "data")
            {
                payload = chunk;
                haveData = true;
            }
            pos = start + length + (length & 1);
        }
        if (!haveFmt || !haveData) throw new InvalidDataException($"{name} lacks a {(haveFmt ? "data" : "fmt ")} chunk");
        if (channels < 1) throw new InvalidDataException($"{name} declares {channels} channels");
        int bytesPer = bits / 8;
        int count = payload.Length / bytesPer / channels * channels;
        var samples = new float[count];
        for (int i = 0; i < count; i++)
        {
            var s = payload.Slice(i * bytesPer, bytesPer);
            samples[i] = (format, bits) switch
            {
                (1, 8) => (s[0] - 128) / 128f,
                (1, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
                (1, 24) => ((s[0] | (s[1] << 8) | ((sbyte)s[2] << 16))) / 8388608f,
                (1, 32) => (float)(BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0),
                (3, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
                (3, 64) => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                _ => throw new InvalidDataException($"{name}: unsupported WAV encoding (format tag {format}, {bits} bits)"),
            };
        }
        return new AudioClip(samples, rate, channels);
    }

    /// <summary>Writes a clip as a WAV file (PCM16 clips samples to [-1, 1]).</summary>
    public static void Write(string path, AudioClip clip, WavEncoding encoding = WavEncoding.Pcm16)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, ToBytes(clip, encoding));
    }

    /// <summary>The bytes of a WAV file holding the clip.</summary>
    public static byte[] ToBytes(AudioClip clip, WavEncoding encoding = WavEncoding.Pcm16)
    {
        int bytesPer = encoding == WavEncoding.Pcm16 ? 2 : 4;
        int dataLength = clip.Samples.Length * bytesPer;
        var b = new byte[44 + dataLength];
        var span = b.AsSpan();
        Encoding.ASCII.GetBytes("RIFF").CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + dataLength);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], (short)(encoding == WavEncoding.Pcm16 ? 1 : 3));
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], (short)clip.Channels);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], clip.SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], clip.SampleRate * clip.Channels * bytesPer);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], (short)(clip.Channels * bytesPer));
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], (short)(bytesPer * 8));
        Encoding.ASCII.GetBytes("data").CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], dataLength);
        var body = span[44..];
        for (int i = 0; i < clip.Samples.Length; i++)
        {
            float v = clip.Samples[i];
            if (encoding == WavEncoding.Pcm16)
                BinaryPrimitives.WriteInt16LittleEndian(body[(i * 2)..], (short)Math.Round(Math.Clamp(v, -1f, 1f) * 32767f));
            else
                BinaryPrimitives.WriteSingleLittleEndian(body[(i * 4)..], v);
        }
        return b;
    }
}
