using System.Diagnostics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Bench;

/// <summary>The machine's measured single-precision GEMM rate: a large square float32 matmul on all intra-op threads.</summary>
public static class SgemmPeak
{
    /// <summary>The side of the square matrices.</summary>
    public const int Size = 2048;

    /// <summary>
    /// Best GFLOP/s (2·n³ per product) of <paramref name="repeats"/> products after one warm-up: a peak is the fastest
    /// the machine went (on a shared machine a median can catch a descheduled core and halve it).
    /// </summary>
    public static double MeasureGflops(int repeats = 5)
    {
        using var scope = NewScope();
        ManualSeed(0);
        var a = Tensor.RandN(Size, Size);
        var b = Tensor.RandN(Size, Size);
        var c = a.Matmul(b);
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (a.Matmul(b)) { }
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return 2.0 * Size * Size * Size / samples.Min() / 1e9;
    }
}
