using System.Globalization;
using Microsoft.Data.Analysis;

namespace Research.Experiments.DataFrames;

/// <summary>Runs as data frames to group, filter and plot: a run's metrics in long form, and a comparison of runs.</summary>
public static class RunFrames
{
    /// <summary>
    /// A run's <c>metrics.jsonl</c> (or the file itself) as a frame with one row per measurement: <c>step</c> (long),
    /// <c>name</c> (string), <c>value</c> and <c>time</c> (double).
    /// </summary>
    public static DataFrame LoadMetrics(string runDirectoryOrFile)
    {
        var path = Directory.Exists(runDirectoryOrFile) ? Path.Combine(runDirectoryOrFile, "metrics.jsonl") : runDirectoryOrFile;
        if (!File.Exists(path)) throw new FileNotFoundException($"no metrics file at {path}", path);
        return ToDataFrame(MetricsLog.Read(path));
    }

    /// <summary>Metric points as a frame: <c>step</c>, <c>name</c>, <c>value</c>, <c>time</c>.</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<MetricPoint> points) => new(
        new PrimitiveDataFrameColumn<long>("step", points.Select(p => p.Step)),
        new StringDataFrameColumn("name", points.Select(p => p.Name)),
        new PrimitiveDataFrameColumn<double>("value", points.Select(p => p.Value)),
        new PrimitiveDataFrameColumn<double>("time", points.Select(p => p.Time)));

    /// <summary>The run's metrics (see <see cref="LoadMetrics"/>).</summary>
    public static DataFrame MetricsFrame(this RunRecord run) => LoadMetrics(run.Directory);

    /// <summary>
    /// A comparison as a frame with one row per run: <c>experiment</c>, <c>run</c>, <c>status</c>, each differing setting
    /// (a double column when every value is a number, else text) and each final metric (double, null where a run lacks it).
    /// </summary>
    public static DataFrame ToDataFrame(this RunComparison comparison)
    {
        var rows = comparison.Rows;
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("experiment", rows.Select(r => r.Experiment)),
            new StringDataFrameColumn("run", rows.Select(r => r.Id)),
            new StringDataFrameColumn("status", rows.Select(r => r.Status)),
        };
        foreach (var setting in comparison.DifferingSettings)
        {
            var values = rows.Select(r => r.Settings[setting]).ToList();
            columns.Add(values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                ? new PrimitiveDataFrameColumn<double>(setting, values.Select(v => double.Parse(v, CultureInfo.InvariantCulture)))
                : new StringDataFrameColumn(setting, values));
        }
        foreach (var metric in comparison.MetricNames)
            columns.Add(new PrimitiveDataFrameColumn<double>(metric, rows.Select(r => r.Metrics.TryGetValue(metric, out var v) ? v : (double?)null)));
        return new DataFrame(columns);
    }
}
