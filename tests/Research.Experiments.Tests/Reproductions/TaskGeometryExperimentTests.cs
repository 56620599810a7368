using Research.Experiments.Reproductions;
using Research.Models.Dynamics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class TaskGeometryExperimentTests
{
    [Fact]
    public void RegistryListsTaskGeometryAsRepresentationGeometry()
    {
        var experiment = ExperimentRegistry.Find("task-geometry");
        Assert.IsType<TaskGeometryExperiment>(experiment);
        Assert.Equal("representation geometry & learning dynamics", experiment.Family);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public void CentresHaveNormRootDAndAFractionAOfItAlongTheLabelAxis(double a)
    {
        // c_i = √D (√a y_i u + √(1 − a) r_i), r_i ⟂ u: ‖c_i‖² = D and (c_i · u)² = aD, with the sign of y_i.
        using var scope = NewScope();
        using var task = AlignedClusterTask.Create(a, seed: 7, conditions: 8, dimensions: 12);
        var c = task.Centres.Double();
        var norms = c.Square().Sum(1).ToArray<double>();
        Assert.All(norms, v => Assert.Equal(12.0, v, 5));                              // float32 centres
        var y = task.Labels.Double();
        Assert.Equal(new double[] { 1, 1, 1, 1, -1, -1, -1, -1 }, y.Flatten().ToArray<double>());
        var u = task.LabelAxis;
        Assert.Equal(1.0, u.Square().Sum().Item<double>(), 12);
        var along = c.Matmul(u);
        var labels = y.Flatten().ToArray<double>();
        var alongValues = along.ToArray<double>();
        for (int i = 0; i < 8; i++) Assert.Equal(labels[i] * Math.Sqrt(a * 12), alongValues[i], 5);
        // The rest, √D·√(1 − a)·r_i, is orthogonal to u with squared norm (1 − a)·D.
        var rest = c - along.Unsqueeze(1) * u;
        Assert.All(rest.Square().Sum(1).ToArray<double>(), v => Assert.Equal((1 - a) * 12, v, 4));
    }

    [Fact]
    public void FullAlignmentMakesTheInputRdmTheLabelRdmAndNoneMakesThemUnrelated()
    {
        using var scope = NewScope();
        double Rsa(double a, int seed)
        {
            using var task = AlignedClusterTask.Create(a, seed);
            return RepresentationalDissimilarity.Correlation(RepresentationalDissimilarity.Matrix(task.Centres), RepresentationalDissimilarity.Matrix(task.Labels));
        }
        Assert.Equal(1.0, Rsa(1.0, 1), 6);
        var unrelated = Enumerable.Range(0, 10).Select(s => Rsa(0.0, s)).ToArray();
        Assert.True(Math.Abs(unrelated.Average()) < 0.15, $"mean input–label RSA at a = 0: {unrelated.Average():F3}");
        var ladder = new[] { 0.0, 0.1, 0.3, 0.6 }.Select(a => Enumerable.Range(0, 10).Average(s => Rsa(a, s))).ToArray();
        for (int i = 1; i < ladder.Length; i++) Assert.True(ladder[i] > ladder[i - 1], $"input–label RSA by a: {string.Join(", ", ladder)}");
    }

    [Fact]
    public void SamplesAreTheirCentresPlusNoiseAndTheSameSeedGivesTheSameTask()
    {
        using var scope = NewScope();
        using var task = AlignedClusterTask.Create(0.2, seed: 3, conditions: 4, dimensions: 6, samplesPerCondition: 500, noise: 0.5);
        using var again = AlignedClusterTask.Create(0.2, seed: 3, conditions: 4, dimensions: 6, samplesPerCondition: 500, noise: 0.5);
        Assert.True(task.Inputs.Equal(again.Inputs));
        Assert.Equal(new long[] { 2000, 6 }, task.Inputs.Shape);
        var centre = task.Centres.IndexSelect(0, task.Conditions);
        var noise = (task.Inputs - centre).Double();
        Assert.True(noise.Mean().Abs().Item<double>() < 0.02);
        Assert.Equal(0.5, noise.Std().Item<double>(), 1);
        Assert.True((task.Targets - task.Labels.IndexSelect(0, task.Conditions)).Abs().Max().Item<float>() == 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedClusterTask.Create(1.5, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedClusterTask.Create(0.5, seed: 0, conditions: 5));
    }

    [Fact]
    public void TrainingAccuracyCountsSamplesOnTheirLabelsSide()
    {
        using var scope = NewScope();
        using var task = AlignedClusterTask.Create(1.0, seed: 2, conditions: 4, dimensions: 3, samplesPerCondition: 5, noise: 0);
        ManualSeed(0);
        using var net = new OneHiddenLayerNetwork(3, 4, 1, HiddenActivation.Tanh);
        using (NoGrad())
        {
            net.Readout.Weight.Zero_();
            net.Readout.Bias!.Fill_(1.0);                                                        // always +1: half right
        }
        Assert.Equal(0.5, TaskGeometryExperiment.TrainingAccuracy(net, task), 12);
    }
}
