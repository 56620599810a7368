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
    public void RelativeL2IsPerSampleAndRejectsMismatchedShapes()
    {
        using var scope = NewScope();
        var target = Tensor.From(new[] { 3f, 4f, 0f, 1f }, 2, 2);
        var prediction = Tensor.From(new[] { 3f, 4f, 0f, 2f }, 2, 2);
        Assert.Equal([0f, 1f], FnoExperiment.RelativeL2(prediction, target).ToArray<float>());
        Assert.Throws<ArgumentException>(() => FnoExperiment.RelativeL2(prediction.Reshape(4), target));
    }

    [Fact]
    public void EvaluationGridsDivideTheDataGridAndTheNetworksFitThem()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = FnoSettings.For(scale);
            Assert.Contains(s.TrainPoints, s.EvalPoints);
            Assert.Equal(s.EvalPoints.Where(n => n > s.TrainPoints), s.ZeroShotPoints);
            Assert.All(s.EvalPoints, n => Assert.Equal(0, s.FinePoints % n));
            Assert.All(s.EvalPoints, n => Assert.True(n >= 2 * s.Fno.Modes));
            Assert.Equal(s.TrainPoints, s.ConvertedCnn.ReferencePoints);
            Assert.Null(s.Cnn.ReferencePoints);
        }
    }

    [Fact]
    public void NetworksHaveMatchedParameterCounts()
    {
        // reproduction.md: baselines within ~10 % of the parameters; the converted CNN has exactly the CNN's.
        using var scope = NewScope();
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu })
        {
            var s = FnoSettings.For(scale);
            using var fno = new FourierNeuralOperator(s.Fno);
            using var cnn = new ConvolutionalBaseline(s.Cnn);
            using var converted = new ConvolutionalBaseline(s.ConvertedCnn);
            Assert.Equal(cnn.ParameterCount(), converted.ParameterCount());
            Assert.InRange((double)fno.ParameterCount() / cnn.ParameterCount(), 0.9, 1.1);
        }
    }

    [Fact]
    public void FourierInterpolationPassesThroughTheSamplesAndIsExactForBandLimitedFields()
    {
        using var scope = NewScope();
        const int n = 16, m = 64;
        double[] Field(int points) => Enumerable.Range(0, points).Select(j =>
        {
            double x = (double)j / points;
            return Math.Sin(2 * Math.PI * x) + 0.5 * Math.Cos(2 * Math.PI * 5 * x + 0.3) + 0.25 * Math.Cos(2 * Math.PI * 8 * x);
        }).ToArray();
        var coarse = Tensor.From(Field(n), 1, n);
        var fine = FnoExperiment.FourierInterpolate(coarse, m);
        var expected = Tensor.From(Field(m), 1, m);
        // modes 1 and 5 lie below n/2 = 8; the Nyquist mode 8 is a cosine, whose samples it interpolates exactly too
        Assert.True((fine - expected).Abs().Max().Item<double>() < 1e-12);
        Assert.True((fine.Slice(-1, 0, m, m / n) - coarse).Abs().Max().Item<double>() < 1e-12);
        Assert.True((FnoExperiment.FourierInterpolate(coarse, n) - coarse).Abs().Max().Item<double>() == 0);
        Assert.Throws<ArgumentException>(() => FnoExperiment.FourierInterpolate(coarse, 24));
    }
}
