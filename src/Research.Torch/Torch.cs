using System.Runtime.InteropServices;
using Research.Torch.Native;

namespace Research.Torch;

/// <summary>Process-wide settings and entry points: scopes, grad mode, seeds, threads, devices, save/load.</summary>
public static class Torch
{
    /// <summary>Opens a scope that frees every tensor created on this thread until it is disposed.</summary>
    public static DisposeScope NewScope() => new();

    /// <summary>Disables gradient recording until disposed (<c>with torch.no_grad()</c>).</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables gradient recording until disposed (<c>with torch.enable_grad()</c>).</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>Whether operations are currently recorded for autograd.</summary>
    public static bool IsGradEnabled => NativeMethods.rt_grad_enabled() != 0;

    /// <summary>
    /// Seeds libtorch's CPU generator and every CUDA device's (as torch.manual_seed does); runs are bitwise reproducible
    /// on the CPU with the same seed and threads.
    /// </summary>
    public static void ManualSeed(ulong seed) => NativeRuntime.Check(NativeMethods.rt_manual_seed(seed));

    /// <summary>libtorch's intra-op threads (default: all cores, or RESEARCH_TORCH_THREADS).</summary>
    public static int NumThreads => NativeMethods.rt_get_num_threads();

    /// <summary>OpenBLAS's threads (default: as many as libtorch's, or RESEARCH_BLAS_THREADS); 0 when libtorch is not on OpenBLAS.</summary>
    public static int BlasThreads => NativeMethods.rt_get_blas_threads();

    /// <summary>
    /// How OpenBLAS runs in parallel: "openmp" (Debian's libopenblas0-openmp, loaded in preference when installed: it
    /// shares libtorch's OpenMP threads), "pthread" (its own pool beside libtorch's), "sequential", or "" when libtorch
    /// is not on OpenBLAS. RESEARCH_BLAS=system keeps the system's choice.
    /// </summary>
    public static string BlasThreading
    {
        get
        {
            _ = NumThreads;   // loads libtorch (and its BLAS) first
            return BlasRuntime.Threading();
        }
    }

    /// <summary>
    /// Where CPU tensors' memory comes from: "aligned malloc" (the default: malloc with the 64-byte alignment done inside
    /// the block, so small tensors come from glibc's per-thread cache; c10's own allocator uses posix_memalign, whose
    /// splitting and coalescing cost a one-element op about a quarter of its time) or "c10 default"
    /// (RESEARCH_TORCH_ALLOCATOR=c10, or libtorch 2).
    /// </summary>
    public static string CpuAllocator
    {
        get
        {
            _ = NumThreads;   // loads libtorch, which installs the allocator
            return NativeRuntime.CpuAllocator;
        }
    }

    /// <summary>
    /// The kernels OpenBLAS runs (its core name, e.g. "SkylakeX", "Haswell"), or "" when libtorch is not on OpenBLAS. When
    /// OpenBLAS's own detection falls back below AVX2 on a CPU it does not know, Research.Torch asks for the best target
    /// the CPU supports (see <see cref="BlasCoreForced"/>); OPENBLAS_CORETYPE set by the user is kept.
    /// </summary>
    public static string BlasCore
    {
        get
        {
            _ = NumThreads;   // loads libtorch (and its BLAS) first
            return BlasRuntime.Core();
        }
    }

    /// <summary>True when Research.Torch set OPENBLAS_CORETYPE because OpenBLAS's detection fell back (see <see cref="BlasCore"/>).</summary>
    public static bool BlasCoreForced
    {
        get
        {
            _ = NumThreads;
            return BlasRuntime.ForcedCore is not null;
        }
    }

    /// <summary>Sets libtorch's intra-op threads and, when given, OpenBLAS's.</summary>
    public static void SetNumThreads(int threads, int? blasThreads = null)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "need at least one thread");
        if (blasThreads is < 1) throw new ArgumentOutOfRangeException(nameof(blasThreads), blasThreads, "need at least one thread");
        NativeRuntime.Check(NativeMethods.rt_set_num_threads(threads, blasThreads ?? 0));
    }

    /// <summary>True when the loaded libtorch was built with CUDA and sees a GPU.</summary>
    public static bool CudaIsAvailable => CudaDeviceCount > 0;

    /// <summary>Number of visible CUDA devices (0 for CPU builds).</summary>
    public static int CudaDeviceCount => NativeMethods.rt_cuda_device_count();

    /// <summary>The loaded libtorch's version, e.g. "1.13.0" (Debian's 1.13.1 package reports its headers' 1.13.0).</summary>
    public static string LibtorchVersion => Marshal.PtrToStringUTF8(NativeMethods.rt_torch_version()) ?? "";

    /// <summary>libtorch's build configuration (BLAS, OpenMP, CUDA...), as torch.__config__.show().</summary>
    public static string BuildConfig => Marshal.PtrToStringUTF8(NativeMethods.rt_build_config()) ?? "";

    /// <summary>OpenBLAS's configuration string when libtorch runs on OpenBLAS, else empty.</summary>
    public static string BlasInfo => Marshal.PtrToStringUTF8(NativeMethods.rt_blas_info()) ?? "";

    /// <summary>Raised for every libtorch warning (default: written to standard error once per message).</summary>
    public static event Action<string>? Warning;

    private static readonly HashSet<string> s_warned = new();

    internal static void RaiseWarning(string message)
    {
        var handler = Warning;
        if (handler is not null)
        {
            handler(message);
            return;
        }
        lock (s_warned)
            if (!s_warned.Add(message)) return;
        Console.Error.WriteLine($"libtorch warning: {message}");
    }

    /// <summary>Saves named tensors in PyTorch's format (<c>torch.load</c> reads it as a dict). The write is atomic.</summary>
    public static unsafe void Save(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        var names = tensors.Keys.ToArray();
        var handles = names.Select(n => tensors[n].Handle).ToArray();
        var namePtrs = names.Select(n => Marshal.StringToCoTaskMemUTF8(n)).ToArray();
        try
        {
            fixed (IntPtr* ph = handles)
            fixed (IntPtr* pn = namePtrs)
                NativeRuntime.Check(NativeMethods.rt_save(ph, pn, names.Length, Path.GetFullPath(path)));
        }
        finally
        {
            foreach (var p in namePtrs) Marshal.FreeCoTaskMem(p);
            GC.KeepAlive(tensors);
        }
    }

    /// <summary>Saves one tensor in PyTorch's format.</summary>
    public static void Save(Tensor tensor, string path) => Save(new Dictionary<string, Tensor> { [""] = tensor }, path);

    /// <summary>Loads a dict of tensors written by <see cref="Save(IReadOnlyDictionary{string, Tensor}, string)"/> or torch.save.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no tensor file at {path}", path);
        int code = NativeMethods.rt_load(Path.GetFullPath(path), out int count);
        if (code != 0)
        {
            var message = NativeRuntime.LastError();
            if (message.Contains("Unknown opcode for unpickling at 0x73"))
                message += " (a one-entry dict saved by Python's torch.save: libtorch 1.13's C++ unpickler cannot read it; save two or more entries, a bare tensor, or use safetensors)";
            throw new InvalidDataException($"{path} is not a readable tensor file: {message}");
        }
        var result = new Dictionary<string, Tensor>(count);
        for (int k = 0; k < count; k++)
            result[Marshal.PtrToStringUTF8(NativeMethods.rt_load_name(k)) ?? ""] = new Tensor(NativeMethods.rt_load_tensor(k));
        return result;
    }

    /// <summary>Loads a single tensor saved with <see cref="Save(Tensor, string)"/> or torch.save(tensor).</summary>
    public static Tensor LoadTensor(string path)
    {
        var all = Load(path);
        if (all.Count == 1) return all.Values.First();
        foreach (var t in all.Values) t.Dispose();
        throw new InvalidDataException($"{path} holds {all.Count} tensors, not one");
    }
}
