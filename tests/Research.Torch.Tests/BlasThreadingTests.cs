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
}
