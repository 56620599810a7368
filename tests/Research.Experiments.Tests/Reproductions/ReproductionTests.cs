using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class ReproductionTests
{
    [Fact]
    public void RegistryListsTheReproductionsWithTheirFamilies()
    {
        Assert.Equal("sequence models", ExperimentRegistry.Find("mingru")?.Family);
        Assert.Equal("sequence models", ExperimentRegistry.Find("neg-eig-lrnn")?.Family);
        Assert.Equal("implicit neural representations", ExperimentRegistry.Find("siren")?.Family);
        Assert.Equal("backprop-free & local learning", ExperimentRegistry.Find("dfa")?.Family);
    }

    [Fact]
    public void NegativeEigenvalueParityRunsFromTheCommandLine()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = Cli.Run(dir.Path, "run", "neg-eig-lrnn", "--scale", "smoke");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("claim HOLDS", stdout);
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(dir.Path, "neg-eig-lrnn")));
        Assert.True(File.Exists(Path.Combine(run, "metrics.jsonl")));
        var summary = Run.ReadSummary(run)!;
        Assert.True(summary.ClaimPassed);
        Assert.True(summary.FinalMetrics["signed_accuracy"] >= 0.9);
    }
}
