using System.Text;
using Research.Torch.Native;

namespace Research.Torch.Distributed;

/// <summary>
/// A c10d key-value store that ranks rendezvous through (PyTorch's <c>TCPStore</c>, <c>FileStore</c>, <c>PrefixStore</c>).
/// Reads wait for a key up to the store's timeout, then throw <see cref="TorchException"/>.
/// </summary>
public sealed unsafe class Store : IDisposable
{
    private IntPtr _handle;

    private Store(IntPtr handle) => _handle = handle;

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Store));

    /// <summary>
    /// A TCP store at <paramref name="host"/>:<paramref name="port"/>. The server (<paramref name="isServer"/>, rank 0 in
    /// PyTorch's layout) listens there (port 0: a free port chosen by the OS, see <see cref="Port"/>); a client connects,
    /// retrying until <paramref name="timeout"/> passes.
    /// </summary>
    public static Store Tcp(string host, int port, bool isServer, int worldSize, TimeSpan timeout)
    {
        NativeRuntime.Check(NativeMethods.rt_dist_store_tcp(host, port, isServer ? 1 : 0, worldSize, Milliseconds(timeout), out var h));
        return new Store(h);
    }

    /// <summary>A store in a file that every rank can reach (a shared file system); the last rank to leave deletes it.</summary>
    public static Store File(string path, int worldSize, TimeSpan timeout)
    {
        NativeRuntime.Check(NativeMethods.rt_dist_store_file(path, worldSize, Milliseconds(timeout), out var h));
        return new Store(h);
    }

    /// <summary>A view of this store whose keys are <paramref name="prefix"/>/key (PyTorch's <c>PrefixStore</c>); it keeps this store alive.</summary>
    public Store WithPrefix(string prefix)
    {
        NativeRuntime.Check(NativeMethods.rt_dist_store_prefix(prefix, Handle, out var h));
        return new Store(h);
    }

    /// <summary>The port a TCP store listens on or connects to.</summary>
    public int Port
    {
        get
        {
            NativeRuntime.Check(NativeMethods.rt_dist_store_port(Handle, out var port));
            return port;
        }
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Set(string key, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) NativeRuntime.Check(NativeMethods.rt_dist_store_set(Handle, key, p, value.Length));
    }

    /// <summary>Sets <paramref name="key"/> to a UTF-8 string.</summary>
    public void Set(string key, string value) => Set(key, Encoding.UTF8.GetBytes(value));

    /// <summary>The value of <paramref name="key"/>, waiting for it up to the store's timeout.</summary>
    public byte[] Get(string key)
    {
        NativeRuntime.Check(NativeMethods.rt_dist_store_get(Handle, key, out var data, out var n));
        return new ReadOnlySpan<byte>(data, checked((int)n)).ToArray();
    }

    /// <summary>Adds <paramref name="amount"/> to the counter at <paramref name="key"/> (created at 0) and returns the new value.</summary>
    public long Add(string key, long amount)
    {
        NativeRuntime.Check(NativeMethods.rt_dist_store_add(Handle, key, amount, out var result));
        return result;
    }

    /// <summary>Waits until <paramref name="key"/> exists; throws <see cref="TorchException"/> after <paramref name="timeout"/>.</summary>
    public void Wait(string key, TimeSpan timeout) => NativeRuntime.Check(NativeMethods.rt_dist_store_wait(Handle, key, Milliseconds(timeout)));

    /// <summary>Closes this handle (the server of a TCP store stops when its last handle, including process groups', is gone).</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.rt_dist_store_free(h);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native store if it was not disposed.</summary>
    ~Store() => Dispose();

    internal static long Milliseconds(TimeSpan timeout) =>
        timeout > TimeSpan.Zero ? (long)Math.Ceiling(timeout.TotalMilliseconds)
            : throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a distributed timeout must be positive");
}
