using Research.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// A 1-D sine classification task for recurrent networks (DEER, ParaRNN): each sequence is a noisy sine whose period
/// (one of <see cref="Periods"/> samples) is the class, with random phase and amplitude; the network must integrate over
/// time to tell the periods apart. Deterministic from the seed.
/// </summary>
public static class SineClasses
{
    /// <summary>The period in samples of each class.</summary>
    public static readonly double[] Periods = [4, 8, 16, 32];

    /// <summary>Number of classes.</summary>
    public static int Count => Periods.Length;

    /// <summary>Standard deviation of the white noise added to every sample.</summary>
    public const double Noise = 0.5;

    /// <summary>
    /// <paramref name="batch"/> sequences of <paramref name="length"/> samples: x [batch, length, 1] in
    /// <paramref name="dtype"/> (float64 by default) and the class labels [batch] (int64).
    /// </summary>
    public static (Tensor X, Tensor Labels) Batch(int batch, int length, int seed, DType? dtype = null, Device? device = null)
    {
        var rng = new Random(seed);
        var x = new double[batch * length];
        var labels = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            int label = rng.Next(Count);
            labels[b] = label;
            double phase = 2 * Math.PI * rng.NextDouble(), amplitude = 0.6 + 0.8 * rng.NextDouble();
            for (int t = 0; t < length; t++)
                x[b * length + t] = amplitude * Math.Sin(2 * Math.PI * t / Periods[label] + phase) + Noise * Gaussian(rng);
        }
        using var values = Tensor.From(x, batch, length, 1);
        using var classes = Tensor.From(labels, batch);
        var d = device ?? Device.CPU;
        return (values.To(d, dtype ?? DType.Float64), classes.To(d));
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
