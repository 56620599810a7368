using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Operators;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class FnoExperimentTests
{
    [Fact]
    public void RegistryListsFnoAsNeuralOperators()
    {
        var experiment = ExperimentRegistry.Find("fno");
        Assert.IsType<FnoExperiment>(experiment);
        Assert.Equal("neural operators & PDEs", experiment.Family);
    }

    [Fact]
    public void SmokeRunTransfersAcrossResolutionsWhileTheCnnDoesNot()
    {
        using var dir = new TempDirectory();
        var (result, _, points) = SmokeRun.Run(new FnoExperiment(), dir.Path);
        var s = FnoSettings.For(Scale.Smoke);
        Assert.True(result.Metrics["fno_error_128"] <= s.MaxFnoError);
        foreach (var n in new[] { 256, 512 })
        {
            Assert.True(result.Metrics[$"fno_ratio_{n}"] <= s.MaxFnoRatio);
            Assert.True(result.Metrics[$"cnn_ratio_{n}"] >= s.MinCnnRatio);
        }
        // similar sizes: neither network has more than twice the other's parameters
        Assert.InRange(result.Metrics["fno_parameters"] / result.Metrics["cnn_parameters"], 0.5, 2.0);
        SmokeRun.AssertCurve(points, "fno/loss", s.Steps);
        SmokeRun.AssertCurve(points, "cnn/loss", s.Steps);
        foreach (var n in s.EvalPoints)
        {
            SmokeRun.AssertCurve(points, $"eval/fno_error_{n}", 10);
            SmokeRun.AssertCurve(points, $"eval/cnn_error_{n}", 10);
        }
    }

    [Fact]
    public void RelativeL2IsPerSampleAndRejectsMismatchedShapes()
    {
        using var scope = NewScope();
        var target = Tensor.From(new[] { 3f, 4f, 0f, 1f }, 2, 2);
        var prediction = Tensor.From(new[] { 3f, 4f, 0f, 2f }, 2, 2);
        Assert.Equal([0f, 1f], FnoExperiment.RelativeL2(prediction, target).ToArray<float>());
        Assert.Throws<ArgumentException>(() => FnoExperiment.RelativeL2(prediction.Reshape(4), target));
    }

    [Fact]
    public void ModeMagnitudesAverageTheComplexWeightsOfEveryLayer()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var fno = new FourierNeuralOperator(new FourierNeuralOperatorConfig(Width: 4, Modes: 3, Layers: 2));
        var magnitudes = FnoExperiment.ModeMagnitudes(fno);
        Assert.Equal(2, magnitudes.Length);
        var w = fno.Layers[1].Spectral.Weight.Detach().ToArray<float>();       // [4, 4, 3, 2]
        double mode2 = 0;
        for (int io = 0; io < 16; io++) mode2 += Math.Sqrt(Math.Pow(w[(io * 3 + 2) * 2], 2) + Math.Pow(w[(io * 3 + 2) * 2 + 1], 2));
        Assert.Equal(mode2 / 16, magnitudes[1][2], 6);
    }

    [Fact]
    public void EvaluationGridsDivideTheDataGrid()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = FnoSettings.For(scale);
            Assert.Contains(s.TrainPoints, s.EvalPoints);
            Assert.Equal([256, 512], s.ZeroShotPoints);
            Assert.All(s.EvalPoints, n => Assert.Equal(0, s.FinePoints % n));
            Assert.All(s.EvalPoints, n => Assert.True(n >= 2 * s.Fno.Modes));
        }
    }
}
