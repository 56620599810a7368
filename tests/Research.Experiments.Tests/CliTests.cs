using System.Text.Json;

namespace Research.Experiments.Tests;

public class CliTests
{
    [Fact]
    public void RunSmokeExitsZeroWhenTheClaimHoldsAndWritesARunDirectory()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = Cli.Run(dir.Path, "run", "digits-logreg", "--scale", "smoke");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("claim HOLDS", stdout);
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(dir.Path, "digits-logreg")));
        foreach (var f in new[] { "config.json", "metrics.jsonl", "log.txt", "summary.json", "checkpoints/last.txt", "checkpoints/best.txt" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} missing in {run}");
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.Equal(150, lines.Count(l => l.Contains("\"train/loss\"")));
        Assert.Equal(10, lines.Count(l => l.Contains("\"eval/accuracy\"")));
        foreach (var l in lines) JsonDocument.Parse(l).Dispose();
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal("smoke", config.RootElement.GetProperty("Scale").GetString());
        Assert.Equal(150, config.RootElement.GetProperty("Hyperparameters").GetProperty("steps").GetInt32());
        Assert.False(string.IsNullOrEmpty(config.RootElement.GetProperty("Environment").GetProperty("TorchVersion").GetString()));
        var summary = Run.ReadSummary(run)!;
        Assert.True(summary.ClaimPassed);
        Assert.True(summary.FinalMetrics["eval/accuracy"] >= 0.9);

        var (listCode, listOut, _) = Cli.Run(dir.Path, "list");
        Assert.Equal(0, listCode);
        Assert.Contains("digits-logreg", listOut);
        Assert.Contains("claim holds", listOut);

        var (runsCode, runsOut, _) = Cli.Run(dir.Path, "runs", "digits-logreg");
        Assert.Equal(0, runsCode);
        Assert.Contains(Path.GetFileName(run), runsOut);
    }

    [Fact]
    public void RunsTableKeepsOneLinePerRunWhenAHyperparameterIsAnArray()
    {
        using var dir = new TempDirectory();
        foreach (var (widths, note) in new[] { (new[] { 64, 64 }, "a\nb"), (new[] { 128, 32, 8 }, "c") })
        {
            using var run = Research.Experiments.Run.Create("arrays", new { widths, note }, root: dir.Path);
            run.Record(1, "train/loss", widths.Length);
        }
        var (code, stdout, stderr) = Cli.Run(dir.Path, "runs", "arrays");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);                          // header, rule, one line per run
        Assert.Contains(lines, l => l.Contains("[64,64]") && l.Contains("a b"));
        Assert.Contains(lines, l => l.Contains("[128,32,8]"));
        var columns = lines[0].IndexOf("widths", StringComparison.Ordinal);
        Assert.All(lines.Skip(2), l => Assert.Equal('[', l[columns]));   // the column lines up on every row
    }

    [Fact]
    public void UnknownExperimentOrScaleIsAUsageError()
    {
        using var dir = new TempDirectory();
        Assert.Equal(2, Cli.Run(dir.Path, "run", "no-such-experiment").ExitCode);
        var (code, _, stderr) = Cli.Run(dir.Path, "run", "digits-logreg", "--scale", "huge");
        Assert.Equal(2, code);
        Assert.Contains("--scale", stderr);
    }
}
