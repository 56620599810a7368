namespace Research.Interactive;

/// <summary>A power spectrogram: <see cref="Power"/>[frame][bin], with frame times in seconds and bin frequencies in Hz.</summary>
public sealed record PowerSpectrogram(double[][] Power, double[] Times, double[] Frequencies, int SampleRate);

/// <summary>Short-time Fourier transform of a mono waveform with a periodic Hann window.</summary>
public static class Stft
{
    /// <summary>
    /// |STFT|² of <paramref name="wave"/>: frames of <paramref name="nFft"/> samples every <paramref name="hop"/> samples
    /// (no centre padding; a signal shorter than one frame is zero-padded to one frame). Frame times are the frame centres.
    /// </summary>
    public static PowerSpectrogram Power(ReadOnlySpan<float> wave, int sampleRate, int nFft = 1024, int? hop = null)
    {
        if (!Fft.IsPowerOfTwo(nFft)) throw new ArgumentException($"nFft must be a power of two, got {nFft}.", nameof(nFft));
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be positive");
        int h = hop ?? nFft / 4;
        if (h <= 0) throw new ArgumentOutOfRangeException(nameof(hop), h, "hop must be positive");

        int frames = wave.Length <= nFft ? 1 : 1 + (wave.Length - nFft) / h;
        int bins = nFft / 2 + 1;
        var window = new double[nFft];
        for (int i = 0; i < nFft; i++) window[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / nFft);

        var power = new double[frames][];
        var times = new double[frames];
        var re = new double[nFft];
        var im = new double[nFft];
        for (int f = 0; f < frames; f++)
        {
            int start = f * h;
            for (int i = 0; i < nFft; i++)
            {
                int t = start + i;
                re[i] = t < wave.Length ? wave[t] * window[i] : 0;
                im[i] = 0;
            }
            Fft.Forward(re, im);
            var row = new double[bins];
            for (int k = 0; k < bins; k++) row[k] = re[k] * re[k] + im[k] * im[k];
            power[f] = row;
            times[f] = (start + nFft / 2.0) / sampleRate;
        }
        var freqs = new double[bins];
        for (int k = 0; k < bins; k++) freqs[k] = (double)k * sampleRate / nFft;
        return new PowerSpectrogram(power, times, freqs, sampleRate);
    }

    /// <summary>10·log10(power / max power), floored at −<paramref name="topDb"/> dB and rounded to 0.01 dB (keeps figure JSON small).</summary>
    public static double[][] ToDecibels(double[][] power, double topDb = 80)
    {
        double max = 0;
        foreach (var row in power) foreach (var v in row) max = Math.Max(max, v);
        double reference = max > 0 ? max : 1;
        var db = new double[power.Length][];
        for (int i = 0; i < power.Length; i++)
        {
            db[i] = new double[power[i].Length];
            for (int j = 0; j < power[i].Length; j++)
            {
                double v = 10 * Math.Log10(Math.Max(power[i][j], 1e-30) / reference);
                db[i][j] = Math.Round(Math.Max(v, -topDb), 2);
            }
        }
        return db;
    }
}
