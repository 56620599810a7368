using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Formatting;
using Research.Interactive;

namespace Research.Kernel;

/// <summary>Publishes on iopub with the current cell's request as parent.</summary>
internal interface IPublisher
{
    void Publish(Message? parent, string msgType, JsonObject content);
}

/// <summary>
/// stdout and stderr of cells: buffered, sent as <c>stream</c> messages by a ~100 ms timer, and flushed
/// before every display, result, error and reply so the notebook keeps the order things happened in.
/// </summary>
internal sealed class OutputStreams : IDisposable
{
    private readonly IPublisher _publisher;
    private readonly Timer _timer;
    public StreamBuffer Stdout { get; }
    public StreamBuffer Stderr { get; }

    public OutputStreams(IPublisher publisher)
    {
        _publisher = publisher;
        Stdout = new StreamBuffer(this, "stdout");
        Stderr = new StreamBuffer(this, "stderr");
        _timer = new Timer(_ => FlushAll(), null, 100, 100);
    }

    internal readonly object Gate = new();

    public void FlushAll()
    {
        lock (Gate) { Stdout.FlushLocked(); Stderr.FlushLocked(); }
    }

    internal void Emit(Message? parent, string name, string text) =>
        _publisher.Publish(parent, "stream", new JsonObject { ["name"] = name, ["text"] = text });

    public void Dispose() => _timer.Dispose();

    internal sealed class StreamBuffer : TextWriter
    {
        private readonly OutputStreams _owner;
        private readonly string _name;
        private readonly StringBuilder _buffer = new();
        private Message? _parent;

        public StreamBuffer(OutputStreams owner, string name) { _owner = owner; _name = name; }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Append(value.ToString());
        public override void Write(string? value) { if (!string.IsNullOrEmpty(value)) Append(value); }
        public override void Write(char[] buffer, int index, int count) { if (count > 0) Append(new string(buffer, index, count)); }
        public override void Write(ReadOnlySpan<char> buffer) { if (!buffer.IsEmpty) Append(buffer.ToString()); }
        public override void WriteLine(string? value) => Append((value ?? "") + "\n");
        public override void WriteLine() => Append("\n");
        public override void Flush() => _owner.FlushAll();

        private void Append(string text)
        {
            var parent = ExecutionContextInfo.Cell?.Request;
            lock (_owner.Gate)
            {
                // Keep stdout/stderr interleaving: flush the other stream first, and never mix parents in one message.
                var other = ReferenceEquals(this, _owner.Stdout) ? _owner.Stderr : _owner.Stdout;
                other.FlushLocked();
                if (!ReferenceEquals(parent, _parent)) FlushLocked();
                _parent = parent;
                _buffer.Append(text);
                if (_buffer.Length > 64 * 1024) FlushLocked();
            }
        }

        internal void FlushLocked()
        {
            if (_buffer.Length == 0) return;
            var text = _buffer.ToString();
            _buffer.Clear();
            _owner.Emit(_parent, _name, text);
        }
    }
}

/// <summary>MIME bundles through .NET Interactive's Formatter registry.</summary>
internal static class MimeBundle
{
    public const string Plain = "text/plain", Html = "text/html";

    public static JsonObject For(object? value)
    {
        var data = new JsonObject();
        if (value is null) { data[Plain] = "null"; return data; }
        Research.Interactive.Formatters.Register();   // idempotent; the kernel starts it in the background
        // Figures, live views, players and Plotly.NET charts carry their own bundle (e.g. text/html + application/vnd.plotly.v1+json).
        if (Research.Interactive.Formatters.Renderable(value) is Research.Interactive.IMimeRenderable renderable)
            return renderable.ToMimeBundle().ToJson();
        var mimes = new List<string> { Plain, Html };
        try { mimes.AddRange(Formatter.GetPreferredMimeTypesFor(value.GetType())); }
        catch (Exception e) { Log.Debug($"preferred mime types: {e.Message}"); }
        foreach (var mime in mimes.Distinct())
        {
            string text;
            try { text = BoundedFormatting.ToDisplayString(value, mime); }
            catch (Exception e)
            {
                if (mime == Plain) text = SafeToString(value);
                else { Log.Debug($"format {mime}: {e.Message}"); continue; }
            }
            if (IsJson(mime))
            {
                try { data[mime] = JsonNode.Parse(text); } catch { data[mime] = text; }
            }
            else data[mime] = text;
        }
        return data;
    }

    private static bool IsJson(string mime) => mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal);

    private static string SafeToString(object value)
    {
        try { return value.ToString() ?? ""; } catch (Exception e) { return $"<{value.GetType().Name}: ToString threw {e.GetType().Name}>"; }
    }

    public static void WarmUp() => For(2);
}

/// <summary>The kernel's <see cref="IDisplayTarget"/>: display_data with a display id, update_display_data later.</summary>
internal sealed class KernelDisplayTarget : IDisplayTarget
{
    private readonly IPublisher _publisher;
    private readonly OutputStreams _streams;

    public KernelDisplayTarget(IPublisher publisher, OutputStreams streams) { _publisher = publisher; _streams = streams; }

    public string Show(object? value)
    {
        var id = Guid.NewGuid().ToString("N");
        Publish("display_data", id, value);
        return id;
    }

    public void Update(string displayId, object? value) => Publish("update_display_data", displayId, value);

    private void Publish(string type, string id, object? value)
    {
        var data = MimeBundle.For(value);
        _streams.FlushAll();
        _publisher.Publish(ExecutionContextInfo.Cell?.Request, type, new JsonObject
        {
            ["data"] = data,
            ["metadata"] = new JsonObject(),
            ["transient"] = new JsonObject { ["display_id"] = id },
        });
    }
}

/// <summary>Exception → ename, evalue and a traceback trimmed to the user's code, ANSI-free.</summary>
internal static partial class Tracebacks
{
    private static readonly string[] HiddenPrefixes =
    {
        "at Microsoft.CodeAnalysis.", "at Research.Kernel.", "at System.Runtime.CompilerServices.",
        "at System.Runtime.ExceptionServices.", "at System.Threading.Tasks.", "at System.Threading.ExecutionContext.",
        "at System.Threading.Thread", "at System.RuntimeMethodHandle.", "at System.Reflection.",
        "--- End of stack trace",
    };

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"Submission#(\d+)\.?")]
    private static partial Regex Submission();

    [GeneratedRegex(@" in \S*?/?(cell\d+):line")]
    private static partial Regex CellPath();

    public static string StripAnsi(string s) => Ansi().Replace(s, "");

    public static (string Name, string Value, List<string> Traceback) Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
        if (e is System.Reflection.TargetInvocationException { InnerException: { } tie }) e = tie;
        var lines = new List<string> { StripAnsi($"{e.GetType().FullName}: {e.Message}") };
        lines.AddRange(Frames(e));
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            lines.Add(StripAnsi($" ---> {inner.GetType().FullName}: {inner.Message}"));
            lines.AddRange(Frames(inner));
        }
        return (e.GetType().Name, StripAnsi(e.Message), lines);
    }

    public static IEnumerable<string> Frames(Exception e)
    {
        var trace = e.StackTrace;
        if (trace is null) yield break;
        foreach (var raw in trace.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || HiddenPrefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal))) continue;
            // "at Submission#3.<<Initialize>>d__0.MoveNext() in cell4:line 2" -> "at <cell> in cell4:line 2"
            line = line.Replace("<<Initialize>>d__0.MoveNext()", "<cell>", StringComparison.Ordinal);
            line = Submission().Replace(line, "");
            line = CellPath().Replace(line, " in $1:line");
            yield return StripAnsi("   " + line);
        }
    }
}
