using static Research.Torch.Torch;

namespace Research.Torch.Tests;

public class BlasThreadingTests
{
    private static bool OpenMpBuildInstalled => File.Exists("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0");

    [Fact]
    public void LibtorchRunsOnTheOpenMpOpenBlasWhenItIsInstalled()
    {
        if (Environment.GetEnvironmentVariable("RESEARCH_BLAS") == "system") return;   // the user kept the system's BLAS
        // environment/apt-packages.txt installs libopenblas0-openmp; the system default stays the pthread build.
        Assert.Equal(OpenMpBuildInstalled ? "openmp" : "pthread", BlasThreading);
        Assert.Contains("OpenBLAS", BlasInfo);
    }

    [Fact]
    public void OneThreadPoolIsNeverLargerThanTheMachine()
    {
        // Defaults: libtorch's intra-op threads = cores, OpenBLAS's = libtorch's. With the OpenMP build both are one
        // pool, so a GEMM inside libtorch's parallel region cannot add threads; with the pthread build they are two.
        Assert.InRange(NumThreads, 1, Environment.ProcessorCount);
        Assert.InRange(BlasThreads, 1, Environment.ProcessorCount);
        using var scope = NewScope();
        var a = Tensor.RandN(256, 256);
        var product = a.Matmul(a.T);   // runs on the chosen BLAS; agrees with a float64 reference
        var reference = a.To(DType.Float64).Matmul(a.To(DType.Float64).T).To(DType.Float32);
        Assert.True((product - reference).Abs().Max().Item<float>() < 1e-3f);
    }

    [Fact]
    public void OpenBlasRunsKernelsAtTheLevelTheCpuSupports()
    {
        // OpenBLAS 0.3.21 does not know every CPU model (Emerald Rapids falls back to the SSE3 "Prescott" kernels, 5.7×
        // slower at sgemm); Research.Torch then asks for the best target the CPU supports. Either way, on a CPU with AVX2
        // the kernels running must not be a fallback below it.
        var core = BlasCore;
        Assert.False(string.IsNullOrEmpty(core));
        if (Native.BlasRuntime.BestCore() is { } best && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE")))
        {
            Assert.False(Native.BlasRuntime.IsFallbackCore(core), $"OpenBLAS runs {core} on a CPU that supports {best}");
            if (BlasCoreForced) Assert.Equal(best, core, ignoreCase: true);
        }
        Assert.Contains(core, BlasInfo, StringComparison.OrdinalIgnoreCase);
    }
}
