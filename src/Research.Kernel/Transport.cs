using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Research.Kernel;

public enum Channel { Shell, Control, Stdin, Iopub }

/// <summary>
/// Owns the ZeroMQ sockets. One I/O thread polls shell, control and stdin and does every send
/// (ZeroMQ sockets are not thread-safe); other threads queue outgoing messages and wake it through
/// an inproc pipe. The heartbeat echoes on its own thread.
/// IOPub is an XPUB socket: until the first client subscribes, IOPub messages are held (at most
/// <see cref="SubscriberGrace"/> after start) instead of being dropped, so the status messages of a client's first
/// kernel_info_request reach it and jupyter_client does not wait a retry round (~0.2 s) before it calls the kernel ready.
/// </summary>
internal sealed unsafe class Transport : IDisposable
{
    private readonly nint _ctx;
    private readonly nint _shell, _control, _stdin, _iopub, _hb, _wakePull, _wakePush;
    private readonly ConcurrentQueue<(Channel, List<byte[]>)> _out = new();
    private readonly object _wakeLock = new();
    private readonly Action<Channel, List<byte[]>> _onReceive;
    private readonly Thread _io, _heartbeat;
    private volatile bool _stopping;
    private readonly ManualResetEventSlim _stopped = new();
    private readonly List<List<byte[]>> _heldIopub = new();
    private readonly System.Diagnostics.Stopwatch _sinceStart = System.Diagnostics.Stopwatch.StartNew();
    private bool _subscribed;

    /// <summary>How long IOPub messages wait for a first subscriber before they are published regardless (and dropped by ZeroMQ if nobody listens).</summary>
    public static readonly TimeSpan SubscriberGrace = TimeSpan.FromSeconds(2);

    public Transport(ConnectionInfo info, Action<Channel, List<byte[]>> onReceive)
    {
        _onReceive = onReceive;
        // Bind every libzmq entry point now: a first call later (e.g. zmq_close at shutdown) would need the dynamic
        // loader's lock, which a cell's first tensor operation holds for ~0.3 s while libtorch loads.
        Marshal.PrelinkAll(typeof(Zmq));
        _ctx = Zmq.CtxNew();
        nint Make(int type, int port)
        {
            var s = Zmq.Socket(_ctx, type);
            Zmq.SetInt(s, Zmq.LINGER, 1000);
            Zmq.Check(Zmq.Bind(s, info.Endpoint(port)), $"bind {info.Endpoint(port)}");
            return s;
        }
        _shell = Make(Zmq.ROUTER, info.ShellPort);
        _control = Make(Zmq.ROUTER, info.ControlPort);
        _stdin = Make(Zmq.ROUTER, info.StdinPort);
        _iopub = Make(Zmq.XPUB, info.IopubPort);
        _hb = Make(Zmq.REP, info.HbPort);
        _wakePull = Zmq.Socket(_ctx, Zmq.PULL);
        Zmq.Check(Zmq.Bind(_wakePull, "inproc://wake"), "bind inproc");
        _wakePush = Zmq.Socket(_ctx, Zmq.PUSH);
        Zmq.SetInt(_wakePush, Zmq.LINGER, 0);
        Zmq.Check(Zmq.Connect(_wakePush, "inproc://wake"), "connect inproc");
        _io = new Thread(IoLoop) { IsBackground = true, Name = "zmq-io" };
        _heartbeat = new Thread(HeartbeatLoop) { IsBackground = true, Name = "zmq-hb" };
    }

    public void Start() { _io.Start(); _heartbeat.Start(); }

    public void Send(Channel channel, List<byte[]> frames)
    {
        _out.Enqueue((channel, frames));
        Wake();
    }

    private void Wake()
    {
        byte b = 0;
        lock (_wakeLock) Zmq.Send(_wakePush, &b, 1, Zmq.DONTWAIT);
    }

    private nint SocketOf(Channel c) => c switch
    {
        Channel.Shell => _shell, Channel.Control => _control, Channel.Stdin => _stdin, _ => _iopub,
    };

    private void IoLoop()
    {
        var items = stackalloc Zmq.PollItem[5];
        nint[] sockets = { _shell, _control, _stdin, _wakePull, _iopub };
        Channel[] channels = { Channel.Shell, Channel.Control, Channel.Stdin, Channel.Iopub };
        while (!_stopping)
        {
            for (int i = 0; i < 5; i++) items[i] = new Zmq.PollItem { Socket = sockets[i], Events = Zmq.POLLIN };
            long timeout = _subscribed ? 1000 : Math.Clamp((long)(SubscriberGrace - _sinceStart.Elapsed).TotalMilliseconds + 1, 1, 1000);
            int rc = Zmq.Poll(items, 5, timeout);
            if (rc < 0)
            {
                if (Zmq.Errno() == Zmq.EINTR) continue;
                break;
            }
            // Control first, so an interrupt or shutdown is never queued behind shell traffic.
            foreach (int i in new[] { 1, 0, 2 })
            {
                if ((items[i].Revents & Zmq.POLLIN) == 0) continue;
                List<byte[]>? frames;
                while ((frames = Zmq.RecvMultipart(sockets[i], Zmq.DONTWAIT)) is not null)
                {
                    try { _onReceive(channels[i], frames); }
                    catch (Exception e) { Log.Write($"receive on {channels[i]}: {e}"); }
                }
            }
            if ((items[3].Revents & Zmq.POLLIN) != 0)
                while (Zmq.RecvMultipart(_wakePull, Zmq.DONTWAIT) is not null) { }
            if ((items[4].Revents & Zmq.POLLIN) != 0)
                ReadSubscriptions();
            DrainOutgoing(final: false);
        }
        DrainOutgoing(final: true);
        foreach (var s in new[] { _shell, _control, _stdin, _iopub, _wakePull }) Zmq.Close(s);
        lock (_wakeLock) Zmq.Close(_wakePush);
        _stopped.Set();
    }

    /// <summary>XPUB delivers (un)subscriptions as messages: byte 1 = subscribe, 0 = unsubscribe, then the topic.</summary>
    private void ReadSubscriptions()
    {
        List<byte[]>? frames;
        while ((frames = Zmq.RecvMultipart(_iopub, Zmq.DONTWAIT)) is not null)
        {
            if (_subscribed || frames.Count == 0 || frames[0].Length == 0 || frames[0][0] != 1) continue;
            _subscribed = true;
            Log.Debug($"iopub: first subscriber; publishing {_heldIopub.Count} held messages");
        }
    }

    private void DrainOutgoing(bool final)
    {
        bool hold = !final && !_subscribed && _sinceStart.Elapsed < SubscriberGrace;
        if (!hold && _heldIopub.Count > 0)
        {
            foreach (var frames in _heldIopub) SendNow(Channel.Iopub, frames);
            _heldIopub.Clear();
        }
        while (_out.TryDequeue(out var item))
        {
            if (hold && item.Item1 == Channel.Iopub) _heldIopub.Add(item.Item2);
            else SendNow(item.Item1, item.Item2);
        }
    }

    private void SendNow(Channel channel, List<byte[]> frames)
    {
        try { Zmq.SendMultipart(SocketOf(channel), frames); }
        catch (Exception e) { Log.Write($"send on {channel}: {e.Message}"); }
    }

    private void HeartbeatLoop()
    {
        while (true)
        {
            var frames = Zmq.RecvMultipart(_hb);
            if (frames is null)
            {
                if (Zmq.Errno() == Zmq.EINTR) continue;
                break; // ETERM: the context is ending
            }
            try { Zmq.SendMultipart(_hb, frames); } catch { break; }
        }
        Zmq.Close(_hb);
    }

    /// <summary>Sends everything queued, closes the sockets (lingering up to 1 s) and ends the context.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Wake();
        _stopped.Wait(2000);
        var term = new Thread(() => Zmq.CtxTerm(_ctx)) { IsBackground = true };
        term.Start();
        term.Join(1500);
    }
}

internal static class Log
{
    private static readonly TextWriter Err = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
    public static bool Verbose { get; set; } = Environment.GetEnvironmentVariable("RESEARCH_KERNEL_LOG") == "1";
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();
    public static void Write(string message) { lock (Err) Err.WriteLine($"[research-kernel {Clock.ElapsedMilliseconds,5} ms] {message}"); }
    /// <summary>Written only with RESEARCH_KERNEL_LOG=1, with the JIT's counters (methods compiled, time in the JIT) for start-up work.</summary>
    public static void Debug(string message)
    {
        if (Verbose) Write($"{message} [jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms; cpu {Environment.CpuUsage.TotalTime.TotalMilliseconds:F0} ms]");
    }
}
