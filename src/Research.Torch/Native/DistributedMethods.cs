using System.Runtime.InteropServices;

namespace Research.Torch.Native;

/// <summary>P/Invoke declarations for the shim's c10d entry points (native/src/distributed.cpp).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_tcp(string host, int port, int isServer, int worldSize, long timeoutMs, out IntPtr store);
    [LibraryImport(Lib)] internal static partial int rt_dist_store_port(IntPtr store, out int port);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_file(string path, int worldSize, long timeoutMs, out IntPtr store);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_prefix(string prefix, IntPtr store, out IntPtr result);
    [LibraryImport(Lib)] internal static partial void rt_dist_store_free(IntPtr store);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_set(IntPtr store, string key, byte* data, long n);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_get(IntPtr store, string key, out byte* data, out long n);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_add(IntPtr store, string key, long amount, out long result);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_store_wait(IntPtr store, string key, long timeoutMs);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rt_dist_group_gloo(IntPtr store, int rank, int size, long timeoutMs, string? networkInterface, string? hostname, out IntPtr group);
    [LibraryImport(Lib)] internal static partial int rt_dist_nccl_available();
    [LibraryImport(Lib)] internal static partial int rt_dist_group_nccl(IntPtr store, int rank, int size, long timeoutMs, out IntPtr group);
    [LibraryImport(Lib)] internal static partial void rt_dist_group_free(IntPtr group);
    [LibraryImport(Lib)] internal static partial int rt_dist_group_info(IntPtr group, out int rank, out int size);

    [LibraryImport(Lib)] internal static partial int rt_dist_all_reduce(IntPtr group, IntPtr tensor, int op);
    [LibraryImport(Lib)] internal static partial int rt_dist_broadcast(IntPtr group, IntPtr* tensors, int n, int root);
    [LibraryImport(Lib)] internal static partial int rt_dist_all_gather(IntPtr group, IntPtr tensor, IntPtr* results);
    [LibraryImport(Lib)] internal static partial int rt_dist_barrier(IntPtr group);
    [LibraryImport(Lib)] internal static partial int rt_dist_broadcast_coalesced(IntPtr group, IntPtr* tensors, int n, long bufferBytes, int root);

    [LibraryImport(Lib)] internal static partial int rt_dist_reducer_new(IntPtr group, IntPtr* parameters, int n, long bucketBytes, long firstBucketBytes, out IntPtr reducer);
    [LibraryImport(Lib)] internal static partial int rt_dist_reducer_prepare(IntPtr reducer);
    [LibraryImport(Lib)] internal static partial void rt_dist_reducer_free(IntPtr reducer);
}
