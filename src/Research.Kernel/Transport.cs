using System.Collections.Concurrent;

namespace Research.Kernel;

public enum Channel { Shell, Control, Stdin, Iopub }

/// <summary>
/// Owns the ZeroMQ sockets. One I/O thread polls shell, control and stdin and does every send
/// (ZeroMQ sockets are not thread-safe); other threads queue outgoing messages and wake it through
/// an inproc pipe. The heartbeat echoes on its own thread.
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

    public Transport(ConnectionInfo info, Action<Channel, List<byte[]>> onReceive)
    {
        _onReceive = onReceive;
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
        _iopub = Make(Zmq.PUB, info.IopubPort);
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
        var items = stackalloc Zmq.PollItem[4];
        nint[] sockets = { _shell, _control, _stdin, _wakePull };
        Channel[] channels = { Channel.Shell, Channel.Control, Channel.Stdin, Channel.Iopub };
        while (!_stopping)
        {
            for (int i = 0; i < 4; i++) items[i] = new Zmq.PollItem { Socket = sockets[i], Events = Zmq.POLLIN };
            int rc = Zmq.Poll(items, 4, 1000);
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
            DrainOutgoing();
        }
        DrainOutgoing();
        foreach (var s in new[] { _shell, _control, _stdin, _iopub, _wakePull }) Zmq.Close(s);
        lock (_wakeLock) Zmq.Close(_wakePush);
        _stopped.Set();
    }

    private void DrainOutgoing()
    {
        while (_out.TryDequeue(out var item))
        {
            try { Zmq.SendMultipart(SocketOf(item.Item1), item.Item2); }
            catch (Exception e) { Log.Write($"send on {item.Item1}: {e.Message}"); }
        }
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
    public static void Debug(string message) { if (Verbose) Write(message); }
}
