using System.Net;
using Research.Torch;

namespace Research.Interactive;

/// <summary>An in-page audio player: the waveform as a base64 WAV (16-bit PCM) data URI in an &lt;audio controls&gt; element.</summary>
public sealed class AudioPlayer : IMimeRenderable
{
    private readonly float[] _samples;

    /// <summary>Creates a player for mono <paramref name="samples"/>; <paramref name="normalize"/> scales the peak to 0.99.</summary>
    public AudioPlayer(ReadOnlySpan<float> samples, int sampleRate, string? label = null, bool normalize = false)
    {
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        _samples = samples.ToArray();
        if (normalize)
        {
            float peak = 0;
            foreach (var v in _samples) if (float.IsFinite(v)) peak = Math.Max(peak, Math.Abs(v));
            if (peak > 0) for (int i = 0; i < _samples.Length; i++) _samples[i] *= 0.99f / peak;
        }
        SampleRate = sampleRate;
        Label = label;
    }

    /// <summary>Creates a player for a mono waveform tensor of shape [T] or [1, T] (copied; the tensor is not kept).</summary>
    public AudioPlayer(Tensor samples, int sampleRate, string? label = null, bool normalize = false)
        : this(Samples(samples), sampleRate, label, normalize)
    {
    }

    /// <summary>The waveform's values as float32, copied out of a dispose scope of their own.</summary>
    internal static float[] Samples(Tensor wave)
    {
        using var scope = Research.Torch.Torch.NewScope();
        return Spectrogram.Mono(wave).To(Device.CPU, DType.Float32).Contiguous().ToArray<float>();
    }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>Caption above the player.</summary>
    public string? Label { get; }

    /// <summary>Length in seconds.</summary>
    public double Duration => (double)_samples.Length / SampleRate;

    /// <summary>The WAV file bytes.</summary>
    public byte[] ToWav() => Wav.EncodePcm16(_samples, SampleRate);

    /// <summary>The data URI of the WAV file.</summary>
    public string ToDataUri() => "data:audio/wav;base64," + Convert.ToBase64String(ToWav());

    /// <summary>The player as HTML.</summary>
    public string ToHtml()
    {
        var caption = Label is null ? "" : $"<div style=\"font:12px sans-serif;margin-bottom:2px\">{WebUtility.HtmlEncode(Label)}</div>";
        return $"<div class=\"research-audio\">{caption}<audio controls preload=\"auto\" src=\"{ToDataUri()}\"></audio></div>";
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => new MimeBundle()
        .Add(MimeBundle.Html, ToHtml())
        .Add(MimeBundle.PlainText, $"Audio({Duration:F2} s at {SampleRate} Hz{(Label is null ? "" : ", " + Label)})");
}
