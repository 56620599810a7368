using Research.Torch;
using Research.Torch.Audio;
using static Research.Torch.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// log(max(mel(|STFT(x)|^power), floor)) with a periodic Hann window, centred frames (reflect padding),
/// and a <see cref="MelFilterbank"/>. Input [..., time] → output [..., nMels, frames].
/// </summary>
public sealed class LogMelSpectrogram : IDisposable
{
    private readonly Tensor _window;
    private readonly Tensor _filtersT; // [nMels, nFreqs]

    /// <summary>Creates the transform.</summary>
    public LogMelSpectrogram(int sampleRate, int nFft = 1024, int? hopLength = null, int nMels = 80, double fMin = 0, double? fMax = null,
        MelScale scale = MelScale.Htk, MelNorm norm = MelNorm.None, double power = 2, double floor = 1e-10)
    {
        SampleRate = sampleRate;
        NFft = nFft;
        HopLength = hopLength ?? nFft / 4;
        NMels = nMels;
        Power = power;
        Floor = floor;
        _window = Fft.HannWindow(nFft).DetachFromScope();
        using var fb = MelFilterbank.CreateTensor(nFft / 2 + 1, nMels, sampleRate, fMin, fMax, scale, norm);
        _filtersT = fb.T.Contiguous().DetachFromScope();
    }

    /// <summary>Sample rate the filters were built for.</summary>
    public int SampleRate { get; }

    /// <summary>FFT size (also the window length).</summary>
    public int NFft { get; }

    /// <summary>Samples between frames.</summary>
    public int HopLength { get; }

    /// <summary>Number of mel bands.</summary>
    public int NMels { get; }

    /// <summary>Exponent applied to the magnitude (2 = power spectrogram).</summary>
    public double Power { get; }

    /// <summary>Values below this are clamped before the log.</summary>
    public double Floor { get; }

    /// <summary>The log-mel spectrogram of <paramref name="waveform"/> [..., time] as [..., nMels, frames].</summary>
    public Tensor Forward(Tensor waveform)
    {
        using var scope = NewScope();
        var shape = waveform.Shape;
        var flat = shape.Length == 1 ? waveform : waveform.Reshape(-1, shape[^1]);
        var spec = Fft.Stft(flat, NFft, HopLength, window: _window);          // [batch?, freq, frames] complex
        var magnitude = spec.Abs().Pow(Power);
        var mel = _filtersT.Matmul(magnitude).Clamp(Floor).Log();            // [batch?, nMels, frames]
        var outShape = shape[..^1].Concat(new[] { (long)NMels, mel.Size(-1) }).ToArray();
        return scope.Keep(mel.Reshape(outShape));
    }

    /// <summary>Frees the window and filters.</summary>
    public void Dispose()
    {
        _window.Dispose();
        _filtersT.Dispose();
    }
}
