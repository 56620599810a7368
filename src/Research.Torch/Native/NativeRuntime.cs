using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Research.Torch.Native;

/// <summary>Loads the shim once per process and wires libtorch's process-wide hooks to .NET.</summary>
internal static unsafe class NativeRuntime
{
    private static int s_initialised;

    // Runs when the assembly loads: libtorch must be configured before the first tensor exists.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialise()
    {
        if (Interlocked.Exchange(ref s_initialised, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeRuntime).Assembly, Resolve);
        try
        {
            Configure();
        }
        catch (DllNotFoundException)
        {
            // Reported, with what to do, by the first call that needs the library.
            s_initialised = 0;
        }
    }

    private static void Configure()
    {
        bool tune = Environment.GetEnvironmentVariable("RESEARCH_TORCH_TUNE_MALLOC") != "0";
        NativeMethods.rt_init(tune ? 1 : 0);
        NativeMethods.rt_set_warning_callback(&OnWarning);
        CustomFunction.RegisterCallbacks();
        int threads = Positive("RESEARCH_TORCH_THREADS") ?? Environment.ProcessorCount;
        Torch.SetNumThreads(threads, Positive("RESEARCH_BLAS_THREADS") ?? threads);
    }

    private static int? Positive(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n > 0 ? n : null;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        var candidates = new List<string>();
        var overridePath = Environment.GetEnvironmentVariable("RESEARCH_TORCH_NATIVE");
        if (!string.IsNullOrEmpty(overridePath)) candidates.Add(overridePath);
        var dir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(dir)) candidates.Add(Path.Combine(dir, "libresearch_torch.so"));
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
