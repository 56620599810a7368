using System.Globalization;
using Research.Torch.Native;

namespace Research.Torch.Distributed;

/// <summary>The communication backend of a <see cref="ProcessGroup"/>.</summary>
public enum Backend
{
    /// <summary>Gloo: CPU tensors, TCP between machines (compiled into every libtorch).</summary>
    Gloo,
    /// <summary>NCCL: CUDA tensors, GPU to GPU (CUDA builds of libtorch only).</summary>
    Nccl,
}

/// <summary>
/// A group of processes (ranks) that run collectives together: c10d's <c>ProcessGroupGloo</c> or <c>ProcessGroupNCCL</c>.
/// Collectives block until every rank has joined; a rank that died or stopped answering makes them throw
/// <see cref="TorchException"/> on every other rank (at once for a closed connection, else after the group's timeout).
/// </summary>
public sealed unsafe class ProcessGroup : IDisposable
{
    /// <summary>PyTorch's default timeout for a group (30 minutes) is long for tests and notebooks; ours is 5 minutes.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    private IntPtr _handle;

    private ProcessGroup(IntPtr handle, Backend backend, TimeSpan timeout)
    {
        _handle = handle;
        Backend = backend;
        Timeout = timeout;
        NativeRuntime.Check(NativeMethods.rt_dist_group_info(handle, out var rank, out var size));
        Rank = rank;
        Size = size;
    }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks (the world size).</summary>
    public int Size { get; }

    /// <summary>Gloo or NCCL.</summary>
    public Backend Backend { get; }

    /// <summary>How long a collective waits for the other ranks before it throws.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whether this build of libtorch carries NCCL (CUDA builds).</summary>
    public static bool NcclAvailable => NativeMethods.rt_dist_nccl_available() != 0;

    /// <summary>
    /// A Gloo group over <paramref name="store"/>. Its transport listens on <paramref name="networkInterface"/> (e.g. "eth0")
    /// when given, else on the address <paramref name="hostname"/> resolves to (e.g. "127.0.0.1"), else on Gloo's default
    /// (the address of the machine's hostname).
    /// </summary>
    public static ProcessGroup Gloo(Store store, int rank, int size, TimeSpan? timeout = null, string? networkInterface = null, string? hostname = null)
    {
        var t = timeout ?? DefaultTimeout;
        NativeRuntime.Check(NativeMethods.rt_dist_group_gloo(store.Handle, rank, size, Store.Milliseconds(t), networkInterface, hostname, out var h));
        GC.KeepAlive(store);
        return new ProcessGroup(h, Backend.Gloo, t);
    }

    /// <summary>An NCCL group over <paramref name="store"/>; throws <see cref="NotSupportedException"/> on CPU builds of libtorch.</summary>
    public static ProcessGroup Nccl(Store store, int rank, int size, TimeSpan? timeout = null)
    {
        var t = timeout ?? DefaultTimeout;
        NativeRuntime.Check(NativeMethods.rt_dist_group_nccl(store.Handle, rank, size, Store.Milliseconds(t), out var h));
        GC.KeepAlive(store);
        return new ProcessGroup(h, Backend.Nccl, t);
    }

    /// <summary>
    /// Joins the default group as <c>torch.distributed.init_process_group</c> does, with the same store layout, so C# and
    /// PyTorch ranks can share one group. <paramref name="initMethod"/> is <c>tcp://host:port</c> (rank 0 hosts the store),
    /// <c>file:///path</c> or <c>env://</c> (see <see cref="DistributedEnvironment"/>).
    /// </summary>
    public static ProcessGroup Init(Backend backend, string initMethod, int rank, int worldSize, TimeSpan? timeout = null)
    {
        var t = timeout ?? DefaultTimeout;
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{worldSize - 1} for a world of size {worldSize}");
        string loopbackHost;
        Store root;
        if (initMethod.StartsWith("tcp://", StringComparison.Ordinal))
        {
            var (host, port) = HostPort(initMethod["tcp://".Length..]);
            root = Store.Tcp(host, port, isServer: rank == 0, worldSize, t);
            loopbackHost = host;
        }
        else if (initMethod.StartsWith("file://", StringComparison.Ordinal))
        {
            root = Store.File(initMethod["file://".Length..], worldSize, t);
            loopbackHost = "localhost";
        }
        else if (initMethod == "env://")
        {
            var env = DistributedEnvironment.FromVariables() ?? throw new InvalidOperationException(
                "env:// needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in the environment (as torchrun sets them)");
            return Init(backend, env, t);
        }
        else throw new ArgumentException($"unknown init method '{initMethod}': use tcp://host:port, file:///path or env://", nameof(initMethod));
        return Join(backend, root, rank, worldSize, t, loopbackHost);
    }

    /// <summary>Joins the group that <paramref name="env"/> (torchrun's variables) describes.</summary>
    public static ProcessGroup Init(Backend backend, DistributedEnvironment env, TimeSpan? timeout = null)
    {
        var t = timeout ?? DefaultTimeout;
        Store root;
        if (env.UseAgentStore)
        {
            // torchrun's agent (or `research run --nproc`) hosts the store; every rank is a client, under the attempt's prefix.
            using var client = Store.Tcp(env.MasterAddr, env.MasterPort, isServer: false, env.WorldSize, t);
            root = client.WithPrefix($"/worker/attempt_{env.RestartCount}");
        }
        else root = Store.Tcp(env.MasterAddr, env.MasterPort, isServer: env.Rank == 0, env.WorldSize, t);
        return Join(backend, root, env.Rank, env.WorldSize, t, env.MasterAddr);
    }

    /// <summary>
    /// Joins the default group over <paramref name="store"/> as <c>torch.distributed.init_process_group(store=...)</c> does:
    /// the group's keys live under "0/", and the ranks meet at a store barrier before it returns. A Gloo transport
    /// listens on <c>GLOO_SOCKET_IFNAME</c>'s interface when set, else on the address <paramref name="hostname"/>
    /// resolves to, else on Gloo's default (the machine's hostname).
    /// </summary>
    public static ProcessGroup Init(Backend backend, Store store, int rank, int worldSize, TimeSpan? timeout = null, string? hostname = null)
    {
        var t = timeout ?? DefaultTimeout;
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{worldSize - 1} for a world of size {worldSize}");
        using var groupStore = store.WithPrefix("0");
        long ms = Store.Milliseconds(t);
        IntPtr h;
        if (backend == Backend.Nccl)
            NativeRuntime.Check(NativeMethods.rt_dist_group_nccl(groupStore.Handle, rank, worldSize, ms, out h));
        else
        {
            var ifname = Environment.GetEnvironmentVariable("GLOO_SOCKET_IFNAME")?.Split(',')[0];
            NativeRuntime.Check(NativeMethods.rt_dist_group_gloo(groupStore.Handle, rank, worldSize, ms, ifname,
                string.IsNullOrEmpty(ifname) ? hostname : null, out h));
        }
        var group = new ProcessGroup(h, backend, t);
        try
        {
            StoreBarrier(store, worldSize, t);
            return group;
        }
        catch
        {
            group.Dispose();
            throw;
        }
    }

    // torch.distributed wraps a rendezvous store in PrefixStore("default_pg"); a Gloo transport on loopback for a loopback master.
    private static ProcessGroup Join(Backend backend, Store root, int rank, int worldSize, TimeSpan timeout, string masterHost)
    {
        using (root)
        using (var store = root.WithPrefix("default_pg"))
            return Init(backend, store, rank, worldSize, timeout, IsLoopback(masterHost) ? "127.0.0.1" : null);
    }

    // torch.distributed's _store_based_barrier after init_process_group: every rank adds 1 to a counter and waits for all.
    private static void StoreBarrier(Store store, int worldSize, TimeSpan timeout)
    {
        const string key = "store_based_barrier_key:1";
        store.Add(key, 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long count;
        while ((count = store.Add(key, 0)) < worldSize)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"only {count} of {worldSize} ranks joined the process group within {timeout.TotalSeconds:F0} s");
            Thread.Sleep(10);
        }
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" or "::1" || host.StartsWith("127.", StringComparison.Ordinal);

    private static (string Host, int Port) HostPort(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address[(colon + 1)..].TrimEnd('/'), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            throw new ArgumentException($"'{address}' is not host:port");
        return (address[..colon], port);
    }

    /// <summary>Combines <paramref name="tensor"/> across ranks in place (every rank gets the result) and returns it.</summary>
    public Tensor AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        NativeRuntime.Check(NativeMethods.rt_dist_all_reduce(Handle, tensor.Handle, (int)op));
        GC.KeepAlive(tensor);
        return tensor;
    }

    /// <summary>Copies <paramref name="tensor"/> from rank <paramref name="root"/> to every rank, in place, and returns it.</summary>
    public Tensor Broadcast(Tensor tensor, int root = 0)
    {
        var h = tensor.Handle;
        NativeRuntime.Check(NativeMethods.rt_dist_broadcast(Handle, &h, 1, root));
        GC.KeepAlive(tensor);
        return tensor;
    }

    /// <summary>Copies rank <paramref name="root"/>'s tensors to every rank, packed into few messages (how DDP syncs a model).</summary>
    public void BroadcastCoalesced(IReadOnlyList<Tensor> tensors, int root = 0, long bufferBytes = 250L << 20)
    {
        var handles = tensors.Select(t => t.Handle).ToArray();
        fixed (IntPtr* p = handles)
            NativeRuntime.Check(NativeMethods.rt_dist_broadcast_coalesced(Handle, p, handles.Length, bufferBytes, root));
        GC.KeepAlive(tensors);
    }

    /// <summary>Every rank's <paramref name="tensor"/> (same shape on all ranks), in rank order; new tensors.</summary>
    public Tensor[] AllGather(Tensor tensor)
    {
        var results = new IntPtr[Size];
        fixed (IntPtr* p = results) NativeRuntime.Check(NativeMethods.rt_dist_all_gather(Handle, tensor.Handle, p));
        GC.KeepAlive(tensor);
        return results.Select(r => new Tensor(r)).ToArray();
    }

    /// <summary>Blocks until every rank has reached the barrier.</summary>
    public void Barrier() => NativeRuntime.Check(NativeMethods.rt_dist_barrier(Handle));

    /// <summary>Averages named scalars over the ranks (one all-reduce): how metrics are gathered.</summary>
    public Dictionary<string, double> Average(IReadOnlyDictionary<string, double> values)
    {
        var keys = values.Keys.Order(StringComparer.Ordinal).ToArray();
        using var t = Tensor.From(keys.Select(k => values[k]).ToArray());
        AllReduce(t);
        var sums = t.ToArray<double>();
        return keys.Select((k, i) => (k, v: sums[i] / Size)).ToDictionary(p => p.k, p => p.v);
    }

    /// <summary>Leaves the group.</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.rt_dist_group_free(h);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native group if it was not disposed.</summary>
    ~ProcessGroup() => Dispose();
}
