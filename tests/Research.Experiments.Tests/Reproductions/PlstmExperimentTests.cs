using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class PlstmExperimentTests
{
    [Fact]
    public void RegistryListsPlstmAsSequenceModels()
    {
        var experiment = ExperimentRegistry.Find("plstm");
        Assert.IsType<PlstmExperiment>(experiment);
        Assert.Equal("sequence models", experiment.Family);
        Assert.Contains("16×16", experiment.Claim);
    }

    [Fact]
    public void BothModelsHaveTheSameParametersWithinTenPercentAndTheSameSweep()
    {
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu, Scale.Gpu })
        {
            var s = PlstmSettings.For(scale);
            using var plstm = PlstmExperiment.CreatePlstm(depth: s.Depth);
            using var vit = PlstmExperiment.CreateVit(s.TrainSize, depth: s.Depth);
            Assert.Equal(s.Depth, plstm.Layers.Length);
            Assert.InRange(vit.ParameterCount() / (double)plstm.ParameterCount(), 0.9, 1.1);
            Assert.Equal(2 * s.TrainSize, s.TestSizes.Max());
            Assert.Contains(s.TrainSize, s.TestSizes);
            if (scale != Scale.Smoke)
                Assert.True(s.Seeds >= 3 && s.LearningRates.Length >= 2 && s.CheckClaim && s.Baseline && s.Depth == PlstmSettings.Layers, $"{scale}");
        }
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(16, true)]
    public void TheTargetLiesOnTheArrowsRayAndTheDistractorDoesNot(int size, bool diagonals)
    {
        var (batch, scenes) = ArrowPointing.Sample(200, size, 5, diagonals);
        using (batch)
        {
            var (again, _) = ArrowPointing.Sample(200, size, 5, diagonals);
            using (again) Assert.Equal(batch.Inputs.ToArray<float>(), again.Inputs.ToArray<float>());
            Assert.Equal([200L, 3, size, size], batch.Inputs.Shape);
            Assert.InRange(scenes.Count(sc => sc.Label == 1), 70, 130);
            Assert.Equal(diagonals, scenes.Any(sc => sc.Direction.Dy != 0 && sc.Direction.Dx != 0));
            foreach (var sc in scenes)
            {
                static int? Along((int Row, int Column) from, (int Dy, int Dx) d, (int Row, int Column) to)
                {
                    for (int t = 1; t < 64; t++)
                        if (from.Row + t * d.Dy == to.Row && from.Column + t * d.Dx == to.Column) return t;
                    return null;
                }
                Assert.True(Along(sc.Tip, sc.Direction, sc.Target) >= 2);
                Assert.Null(Along(sc.Tip, sc.Direction, sc.Distractor));
                var pixels = ArrowPointing.Render(sc, size);
                Assert.Equal(1f, pixels[(1 + sc.Label) * size * size + sc.Target.Row * size + sc.Target.Column]);
                Assert.Equal(1f, pixels[sc.Tip.Row * size + sc.Tip.Column]);
                Assert.Equal(3 * size * size - 5, pixels.Count(p => p == 0));
            }
        }
    }

    [Fact]
    public void AccuracyCountsArgmaxAgreements()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = PlstmExperiment.CreatePlstm();
        var (batch, _) = ArrowPointing.Sample(8, 8, 3, diagonals: false);
        using (batch)
        {
            double accuracy = PlstmExperiment.Accuracy(model, batch);
            using var g = NoGrad();
            var predicted = model.Forward(batch.Inputs).ArgMax(1).ToArray<long>();
            var labels = batch.Targets.ToArray<long>();
            Assert.Equal(predicted.Zip(labels).Count(p => p.First == p.Second) / 8.0, accuracy, 12);
        }
    }
}
