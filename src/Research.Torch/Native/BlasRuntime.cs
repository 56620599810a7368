using System.Runtime.InteropServices;

namespace Research.Torch.Native;

/// <summary>
/// Picks the BLAS libtorch runs on, before libtorch loads. Debian's libtorch links OpenBLAS by soname
/// (<c>libopenblas.so.0</c>, <c>libblas.so.3</c>, <c>liblapack.so.3</c>), and the system default is the pthread build,
/// whose own thread pool competes with libtorch's OpenMP pool for the same cores: a GEMM-heavy step oversubscribes,
/// and both pools spin between calls. When Debian's OpenMP build (<c>libopenblas0-openmp</c>) is installed, it is
/// loaded first; the dynamic loader then binds libtorch to the libraries already loaded under those sonames, so
/// OpenBLAS runs on libtorch's own OpenMP runtime: one pool owns every thread, and a GEMM called inside one of
/// libtorch's parallel regions runs on its caller's thread instead of starting more.
/// <c>RESEARCH_BLAS=system</c> keeps the system's choice.
/// </summary>
internal static partial class BlasRuntime
{
    private const int RtldNow = 0x2, RtldGlobal = 0x100;

    /// <summary>The libraries of Debian's OpenMP OpenBLAS, in load order (each later one needs the first).</summary>
    internal static readonly string[] Sonames = ["libopenblas.so.0", "libblas.so.3", "liblapack.so.3"];

    /// <summary>Where Debian installs its OpenMP build of OpenBLAS on this machine's architecture.</summary>
    internal static string OpenMpDirectory => $"/usr/lib/{Multiarch}/openblas-openmp";

    private static string Multiarch => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 => "aarch64-linux-gnu",
        _ => "x86_64-linux-gnu",
    };

    /// <summary>Loads the OpenMP OpenBLAS globally when it is installed and not declined; a no-op otherwise.</summary>
    internal static void Preload()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (string.Equals(Environment.GetEnvironmentVariable("RESEARCH_BLAS"), "system", StringComparison.OrdinalIgnoreCase)) return;
        foreach (var soname in Sonames)
        {
            var path = Path.Combine(OpenMpDirectory, soname);
            // A missing or unloadable library leaves the system's BLAS in place: libtorch then loads that one.
            if (!File.Exists(path) || dlopen(path, RtldNow | RtldGlobal) == IntPtr.Zero) return;
        }
    }

    /// <summary>How the loaded OpenBLAS runs in parallel ("openmp", "pthread", "sequential"), or "" when libtorch is not on OpenBLAS.</summary>
    internal static string Threading()
    {
        if (!NativeLibrary.TryLoad(Sonames[0], out var handle)) return "";
        try
        {
            if (!NativeLibrary.TryGetExport(handle, "openblas_get_parallel", out var export)) return "";
            unsafe
            {
                return ((delegate* unmanaged<int>)export)() switch { 0 => "sequential", 1 => "pthread", 2 => "openmp", _ => "" };
            }
        }
        finally { NativeLibrary.Free(handle); }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlopen(string path, int flags);
}
