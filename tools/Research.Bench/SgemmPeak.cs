using System.Diagnostics;
using Research.Torch;
using Research.Torch.NN;
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

    /// <summary>
    /// FLOPs of the GEMMs in one training step of an MLP with <paramref name="widths"/> on <paramref name="batch"/> rows:
    /// per layer the forward product and the weight gradient (2·batch·in·out each), and the input gradient of every
    /// layer but the first (the data needs none).
    /// </summary>
    public static double StepGemmFlops(int[] widths, int batch)
    {
        double flops = 0;
        for (int l = 0; l + 1 < widths.Length; l++) flops += 2.0 * batch * widths[l] * widths[l + 1] * (l > 0 ? 3 : 2);
        return flops;
    }

    /// <summary>
    /// GFLOP/s of the GEMMs a step of the MLP with <paramref name="widths"/> on <paramref name="batch"/> rows runs, alone and
    /// in the step's order — per layer the forward x·Wᵀ (+ bias), the weight gradient gᵀ·x, and the input gradient g·W for
    /// every layer but the first — median of <paramref name="repeats"/>: the rate the step would reach if nothing but its
    /// GEMMs took time (the step's ceiling on this machine).
    /// </summary>
    public static double StepGemmsGflops(int[] widths, int batch, int repeats = 15)
    {
        using var scope = NewScope();
        ManualSeed(0);
        var layers = Enumerable.Range(0, widths.Length - 1).Select(l => (
            X: Tensor.RandN(batch, widths[l]), W: Tensor.RandN(widths[l + 1], widths[l]), B: Tensor.RandN(widths[l + 1]),
            G: Tensor.RandN(batch, widths[l + 1]))).ToArray();
        double flops = StepGemmFlops(widths, batch);
        void Run()
        {
            using var step = NewScope();
            foreach (var (x, w, b, _) in layers) F.Linear(x, w, b);
            for (int l = layers.Length - 1; l >= 0; l--)
            {
                layers[l].G.T.Matmul(layers[l].X);
                if (l > 0) layers[l].G.Matmul(layers[l].W);
            }
        }
        double ms = Bench.MedianMs(n => { for (int i = 0; i < n; i++) Run(); }, repeats, 1);
        return flops / (ms / 1e3) / 1e9;
    }
}
