using System.Globalization;
using Research.Torch.Native;

namespace Research.Torch;

/// <summary>
/// Bytes the CUDA caching allocator holds on one device, as torch.cuda.memory_allocated, memory_reserved,
/// max_memory_allocated and max_memory_reserved: allocated is what live tensors use, reserved what the allocator
/// keeps from the driver (allocated plus its cache).
/// </summary>
public readonly record struct CudaMemory(long Allocated, long Reserved, long PeakAllocated, long PeakReserved)
{
    /// <summary>"allocated 12.0 MiB (peak 40.0), reserved 64.0 MiB (peak 64.0)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"allocated {Allocated / 1048576.0:F1} MiB (peak {PeakAllocated / 1048576.0:F1}), reserved {Reserved / 1048576.0:F1} MiB (peak {PeakReserved / 1048576.0:F1})");
}

/// <summary>
/// CUDA devices: memory statistics, the allocator's cache and synchronisation (torch.cuda). Each call needs a libtorch
/// with CUDA that sees the device; otherwise it throws a <see cref="TorchArgumentException"/> that says so.
/// </summary>
public static class Cuda
{
    /// <summary>The caching allocator's statistics for <paramref name="device"/> (default: CUDA device 0).</summary>
    public static unsafe CudaMemory Memory(Device? device = null)
    {
        int index = Index(device);
        long* stats = stackalloc long[4];
        NativeRuntime.Check(NativeMethods.rt_cuda_memory(index, stats));
        return new CudaMemory(stats[0], stats[1], stats[2], stats[3]);
    }

    /// <summary>Starts the peak statistics of <paramref name="device"/> afresh (torch.cuda.reset_peak_memory_stats).</summary>
    public static void ResetPeakMemory(Device? device = null) => NativeRuntime.Check(NativeMethods.rt_cuda_reset_peak_memory(Index(device)));

    /// <summary>Returns the allocator's cached, unused blocks to the driver (torch.cuda.empty_cache); live tensors stay.</summary>
    public static void EmptyCache()
    {
        Index(null);
        NativeRuntime.Check(NativeMethods.rt_cuda_empty_cache());
    }

    /// <summary>Waits until all work queued on <paramref name="device"/> has finished (torch.cuda.synchronize); time steps with it.</summary>
    public static void Synchronize(Device? device = null) => NativeRuntime.Check(NativeMethods.rt_cuda_synchronize(Index(device)));

    private static int Index(Device? device)
    {
        var d = device ?? Device.Cuda();
        if (d.Type != DeviceType.CUDA) throw new ArgumentException($"{d} is not a CUDA device", nameof(device));
        if (!Torch.CudaIsAvailable)
            throw new TorchArgumentException($"CUDA was asked for ({d}), but the loaded libtorch {Torch.LibtorchVersion} has no CUDA support or sees no GPU");
        return Math.Max(0, d.Index);
    }
}
