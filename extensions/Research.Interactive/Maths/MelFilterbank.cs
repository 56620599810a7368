using Research.Torch;

namespace Research.Interactive;

/// <summary>Triangular mel filters over FFT bins (HTK mel scale: m = 2595·log10(1 + f/700)).</summary>
public sealed class MelFilterbank
{
    private MelFilterbank(double[][] weights, double[] centers, double[] edges)
    {
        Weights = weights;
        CenterFrequencies = centers;
        EdgeFrequencies = edges;
    }

    /// <summary>Filter weights [mel band][FFT bin], peaking at 1 at each band's centre.</summary>
    public double[][] Weights { get; }

    /// <summary>Centre frequency of each band in Hz.</summary>
    public double[] CenterFrequencies { get; }

    /// <summary>The nMels + 2 band edges in Hz, equally spaced in mel.</summary>
    public double[] EdgeFrequencies { get; }

    /// <summary>Hz to mel (HTK).</summary>
    public static double HzToMel(double hz) => 2595 * Math.Log10(1 + hz / 700);

    /// <summary>Mel to Hz (HTK).</summary>
    public static double MelToHz(double mel) => 700 * (Math.Pow(10, mel / 2595) - 1);

    /// <summary>Creates <paramref name="nMels"/> filters spanning [<paramref name="fMin"/>, <paramref name="fMax"/>] (default: Nyquist).</summary>
    public static MelFilterbank Create(int nMels, int nFft, int sampleRate, double fMin = 0, double? fMax = null)
    {
        if (nMels <= 0) throw new ArgumentOutOfRangeException(nameof(nMels), nMels, "need at least one mel band");
        double top = fMax ?? sampleRate / 2.0;
        if (!(fMin >= 0 && top > fMin)) throw new ArgumentException($"mel range [{fMin}, {top}] Hz is empty.");
        int bins = nFft / 2 + 1;
        double mMin = HzToMel(fMin), mMax = HzToMel(top);
        var edges = new double[nMels + 2];
        for (int i = 0; i < edges.Length; i++) edges[i] = MelToHz(mMin + (mMax - mMin) * i / (nMels + 1));

        var weights = new double[nMels][];
        var centers = new double[nMels];
        for (int m = 0; m < nMels; m++)
        {
            double lo = edges[m], mid = edges[m + 1], hi = edges[m + 2];
            centers[m] = mid;
            weights[m] = new double[bins];
            for (int k = 0; k < bins; k++)
            {
                double f = (double)k * sampleRate / nFft;
                double up = (f - lo) / (mid - lo), down = (hi - f) / (hi - mid);
                weights[m][k] = Math.Max(0, Math.Min(up, down));
            }
        }
        return new MelFilterbank(weights, centers, edges);
    }

    /// <summary>The filters as a [nMels, nFft/2 + 1] tensor, to multiply a power spectrogram [bin, frame] with.</summary>
    public Tensor ToTensor(DType dtype = DType.Float32, Device? device = null)
    {
        var flat = Weights.SelectMany(w => w).ToArray();
        using var weights = Tensor.From(flat, Weights.Length, Weights[0].Length);
        return weights.To(device ?? Device.CPU, dtype);
    }
}
