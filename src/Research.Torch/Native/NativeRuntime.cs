using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Research.Torch.Native;

/// <summary>
/// Loads the shim once per process and wires libtorch's process-wide hooks to .NET. Loading is lazy: the
/// first call into the shim loads it (and libtorch, ~0.3 s of CPU) and configures it before that call runs,
/// so loading Research.Torch, or touching types that need no native code (e.g. <see cref="Interrupt"/>),
/// costs nothing — a notebook kernel's first cell does not pay for libtorch unless it uses tensors.
/// </summary>
internal static unsafe class NativeRuntime
{
    private static readonly Lock s_gate = new();
    private static IntPtr s_handle;   // set once the shim is loaded (and, outside Configure, configured)

    // Runs when the assembly loads: only registers the resolver, which loads and configures the shim on first use.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialise() => NativeLibrary.SetDllImportResolver(typeof(NativeRuntime).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        // Configure before the call that asked for the library runs: libtorch must be set up before the first tensor
        // exists. Configure's own calls re-enter here on this thread (the lock is reentrant) and find the handle;
        // other threads wait until it is done.
        lock (s_gate)
        {
            if (s_handle != IntPtr.Zero) return s_handle;
            BlasRuntime.Preload();
            s_handle = Load(assembly);
            try { Configure(); }
            catch { s_handle = IntPtr.Zero; throw; }   // the next call tries again and reports the same error
            return s_handle;
        }
    }

    /// <summary>Which allocator CPU tensors come from (see <see cref="Torch.CpuAllocator"/>); set when the library loads.</summary>
    internal static string CpuAllocator { get; private set; } = "c10 default";

    private static void Configure()
    {
        bool tune = Environment.GetEnvironmentVariable("RESEARCH_TORCH_TUNE_MALLOC") != "0";
        NativeMethods.rt_init(tune ? 1 : 0);
        CpuAllocator = Environment.GetEnvironmentVariable("RESEARCH_TORCH_ALLOCATOR") != "c10" && NativeMethods.rt_install_cpu_allocator() == 1
            ? "aligned malloc" : "c10 default";
        NativeMethods.rt_set_warning_callback(&OnWarning);
        CustomFunction.RegisterCallbacks();
        int threads = Positive("RESEARCH_TORCH_THREADS") ?? Environment.ProcessorCount;
        Torch.SetNumThreads(threads, Positive("RESEARCH_BLAS_THREADS") ?? threads);
    }

    private static int? Positive(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n > 0 ? n : null;

    private static IntPtr Load(Assembly assembly)
    {
        var candidates = new List<string>();
        var overridePath = Environment.GetEnvironmentVariable("RESEARCH_TORCH_NATIVE");
        if (!string.IsNullOrEmpty(overridePath)) candidates.Add(overridePath);
        var dir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(dir))
        {
            candidates.Add(Path.Combine(dir, "libresearch_torch.so"));
            // Restored from a NuGet package: lib/net10.0/Research.Torch.dll and runtimes/linux-x64/native/libresearch_torch.so.
            candidates.Add(Path.GetFullPath(Path.Combine(dir, "..", "..", "runtimes", "linux-x64", "native", "libresearch_torch.so")));
        }
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "libresearch_torch.so"));
        foreach (var c in candidates)
            if (File.Exists(c) && NativeLibrary.TryLoad(c, out var handle)) return handle;
        throw new DllNotFoundException(
            "libresearch_torch.so was not found next to Research.Torch.dll (looked in: " + string.Join(", ", candidates) +
            "). Build it with `dotnet build` (needs Debian's libtorch-dev and cmake: run environment/setup.sh).");
    }

    [UnmanagedCallersOnly]
    private static void OnWarning(IntPtr message)
    {
        try { Torch.RaiseWarning(Marshal.PtrToStringUTF8(message) ?? ""); }
        catch { /* a warning handler must never throw into libtorch */ }
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(NativeMethods.rt_last_error()) ?? "unknown error";

    /// <summary>Throws the .NET exception that matches a shim error code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int code)
    {
        if (code != 0) Throw(code);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int code) => throw TorchException.FromCode(code, LastError());
}
