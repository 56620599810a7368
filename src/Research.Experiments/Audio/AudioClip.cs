using Research.Torch;

namespace Research.Experiments.Audio;

/// <summary>Audio samples in [-1, 1], interleaved by channel, with their sample rate.</summary>
/// <param name="Samples">Interleaved samples: frame 0 of every channel, then frame 1, ...</param>
/// <param name="SampleRate">Samples per second per channel.</param>
/// <param name="Channels">Number of channels.</param>
public sealed record AudioClip(float[] Samples, int SampleRate, int Channels = 1)
{
    /// <summary>Frames (samples per channel).</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>Length in seconds.</summary>
    public double Duration => (double)Frames / SampleRate;

    /// <summary>A mono clip: the average of the channels (this clip when already mono).</summary>
    public AudioClip Mono()
    {
        if (Channels == 1) return this;
        var mono = new float[Frames];
        for (int f = 0; f < mono.Length; f++)
        {
            float s = 0;
            for (int c = 0; c < Channels; c++) s += Samples[f * Channels + c];
            mono[f] = s / Channels;
        }
        return new AudioClip(mono, SampleRate);
    }

    /// <summary>The samples of one channel.</summary>
    public float[] Channel(int channel)
    {
        if (channel < 0 || channel >= Channels) throw new ArgumentOutOfRangeException(nameof(channel), channel, $"the clip has {Channels} channel(s)");
        var x = new float[Frames];
        for (int f = 0; f < x.Length; f++) x[f] = Samples[f * Channels + channel];
        return x;
    }

    /// <summary>Root-mean-square level over all samples.</summary>
    public double Rms()
    {
        double s = 0;
        foreach (var v in Samples) s += (double)v * v;
        return Samples.Length == 0 ? 0 : Math.Sqrt(s / Samples.Length);
    }

    /// <summary>The samples as a float32 tensor shaped [channels, frames].</summary>
    public Tensor ToTensor()
    {
        var planar = new float[Samples.Length];
        int frames = Frames;
        for (int c = 0; c < Channels; c++)
            for (int f = 0; f < frames; f++) planar[c * frames + f] = Samples[f * Channels + c];
        return Tensor.From(planar, Channels, frames);
    }

    /// <summary>A clip from a tensor shaped [frames] (mono) or [channels, frames].</summary>
    public static AudioClip FromTensor(Tensor samples, int sampleRate)
    {
        var shape = samples.Shape;
        if (shape.Length is < 1 or > 2) throw new ArgumentException($"expected [frames] or [channels, frames], got [{string.Join(", ", shape)}]", nameof(samples));
        var planar = samples.ToArray<float>();
        if (shape.Length == 1) return new AudioClip(planar, sampleRate);
        int channels = (int)shape[0], frames = (int)shape[1];
        var inter = new float[planar.Length];
        for (int c = 0; c < channels; c++)
            for (int f = 0; f < frames; f++) inter[f * channels + c] = planar[c * frames + f];
        return new AudioClip(inter, sampleRate, channels);
    }
}
