using Research.Bench;

namespace Research.Models.Tests.Bench;

/// <summary>
/// The BLAS threading default and its opt-out, each in a fresh process (the BLAS is bound when libtorch loads):
/// Debian's OpenMP OpenBLAS by default when installed, the system's libblas (the pthread build) with RESEARCH_BLAS=system.
/// </summary>
public class BlasThreadingChildTests
{
    private static bool OpenMpBuildInstalled => File.Exists("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0");

    [Fact]
    public void AFreshProcessGetsTheOpenMpBuildByDefaultAndTheSystemsWithTheOptOut()
    {
        Assert.Equal(OpenMpBuildInstalled ? "openmp" : "pthread", BlasThreadingComparison.Probe(null));
        // The system's choice: the libblas.so.3 alternative (environment/apt-packages.txt installs the pthread build).
        var system = new FileInfo("/usr/lib/x86_64-linux-gnu/libblas.so.3").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "";
        string? expected = system.Contains("openblas-pthread") ? "pthread" : system.Contains("openblas-openmp") ? "openmp" : null;
        if (expected is not null) Assert.Equal(expected, BlasThreadingComparison.Probe("system"));
    }
}
