using System.Globalization;
using System.Text;

namespace Research.Experiments;

/// <summary>One row of a <see cref="RunComparison"/>: a run's differing settings and its final metrics.</summary>
public sealed record RunComparisonRow(string Experiment, string Id, string Status, IReadOnlyDictionary<string, string> Settings, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Runs side by side: only the settings that differ between them (hyperparameters, seed, scale, device, threads,
/// git commit, libtorch version) and their final metrics. Curves are drawn from each run's metrics by the notebook layer.
/// </summary>
public sealed record RunComparison(IReadOnlyList<string> DifferingSettings, IReadOnlyList<string> MetricNames, IReadOnlyList<RunComparisonRow> Rows)
{
    /// <summary>Lists the runs under <paramref name="root"/> (default <see cref="Run.DefaultRoot"/>), optionally of one experiment, oldest first.</summary>
    public static IReadOnlyList<RunRecord> ListRuns(string? experiment = null, string? root = null)
    {
        var baseDir = root ?? Run.DefaultRoot;
        if (!Directory.Exists(baseDir)) return [];
        var experiments = experiment is null ? Directory.GetDirectories(baseDir) : [Path.Combine(baseDir, experiment)];
        return experiments.Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .Where(d => File.Exists(Path.Combine(d, "config.json")))
            .Select(RunRecord.Read)
            .OrderBy(r => r.Config.Created)
            .ToList();
    }

    /// <summary>Compares runs.</summary>
    public static RunComparison Compare(IEnumerable<RunRecord> runs)
    {
        var list = runs.ToList();
        var settings = list.Select(Settings).ToList();
        var keys = settings.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var differing = keys.Where(k => settings.Select(s => s.GetValueOrDefault(k, "—")).Distinct().Count() > 1).ToList();
        var metrics = list.SelectMany(r => r.FinalMetrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var rows = list.Select((r, i) => new RunComparisonRow(r.Config.Experiment, r.Config.Id, r.Summary?.Status ?? "unfinished",
            differing.ToDictionary(k => k, k => settings[i].GetValueOrDefault(k, "—")), r.FinalMetrics)).ToList();
        return new RunComparison(differing, metrics, rows);
    }

    /// <summary>Compares the runs of one experiment (or all) under a root.</summary>
    public static RunComparison Compare(string? experiment = null, string? root = null) => Compare(ListRuns(experiment, root));

    private static Dictionary<string, string> Settings(RunRecord r)
    {
        var c = r.Config;
        var s = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["seed"] = c.Seed.ToString(CultureInfo.InvariantCulture),
            ["scale"] = c.Scale ?? "—",
            ["device"] = c.Environment.Device,
            ["threads"] = c.Environment.Threads.ToString(CultureInfo.InvariantCulture),
            ["git"] = c.Environment.GitCommit is { } g ? g[..Math.Min(10, g.Length)] + (c.Environment.GitDirty == true ? "+dirty" : "") : "—",
            ["torch"] = c.Environment.TorchVersion,
        };
        foreach (var key in c.Hyperparameters.Keys) s[key] = c.Text(key) ?? "null";
        return s;
    }

    // A cell never breaks the table: line breaks and tabs in a setting (a multi-line string value) become spaces.
    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>A plain-text table: run, status, differing settings, final metrics.</summary>
    public string ToTextTable()
    {
        var header = new List<string> { "run", "status" };
        header.AddRange(DifferingSettings);
        header.AddRange(MetricNames);
        var table = new List<List<string>> { header };
        foreach (var r in Rows)
        {
            var row = new List<string> { $"{r.Experiment}/{r.Id}", r.Status };
            row.AddRange(DifferingSettings.Select(k => OneLine(r.Settings[k])));
            row.AddRange(MetricNames.Select(m => r.Metrics.TryGetValue(m, out var v) ? v.ToString("G5", CultureInfo.InvariantCulture) : "—"));
            table.Add(row);
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => table.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        for (int i = 0; i < table.Count; i++)
        {
            sb.AppendLine(string.Join("  ", table[i].Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            if (i == 0) sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return sb.ToString();
    }
}
