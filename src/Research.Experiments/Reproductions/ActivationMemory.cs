using System.Runtime.InteropServices;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Measures the activation memory of a training forward pass on the CPU: the bytes that stay allocated between the
/// forward and the backward pass, i.e. what the autograd graph saved for the backward pass.
/// <para>Method: the forward pass runs inside its own dispose scope that keeps only its output (a scalar loss), so
/// every intermediate tensor handle is released when the scope closes; a tensor then survives only if the autograd
/// graph holds it (saved inputs/outputs of the ops, as in PyTorch). The bytes in use by the C heap — glibc's
/// <c>mallinfo2()</c>, summed over all malloc arenas; libtorch allocates CPU tensors with <c>posix_memalign</c> and the
/// runtime sets a 256 MB mmap threshold, so tensors come from these arenas — are read before the forward pass and
/// after the scope closes; the difference is the saved activation memory (plus the loss and the graph's small node
/// objects). The median of several repetitions removes stray allocations from other threads. Parameters and the
/// input batch exist before the measurement and are not counted.</para>
/// </summary>
public static partial class ActivationMemory
{
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 NativeMallInfo2();

    private static readonly Lazy<bool> s_supported = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            NativeMallInfo2();
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    });

    /// <summary>True where the C heap can be read (Linux with glibc ≥ 2.33).</summary>
    public static bool IsSupported => s_supported.Value;

    /// <summary>Bytes currently allocated from the C heap (all malloc arenas plus mmapped chunks).</summary>
    public static long HeapBytesInUse()
    {
        if (!IsSupported) throw new PlatformNotSupportedException("activation memory is measured with glibc's mallinfo2 (Linux, glibc ≥ 2.33)");
        var info = NativeMallInfo2();
        return (long)(info.UordBlks + info.HBlkHd);
    }

    /// <summary>
    /// The median over <paramref name="repeats"/> runs of the bytes that <paramref name="forward"/> leaves allocated while
    /// its result (e.g. a loss with its autograd graph) is alive, with every intermediate handle released. Each result
    /// is freed before the next run; one unmeasured run first warms up lazily built state (kernels' caches, buffers).
    /// </summary>
    public static long SavedBytes(Func<Tensor> forward, int repeats = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        using (NewScope()) forward();
        var samples = new long[repeats];
        for (int r = 0; r < repeats; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();                      // finalisers of stray tensors must not free memory mid-measurement
            long before = HeapBytesInUse();
            Tensor result;
            using (var scope = NewScope()) result = scope.Keep(forward());
            samples[r] = HeapBytesInUse() - before;
            result.Dispose();                                   // the graph and what it saved go with it
        }
        Array.Sort(samples);
        return samples[repeats / 2];
    }
}
