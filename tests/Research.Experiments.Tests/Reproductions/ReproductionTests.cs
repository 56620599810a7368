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
    public void MinGruSmokeRunHoldsScanEqualsLoopSpeedAndParity()
    {
        using var dir = new TempDirectory();
        var (result, _, points) = SmokeRun.Run(new MinGruExperiment(), dir.Path);
        Assert.True(result.Metrics["float64_relative_error"] < MinGruExperiment.Float64Tolerance);
        Assert.True(result.Metrics["scan_train_ms"] < result.Metrics["loop_train_ms"]);
        Assert.True(result.Metrics["signed_accuracy"] >= 0.9);
        Assert.True(result.Metrics["positive_accuracy"] <= ParityStudy.PositiveCeiling);
        foreach (var name in new[] { "agreement/float64", "agreement/float32", "timing/scan_train_ms", "timing/loop_train_ms" })
            Assert.Equal(MinGruExperiment.Lengths.Select(T => (long)T), points.Where(p => p.Name == name).Select(p => p.Step));
        SmokeRun.AssertCurve(points, "signed/loss", 150);
        SmokeRun.AssertCurve(points, "positive/loss", 150);
        SmokeRun.AssertCurve(points, "eval/signed_accuracy", 10);
        SmokeRun.AssertCurve(points, "accuracy_vs_length/signed", 3);
    }

    [Fact]
    public void SirenSmokeRunBeatsReluByTwoDecibels()
    {
        using var dir = new TempDirectory();
        var (result, _, points) = SmokeRun.Run(new SirenExperiment(), dir.Path);
        Assert.True(result.Metrics["psnr_gap"] >= SirenExperiment.RequiredGap(Scale.Smoke));
        foreach (var name in new[] { "siren/loss", "siren/psnr", "relu/loss", "relu/psnr" }) SmokeRun.AssertCurve(points, name, 100);
        SmokeRun.AssertCurve(points, "eval/psnr_gap", 10);
    }

    [Fact]
    public void DfaSmokeRunStaysCloseToBackpropAndAligns()
    {
        using var dir = new TempDirectory();
        var (result, _, points) = SmokeRun.Run(new DfaExperiment(), dir.Path);
        Assert.True(result.Metrics["accuracy_gap"] <= DfaExperiment.AllowedGap(Scale.Smoke));
        Assert.True(result.Metrics["weight_angle_final"] < Math.Min(90, result.Metrics["weight_angle_initial"]));
        long steps = result.Training!.Steps;
        SmokeRun.AssertCurve(points, "dfa/loss", (int)steps);
        SmokeRun.AssertCurve(points, "backprop/loss", (int)steps);
        SmokeRun.AssertCurve(points, "eval/dfa_accuracy", 8 + 1);                               // before training and after each epoch
        SmokeRun.AssertCurve(points, "alignment/weight_angle", 8 + 1);
        SmokeRun.AssertCurve(points, "alignment/signal_angle_layer3", 8 + 1);
    }
}
