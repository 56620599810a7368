using System.Globalization;
using System.Text.Json;
using Research.Torch;

namespace Research.Experiments;

/// <summary>
/// A run directory <c>&lt;root&gt;/&lt;experiment&gt;/&lt;id&gt;/</c> holding config.json, metrics.jsonl, log.txt,
/// checkpoints/ and, once training ends, summary.json. The root is <c>RESEARCH_RUNS</c>, else <c>./runs</c>.
/// </summary>
public sealed class Run : IDisposable
{
    private readonly Lock _logLock = new();
    private readonly DateTimeOffset _opened = DateTimeOffset.UtcNow;

    private RunConfig _config;

    private Run(string directory, RunConfig config, ICheckpointFormat? format)
    {
        Directory = directory;
        _config = config;
        Metrics = new MetricsLog(Path.Combine(directory, "metrics.jsonl"));
        Checkpoints = new CheckpointStore(Path.Combine(directory, "checkpoints"), format);
    }

    /// <summary>The root of all runs: <c>RESEARCH_RUNS</c> when set, else <c>runs</c> under the current directory.</summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("RESEARCH_RUNS") is { Length: > 0 } root ? root : Path.Combine(Environment.CurrentDirectory, "runs");

    /// <summary>This run's directory.</summary>
    public string Directory { get; }

    /// <summary>What config.json holds.</summary>
    public RunConfig Config => _config;

    /// <summary>Adds (or overwrites) hyperparameters in config.json, e.g. the values an experiment picked for its scale.</summary>
    public void AddHyperparameters(object hyperparameters)
    {
        var merged = new SortedDictionary<string, JsonElement>(_config.Hyperparameters, StringComparer.Ordinal);
        foreach (var (k, v) in RunConfig.ToJson(hyperparameters)) merged[k] = v;
        _config = _config with { Hyperparameters = merged };
        File.WriteAllText(Path.Combine(Directory, "config.json"), JsonSerializer.Serialize(_config, Indented));
    }

    /// <summary>The experiment id.</summary>
    public string Experiment => Config.Experiment;

    /// <summary>The run id (a timestamp plus a short random suffix unless given).</summary>
    public string Id => Config.Id;

    /// <summary>The metrics log (metrics.jsonl) and its live stream.</summary>
    public MetricsLog Metrics { get; }

    /// <summary>The run's checkpoints.</summary>
    public CheckpointStore Checkpoints { get; }

    /// <summary>Creates a new run directory and writes config.json.</summary>
    /// <param name="experiment">Experiment id (a directory name).</param>
    /// <param name="hyperparameters">Every hyperparameter: a record, an anonymous object or a dictionary.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="scale">smoke, cpu or gpu (free text).</param>
    /// <param name="device">The device trained on (default cpu).</param>
    /// <param name="root">Overrides <see cref="DefaultRoot"/>.</param>
    /// <param name="id">Overrides the generated id.</param>
    /// <param name="resumedFrom">The checkpoint directory this run continues from, if any.</param>
    /// <param name="format">Checkpoint tensor format (default safetensors).</param>
    public static Run Create(string experiment, object? hyperparameters = null, ulong seed = 0, string? scale = null, Device? device = null,
        string? root = null, string? id = null, string? resumedFrom = null, ICheckpointFormat? format = null)
    {
        if (string.IsNullOrWhiteSpace(experiment) || experiment.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"'{experiment}' cannot name a run directory", nameof(experiment));
        var baseDir = Path.Combine(root ?? DefaultRoot, experiment);
        string dir;
        if (id is not null)
        {
            dir = Path.Combine(baseDir, id);
            if (System.IO.Directory.Exists(dir)) throw new IOException($"run directory {dir} already exists");
        }
        else
        {
            do
            {
                id = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}");
                dir = Path.Combine(baseDir, id);
            } while (System.IO.Directory.Exists(dir));
        }
        System.IO.Directory.CreateDirectory(dir);
        var config = new RunConfig(experiment, id, DateTimeOffset.UtcNow, seed, scale, RunConfig.ToJson(hyperparameters),
            EnvironmentInfo.Capture((device ?? Research.Torch.Device.CPU).ToString()), resumedFrom);
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config, Indented));
        var run = new Run(dir, config, format);
        run.Log($"created run {experiment}/{id} (seed {seed}, torch {config.Environment.TorchVersion}, {config.Environment.Threads} threads, {config.Environment.Device})");
        return run;
    }

    /// <summary>Opens an existing run directory (metrics are appended, checkpoints reused).</summary>
    public static Run Open(string directory, ICheckpointFormat? format = null) => new(directory, ReadConfig(directory), format);

    /// <summary>Reads a run directory's config.json.</summary>
    public static RunConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a run directory (no config.json)", path);
        return JsonSerializer.Deserialize<RunConfig>(File.ReadAllText(path), Indented) ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>Reads a run directory's summary.json, or null while it is missing (a run still going, or killed).</summary>
    public static RunSummary? ReadSummary(string directory)
    {
        var path = Path.Combine(directory, "summary.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(path), Indented) : null;
    }

    /// <summary>Records one metric value after <paramref name="step"/> steps.</summary>
    public void Record(long step, string name, double value) =>
        Metrics.Record(new MetricPoint(step, name, value, (DateTimeOffset.UtcNow - _opened).TotalSeconds));

    /// <summary>Appends a timestamped line to log.txt.</summary>
    public void Log(string message)
    {
        lock (_logLock)
            File.AppendAllText(Path.Combine(Directory, "log.txt"),
                string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {message}{Environment.NewLine}"));
    }

    /// <summary>Writes summary.json (replacing any earlier one).</summary>
    public void WriteSummary(RunSummary summary)
    {
        var path = Path.Combine(Directory, "summary.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(summary, Indented));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>This run's summary.json, or null.</summary>
    public RunSummary? Summary => ReadSummary(Directory);

    /// <summary>Writes metrics.csv (one row per step, one column per metric) and returns its path.</summary>
    public string ExportCsv()
    {
        var path = Path.Combine(Directory, "metrics.csv");
        MetricsLog.ExportCsv(Metrics.Points, path);
        return path;
    }

    /// <summary>Closes the metrics file.</summary>
    public void Dispose() => Metrics.Dispose();

    internal static readonly JsonSerializerOptions Indented = new(MetricsLog.Json) { WriteIndented = true };
}
