using Research.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// Band-limited resampling by windowed-sinc interpolation (Kaiser window), at any rate ratio.
/// When downsampling, the sinc's cutoff is lowered to <c>rolloff · newRate / 2</c> so nothing aliases.
/// </summary>
public static class Resampler
{
    /// <summary>Resamples a mono signal from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    /// <param name="x">The samples.</param>
    /// <param name="fromRate">Input sample rate.</param>
    /// <param name="toRate">Output sample rate.</param>
    /// <param name="zeroCrossings">Half-width of the filter in zero crossings of the (lower-rate) sinc; more is sharper and slower.</param>
    /// <param name="rolloff">Cutoff as a fraction of the lower Nyquist frequency.</param>
    /// <param name="beta">Kaiser window shape.</param>
    public static float[] Resample(ReadOnlySpan<float> x, int fromRate, int toRate, int zeroCrossings = 16, double rolloff = 0.95, double beta = 8.6)
    {
        if (fromRate <= 0 || toRate <= 0) throw new ArgumentOutOfRangeException(nameof(fromRate), $"sample rates must be positive, got {fromRate} → {toRate}");
        if (fromRate == toRate) return x.ToArray();
        double ratio = (double)toRate / fromRate;
        double cutoff = Math.Min(1.0, ratio) * rolloff;           // in cycles per input sample × 2
        double halfWidth = zeroCrossings / cutoff;                 // in input samples
        int outLength = (int)Math.Ceiling(x.Length * ratio);
        var y = new float[outLength];
        double i0Beta = BesselI0(beta);
        for (int n = 0; n < outLength; n++)
        {
            double t = n / ratio;
            int lo = Math.Max(0, (int)Math.Ceiling(t - halfWidth));
            int hi = Math.Min(x.Length - 1, (int)Math.Floor(t + halfWidth));
            double acc = 0;
            for (int k = lo; k <= hi; k++)
            {
                double d = t - k;
                double u = d / halfWidth;
                double w = BesselI0(beta * Math.Sqrt(Math.Max(0, 1 - u * u))) / i0Beta;
                acc += x[k] * cutoff * Sinc(cutoff * d) * w;
            }
            y[n] = (float)acc;
        }
        return y;
    }

    /// <summary>Resamples every channel of a clip.</summary>
    public static AudioClip Resample(AudioClip clip, int toRate)
    {
        if (clip.SampleRate == toRate) return clip;
        var channels = Enumerable.Range(0, clip.Channels).Select(c => Resample(clip.Channel(c), clip.SampleRate, toRate)).ToArray();
        int frames = channels[0].Length;
        var inter = new float[frames * clip.Channels];
        for (int c = 0; c < clip.Channels; c++)
            for (int f = 0; f < frames; f++) inter[f * clip.Channels + c] = channels[c][f];
        return new AudioClip(inter, toRate, clip.Channels);
    }

    /// <summary>Resamples a float tensor shaped [..., time] along its last dimension.</summary>
    public static Tensor Resample(Tensor x, int fromRate, int toRate)
    {
        var shape = x.Shape;
        long time = shape[^1];
        long rows = time == 0 ? 0 : x.NumEl / time;
        var data = x.ToArray<float>();
        float[]? result = null;
        int outLength = 0;
        for (long r = 0; r < rows; r++)
        {
            var y = Resample(data.AsSpan((int)(r * time), (int)time), fromRate, toRate);
            outLength = y.Length;
            result ??= new float[rows * outLength];
            y.CopyTo(result, (int)(r * outLength));
        }
        shape[^1] = outLength;
        return Tensor.From(result ?? [], shape);
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 50; k++)
        {
            term *= q / (k * k);
            sum += term;
            if (term < 1e-12 * sum) break;
        }
        return sum;
    }
}
