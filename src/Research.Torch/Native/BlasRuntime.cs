using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

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
/// <para>OpenBLAS picks its kernels from the CPU model; a model newer than its table (OpenBLAS 0.3.21 on Emerald Rapids)
/// falls back to the SSE3 "Prescott" kernels, 5.7× slower at sgemm there (46 against 264 GFLOP/s on 2 cores). Before
/// loading it for libtorch, the library is loaded once on its own to ask which kernels it chose; when that is a fallback
/// below what the CPU supports, <c>OPENBLAS_CORETYPE</c> is set to SkylakeX (AVX-512) or Haswell (AVX2 + FMA), the
/// targets OpenBLAS itself picks for CPUs it knows. An <c>OPENBLAS_CORETYPE</c> the user set is kept.</para>
/// </summary>
internal static partial class BlasRuntime
{
    private const int RtldNow = 0x2, RtldLocal = 0, RtldGlobal = 0x100;

    /// <summary>OpenBLAS cores below AVX2: what its detection falls back to for a CPU it does not know.</summary>
    private static readonly HashSet<string> s_fallbackCores = new(StringComparer.OrdinalIgnoreCase)
    {
        "Unknown", "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn", "Dunnington", "Nehalem",
        "Sandybridge", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat", "Bulldozer", "Piledriver", "Steamroller", "Excavator",
    };

    /// <summary>The OpenBLAS core this process asked for through OPENBLAS_CORETYPE, or null when OpenBLAS chose its own.</summary>
    internal static string? ForcedCore { get; private set; }

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
        if (string.Equals(Environment.GetEnvironmentVariable("RESEARCH_BLAS"), "system", StringComparison.OrdinalIgnoreCase))
        {
            ChooseCore(Sonames[0]);
            return;
        }
        var openblas = Path.Combine(OpenMpDirectory, Sonames[0]);
        ChooseCore(File.Exists(openblas) ? openblas : Sonames[0]);
        foreach (var soname in Sonames)
        {
            var path = Path.Combine(OpenMpDirectory, soname);
            // A missing or unloadable library leaves the system's BLAS in place: libtorch then loads that one.
            if (!File.Exists(path) || dlopen(path, RtldNow | RtldGlobal) == IntPtr.Zero) return;
        }
    }

    /// <summary>The best OpenBLAS target this CPU (and the OS) supports: SkylakeX, Haswell, or null below AVX2.</summary>
    internal static string? BestCore() =>
        Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported ? "SkylakeX"
        : Avx2.IsSupported && Fma.IsSupported ? "Haswell" : null;

    /// <summary>Whether OpenBLAS's core <paramref name="core"/> is a fallback below AVX2.</summary>
    internal static bool IsFallbackCore(string core) => s_fallbackCores.Contains(core);

    /// <summary>
    /// Loads <paramref name="library"/> privately, asks which core its detection chose and unloads it; sets
    /// OPENBLAS_CORETYPE (read when OpenBLAS loads) when that is a fallback below what the CPU supports.
    /// </summary>
    private static void ChooseCore(string library)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE")) || BestCore() is not { } best) return;
        var probe = dlopen(library, RtldNow | RtldLocal);
        if (probe == IntPtr.Zero) return;
        string detected;
        try
        {
            var corename = dlsym(probe, "openblas_get_corename");
            if (corename == IntPtr.Zero) return;
            unsafe { detected = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)corename)()) ?? ""; }
        }
        finally { dlclose(probe); }
        if (!IsFallbackCore(detected)) return;
        if (setenv("OPENBLAS_CORETYPE", best, 0) == 0) ForcedCore = best;
    }

    /// <summary>The core OpenBLAS runs on (its own name, e.g. "SkylakeX"), or "" when libtorch is not on OpenBLAS.</summary>
    internal static unsafe string Core() =>
        Export("openblas_get_corename") is var f && f != IntPtr.Zero ? Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)f)()) ?? "" : "";

    /// <summary>How the loaded OpenBLAS runs in parallel ("openmp", "pthread", "sequential"), or "" when libtorch is not on OpenBLAS.</summary>
    internal static unsafe string Threading() =>
        Export("openblas_get_parallel") is var f && f != IntPtr.Zero
            ? ((delegate* unmanaged<int>)f)() switch { 0 => "sequential", 1 => "pthread", 2 => "openmp", _ => "" }
            : "";

    /// <summary>The address of <paramref name="name"/> in the OpenBLAS libtorch loaded, or zero (the library stays loaded by libtorch).</summary>
    private static IntPtr Export(string name)
    {
        if (!NativeLibrary.TryLoad(Sonames[0], out var handle)) return IntPtr.Zero;
        try { return NativeLibrary.TryGetExport(handle, name, out var export) ? export : IntPtr.Zero; }
        finally { NativeLibrary.Free(handle); }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlopen(string path, int flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlsym(IntPtr handle, string symbol);

    [LibraryImport("libc")]
    private static partial int dlclose(IntPtr handle);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
