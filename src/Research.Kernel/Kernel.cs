using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Research.Interactive;

namespace Research.Kernel;

/// <summary>The Jupyter message handlers: shell and control loops, execution, interrupt, shutdown.</summary>
internal sealed class JupyterKernel : IPublisher
{
    public static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(2);

    private readonly Signer _signer;
    private readonly Transport _transport;
    private readonly ScriptEngine _engine;
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly BlockingCollection<Message> _shell = new(), _control = new();
    private readonly OutputStreams _streams;
    private readonly ManualResetEventSlim _exit = new();
    private CellRunner _runner = new();
    private volatile CellContext? _running;
    private int _executionCount;
    private int _orphans;
    private TaskCompletionSource<string>? _pendingInput;

    public JupyterKernel(ConnectionInfo info, ScriptEngine engine)
    {
        _signer = new Signer(info.Key, info.SignatureScheme);
        _engine = engine;
        _transport = new Transport(info, OnReceive);
        _streams = new OutputStreams(this);
    }

    public int ExitCode { get; private set; }

    public void Start()
    {
        Console.SetOut(_streams.Stdout);
        Console.SetError(_streams.Stderr);
        Console.SetIn(new KernelStdin(this));
        Display.Target = new KernelDisplayTarget(this, _streams);
        _transport.Start();
        new Thread(() => Loop(_shell, Channel.Shell)) { IsBackground = true, Name = "shell" }.Start();
        new Thread(() => Loop(_control, Channel.Control)) { IsBackground = true, Name = "control" }.Start();
    }

    public void WaitForExit() => _exit.Wait();

    private void OnReceive(Channel channel, List<byte[]> frames)
    {
        Message msg;
        try { msg = Message.Decode(frames, _signer); }
        catch (InvalidDataException e) { Log.Write($"dropped message on {channel}: {e.Message}"); return; }
        Log.Debug($"<- {channel} {msg.Type}");
        switch (channel)
        {
            case Channel.Shell: _shell.Add(msg); break;
            case Channel.Control:
                // Interrupts act at once, even while the control thread is busy.
                if (msg.Type == "interrupt_request") { Interrupt(); Send(Channel.Control, msg, "interrupt_reply", new JsonObject { ["status"] = "ok" }); }
                else _control.Add(msg);
                break;
            case Channel.Stdin:
                if (msg.Type == "input_reply") _pendingInput?.TrySetResult((string?)msg.Content["value"] ?? "");
                break;
        }
    }

    private void Loop(BlockingCollection<Message> queue, Channel channel)
    {
        foreach (var msg in queue.GetConsumingEnumerable())
        {
            Publish(msg, "status", new JsonObject { ["execution_state"] = "busy" });
            try { Handle(msg, channel); }
            catch (Exception e)
            {
                Log.Write($"{msg.Type}: {e}");
                if (msg.Type.EndsWith("_request", StringComparison.Ordinal))
                    Send(channel, msg, msg.Type.Replace("_request", "_reply"), new JsonObject
                    {
                        ["status"] = "error", ["ename"] = e.GetType().Name, ["evalue"] = e.Message,
                        ["traceback"] = new JsonArray(Tracebacks.Describe(e).Traceback.Select(t => (JsonNode)t!).ToArray()),
                    });
            }
            finally
            {
                _streams.FlushAll();
                Publish(msg, "status", new JsonObject { ["execution_state"] = "idle" });
            }
        }
    }

    private void Handle(Message msg, Channel channel)
    {
        var c = msg.Content;
        switch (msg.Type)
        {
            case "kernel_info_request": Send(channel, msg, "kernel_info_reply", KernelInfo()); break;
            case "execute_request": Execute(msg); break;
            case "complete_request":
            {
                var code = (string?)c["code"] ?? "";
                var cursor = CursorToIndex(code, (int?)c["cursor_pos"] ?? code.Length);
                var (matches, start, end) = _engine.Complete(code, cursor);
                Send(channel, msg, "complete_reply", new JsonObject
                {
                    ["status"] = "ok", ["matches"] = new JsonArray(matches.Select(m => (JsonNode)m!).ToArray()),
                    ["cursor_start"] = IndexToCursor(code, start), ["cursor_end"] = IndexToCursor(code, end), ["metadata"] = new JsonObject(),
                });
                break;
            }
            case "inspect_request":
            {
                var code = (string?)c["code"] ?? "";
                var text = _engine.Inspect(code, CursorToIndex(code, (int?)c["cursor_pos"] ?? code.Length));
                Send(channel, msg, "inspect_reply", new JsonObject
                {
                    ["status"] = "ok", ["found"] = text is not null,
                    ["data"] = text is null ? new JsonObject() : new JsonObject { ["text/plain"] = text },
                    ["metadata"] = new JsonObject(),
                });
                break;
            }
            case "is_complete_request":
            {
                var (status, indent) = ScriptEngine.IsComplete((string?)c["code"] ?? "");
                var reply = new JsonObject { ["status"] = status };
                if (status == "incomplete") reply["indent"] = indent;
                Send(channel, msg, "is_complete_reply", reply);
                break;
            }
            case "history_request": Send(channel, msg, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() }); break;
            case "comm_info_request": Send(channel, msg, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }); break;
            case "interrupt_request": Interrupt(); Send(channel, msg, "interrupt_reply", new JsonObject { ["status"] = "ok" }); break;
            case "shutdown_request":
            {
                var restart = (bool?)c["restart"] ?? false;
                var reply = new JsonObject { ["status"] = "ok", ["restart"] = restart };
                Send(channel, msg, "shutdown_reply", reply);
                Publish(msg, "shutdown_reply", (JsonObject)reply.DeepClone());
                Shutdown(0, msg);
                break;
            }
            default:
                if (msg.Type.EndsWith("_request", StringComparison.Ordinal))
                    Send(channel, msg, msg.Type.Replace("_request", "_reply"), new JsonObject { ["status"] = "error", ["ename"] = "NotImplemented", ["evalue"] = msg.Type, ["traceback"] = new JsonArray() });
                break;
        }
    }

    private JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = Message.ProtocolVersion,
        ["implementation"] = "research-kernel",
        ["implementation_version"] = typeof(JupyterKernel).Assembly.GetName().Version?.ToString() ?? "0",
        ["language_info"] = new JsonObject
        {
            ["name"] = "csharp", ["version"] = "14.0", ["mimetype"] = "text/x-csharp", ["file_extension"] = ".cs",
            ["pygments_lexer"] = "csharp", ["codemirror_mode"] = "text/x-csharp", ["nbconvert_exporter"] = "csharp",
        },
        ["banner"] = $"C# (Research) — Roslyn scripting on .NET {Environment.Version}; Research.Torch and Research.Interactive preloaded.",
        ["help_links"] = new JsonArray(),
        ["debugger"] = false,
    };

    // ---- execution ----

    private void Execute(Message msg)
    {
        var c = msg.Content;
        var code = (string?)c["code"] ?? "";
        bool silent = (bool?)c["silent"] ?? false;
        bool store = !silent && ((bool?)c["store_history"] ?? true);
        if (store) _executionCount++;
        int count = _executionCount;
        if (!silent) Publish(msg, "execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });

        var cell = new CellContext { Request = msg };
        var outcome = Run(cell, () => _engine.Execute(code, count, cell));
        _streams.FlushAll();

        if (!outcome.IsError)
        {
            if (outcome.HasValue && !silent)
            {
                JsonObject data;
                try { data = MimeBundle.For(outcome.Value); }
                catch (Exception e) { data = new JsonObject { ["text/plain"] = $"<formatting failed: {e.Message}>" }; }
                _streams.FlushAll();
                Log.Debug($"cell{count}: formatted");
                Publish(msg, "execute_result", new JsonObject { ["execution_count"] = count, ["data"] = data, ["metadata"] = new JsonObject() });
            }
            Send(Channel.Shell, msg, "execute_reply", new JsonObject
            {
                ["status"] = "ok", ["execution_count"] = count, ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray(),
            });
            return;
        }

        string ename, evalue; List<string> traceback;
        if (outcome.Exception is { } ex) (ename, evalue, traceback) = Tracebacks.Describe(ex);
        else (ename, evalue, traceback) = (outcome.ErrorName!, outcome.ErrorValue ?? "", outcome.Traceback?.ToList() ?? new());
        JsonArray Tb() => new(traceback.Select(t => (JsonNode)t!).ToArray());
        Publish(msg, "error", new JsonObject { ["ename"] = ename, ["evalue"] = evalue, ["traceback"] = Tb() });
        Send(Channel.Shell, msg, "execute_reply", new JsonObject
        {
            ["status"] = "error", ["execution_count"] = count, ["ename"] = ename, ["evalue"] = evalue, ["traceback"] = Tb(),
            ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray(),
        });
    }

    /// <summary>
    /// Runs a cell on the cell thread and waits for it, or for an interrupt plus a grace period. A cell
    /// that ignores the token cannot be aborted in .NET: it is orphaned (left running) and later cells
    /// run on a fresh thread.
    /// </summary>
    private CellOutcome Run(CellContext cell, Func<CellOutcome> work)
    {
        CellOutcome? result = null;
        using var done = new ManualResetEventSlim();
        _running = cell;
        try
        {
            _runner.Post(() =>
            {
                ExecutionContextInfo.Enter(cell);
                Research.Torch.Interrupt.Reset();
                try { result = work(); }
                catch (Exception e) { result = new CellOutcome { Exception = e }; }
                finally { done.Set(); }
            });
            WaitHandle.WaitAny(new[] { done.WaitHandle, cell.Token.WaitHandle });
            if (!cell.Token.IsCancellationRequested) { done.Wait(); return result!; }
            if (!done.Wait(InterruptGrace))
            {
                cell.Orphaned = true;
                _runner.Abandon();
                _runner = new CellRunner();
                int n = Interlocked.Increment(ref _orphans);
                var text = $"The cell did not stop within {InterruptGrace.TotalSeconds:0} s of the interrupt (it does not check CancellationToken) " +
                           $"and keeps running in the background ({n} orphaned cell{(n == 1 ? "" : "s")}); later cells run on a new thread. Restart the kernel to stop it.";
                return new CellOutcome { ErrorName = nameof(OperationCanceledException), ErrorValue = "The cell was interrupted but is still running (orphaned).", Traceback = new[] { $"{typeof(OperationCanceledException).FullName}: {text}" } };
            }
            if (result!.IsError)
                return new CellOutcome { ErrorName = nameof(OperationCanceledException), ErrorValue = "The cell was interrupted.", Traceback = new[] { $"{typeof(OperationCanceledException).FullName}: The cell was interrupted." } };
            return result;
        }
        finally { _running = null; }
    }

    public void Interrupt()
    {
        var cell = _running;
        if (cell is null) return;
        Log.Debug("interrupt");
        try { cell.Cts.Cancel(); } catch (Exception e) { Log.Write($"interrupt: {e.Message}"); }
        Research.Torch.Interrupt.Request(); // tensor operations in the cell stop at their next call
        _pendingInput?.TrySetCanceled();
    }

    public string ReadInput(string prompt, bool password)
    {
        var cell = ExecutionContextInfo.Cell ?? throw new InvalidOperationException("stdin is only available while a cell runs");
        if (!((bool?)cell.Request.Content["allow_stdin"] ?? false)) throw new InvalidOperationException("This frontend does not support input (allow_stdin is false).");
        _streams.FlushAll();
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingInput = tcs;
        Send(Channel.Stdin, cell.Request, "input_request", new JsonObject { ["prompt"] = prompt, ["password"] = password });
        try { return tcs.Task.GetAwaiter().GetResult(); }
        catch (TaskCanceledException) { throw new OperationCanceledException("input interrupted"); }
    }

    // ---- shutdown ----

    public void Shutdown(int code, Message? parent = null)
    {
        Log.Debug($"shutdown ({code})");
        ExitCode = code;
        _streams.FlushAll();
        _transport.Dispose();
        _exit.Set();
    }

    // ---- sending ----

    private void Send(Channel channel, Message request, string type, JsonObject content) =>
        _transport.Send(channel, Message.Reply(request, type, content, _session).Encode(_signer));

    public void Publish(Message? parent, string msgType, JsonObject content)
    {
        var topic = Encoding.UTF8.GetBytes($"kernel.{_session}.{msgType}");
        _transport.Send(Channel.Iopub, Message.Reply(parent, msgType, content, _session, new List<byte[]> { topic }).Encode(_signer));
    }

    // Jupyter cursor positions count Unicode code points; .NET strings count UTF-16 units.
    internal static int CursorToIndex(string s, int cursor)
    {
        int i = 0;
        for (int cp = 0; cp < cursor && i < s.Length; cp++) i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length ? 2 : 1;
        return i;
    }

    internal static int IndexToCursor(string s, int index)
    {
        int cp = 0;
        for (int i = 0; i < index && i < s.Length; i++) if (!char.IsLowSurrogate(s[i])) cp++;
        return cp;
    }
}

/// <summary>One long-lived thread that runs cells (big stack: deep recursion in user code).</summary>
internal sealed class CellRunner
{
    private readonly BlockingCollection<Action> _work = new();

    public CellRunner()
    {
        new Thread(() => { foreach (var a in _work.GetConsumingEnumerable()) a(); }, 64 * 1024 * 1024) { IsBackground = true, Name = "cell" }.Start();
    }

    public void Post(Action a) => _work.Add(a);
    public void Abandon() => _work.CompleteAdding();
}

internal sealed class KernelStdin : TextReader
{
    private readonly JupyterKernel _kernel;
    public KernelStdin(JupyterKernel kernel) => _kernel = kernel;
    public override string? ReadLine() => _kernel.ReadInput("", false);
    public override string ReadToEnd() => _kernel.ReadInput("", false);
}
