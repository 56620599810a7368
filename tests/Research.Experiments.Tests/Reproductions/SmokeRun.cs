using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

/// <summary>Runs an experiment at smoke scale in a temporary runs root and checks what <c>research run</c> promises.</summary>
internal static class SmokeRun
{
    /// <summary>
    /// Runs <paramref name="experiment"/> at smoke scale under <paramref name="root"/>; asserts the claim holds, the thread
    /// count is restored, the run folder holds its files and the summary repeats the result.
    /// </summary>
    public static (ExperimentResult Result, RunSummary Summary, List<MetricPoint> Points) Run(IExperiment experiment, string root)
    {
        int threads = NumThreads;
        var (result, dir) = ExperimentRunner.Run(experiment, Scale.Smoke, Device.CPU, root: root);
        Assert.Equal(threads, NumThreads);                                              // the experiment restores the thread count
        Assert.True(result.ClaimHolds, $"{experiment.Id}: {result.Detail}");
        foreach (var f in new[] { "config.json", "metrics.jsonl", "summary.json", "log.txt" })
            Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} missing in {dir}");
        var summary = Experiments.Run.ReadSummary(dir)!;
        Assert.True(summary.ClaimPassed);
        Assert.Equal(result.Detail, summary.ClaimDetail);
        foreach (var (name, value) in result.Metrics) Assert.Equal(value, summary.FinalMetrics[name]);
        return (result, summary, MetricsLog.Read(Path.Combine(dir, "metrics.jsonl")));
    }

    /// <summary>Asserts the metric <paramref name="name"/> has <paramref name="count"/> points, all finite.</summary>
    public static void AssertCurve(List<MetricPoint> points, string name, int count)
    {
        var curve = points.Where(p => p.Name == name).ToList();
        Assert.True(curve.Count == count, $"{name}: {curve.Count} points, expected {count}");
        Assert.All(curve, p => Assert.True(double.IsFinite(p.Value), $"{name} at step {p.Step} is {p.Value}"));
    }
}
