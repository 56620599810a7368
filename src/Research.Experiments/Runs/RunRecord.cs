namespace Research.Experiments;

/// <summary>A run directory read back for comparison: its config, its summary (null if it never finished) and final metrics.</summary>
public sealed record RunRecord(string Directory, RunConfig Config, RunSummary? Summary, IReadOnlyDictionary<string, double> FinalMetrics)
{
    /// <summary>Reads a run directory (final metrics from summary.json, else the last value of each metric in metrics.jsonl).</summary>
    public static RunRecord Read(string directory)
    {
        var config = Run.ReadConfig(directory);
        var summary = Run.ReadSummary(directory);
        IReadOnlyDictionary<string, double> final = summary?.FinalMetrics ?? LastValues(Path.Combine(directory, "metrics.jsonl"));
        return new RunRecord(directory, config, summary, final);
    }

    private static Dictionary<string, double> LastValues(string path)
    {
        var d = new Dictionary<string, double>();
        if (!File.Exists(path)) return d;
        foreach (var p in MetricsLog.Read(path)) d[p.Name] = p.Value;
        return d;
    }
}
