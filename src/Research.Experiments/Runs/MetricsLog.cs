using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Research.Experiments;

/// <summary>
/// A run's metrics: appended to <c>metrics.jsonl</c> (one JSON object per line, flushed per point), kept in memory,
/// and published on <see cref="Stream"/>.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    private readonly List<MetricPoint> _points = new();
    private readonly Lock _lock = new();
    private StreamWriter? _writer;

    /// <summary>Opens (creating or appending to) a metrics file; null keeps the metrics in memory only.</summary>
    public MetricsLog(string? path)
    {
        Path = path;
        if (path is null) return;
        if (File.Exists(path)) _points.AddRange(Read(path));
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>The JSON-lines file, or null for an in-memory log.</summary>
    public string? Path { get; }

    /// <summary>Live points as they are recorded.</summary>
    public MetricStream Stream { get; } = new();

    /// <summary>Every point recorded so far (including those read from an existing file).</summary>
    public IReadOnlyList<MetricPoint> Points
    {
        get { lock (_lock) return _points.ToArray(); }
    }

    /// <summary>Records a point: file, memory, then subscribers.</summary>
    public void Record(MetricPoint point)
    {
        lock (_lock)
        {
            _points.Add(point);
            if (_writer is not null)
            {
                _writer.WriteLine(JsonSerializer.Serialize(point, Json));
                _writer.Flush();
            }
        }
        Stream.Publish(point);
    }

    /// <summary>The last value of every metric name.</summary>
    public Dictionary<string, double> Latest()
    {
        var latest = new Dictionary<string, double>();
        foreach (var p in Points) latest[p.Name] = p.Value;
        return latest;
    }

    /// <summary>Drops every point after <paramref name="step"/> (used when a run resumes from an earlier checkpoint).</summary>
    public void TruncateAfter(long step)
    {
        lock (_lock)
        {
            _points.RemoveAll(p => p.Step > step);
            if (_writer is null || Path is null) return;
            _writer.Dispose();
            File.WriteAllLines(Path, _points.Select(p => JsonSerializer.Serialize(p, Json)));
            _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        }
    }

    /// <summary>Reads a metrics.jsonl file (a torn last line, from a crash mid-write, is skipped).</summary>
    public static List<MetricPoint> Read(string path)
    {
        var points = new List<MetricPoint>();
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            try { points.Add(JsonSerializer.Deserialize<MetricPoint>(line, Json)); }
            catch (JsonException) when (reader.EndOfStream) { }
        }
        return points;
    }

    /// <summary>Writes points as a wide CSV: one row per step, one column per metric name (empty where not measured).</summary>
    public static void ExportCsv(IEnumerable<MetricPoint> points, string csvPath)
    {
        var list = points.ToList();
        var names = list.Select(p => p.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append("step,time");
        foreach (var n in names) sb.Append(',').Append(n.Contains(',') ? $"\"{n}\"" : n);
        sb.AppendLine();
        foreach (var group in list.GroupBy(p => p.Step).OrderBy(g => g.Key))
        {
            var byName = new Dictionary<string, double>();
            foreach (var p in group) byName[p.Name] = p.Value;
            sb.Append(group.Key.ToString(CultureInfo.InvariantCulture)).Append(',').Append(group.Max(p => p.Time).ToString("R", CultureInfo.InvariantCulture));
            foreach (var n in names)
                sb.Append(',').Append(byName.TryGetValue(n, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            sb.AppendLine();
        }
        File.WriteAllText(csvPath, sb.ToString());
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Dispose();
            _writer = null;
        }
        Stream.Complete();
    }
}
