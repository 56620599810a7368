using System.Buffers.Binary;

namespace Research.Interactive;

/// <summary>WAV encoding for in-page audio players.</summary>
public static class Wav
{
    /// <summary>
    /// A RIFF/WAVE file of 16-bit PCM from interleaved samples in [−1, 1] (values outside are clipped).
    /// </summary>
    public static byte[] EncodePcm16(ReadOnlySpan<float> samples, int sampleRate, int channels = 1)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        if (channels <= 0 || samples.Length % channels != 0)
            throw new ArgumentException($"{samples.Length} samples do not split into {channels} channels.", nameof(channels));
        int dataBytes = samples.Length * 2;
        var bytes = new byte[44 + dataBytes];
        var s = bytes.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], 36 + dataBytes);
        "WAVE"u8.CopyTo(s[8..]);
        "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], 16);               // fmt chunk size
        BinaryPrimitives.WriteInt16LittleEndian(s[20..], 1);                // PCM
        BinaryPrimitives.WriteInt16LittleEndian(s[22..], (short)channels);
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], sampleRate * channels * 2); // byte rate
        BinaryPrimitives.WriteInt16LittleEndian(s[32..], (short)(channels * 2));     // block align
        BinaryPrimitives.WriteInt16LittleEndian(s[34..], 16);               // bits per sample
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[40..], dataBytes);
        for (int i = 0; i < samples.Length; i++)
        {
            float v = float.IsNaN(samples[i]) ? 0 : Math.Clamp(samples[i], -1f, 1f);
            BinaryPrimitives.WriteInt16LittleEndian(s[(44 + 2 * i)..], (short)Math.Round(v * 32767));
        }
        return bytes;
    }
}
