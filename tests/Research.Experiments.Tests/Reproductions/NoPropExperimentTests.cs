using Research.Experiments.Reproductions;
using Research.Models.LocalLearning;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class NoPropExperimentTests
{
    [Fact]
    public void RegistryListsNoPropAsBackpropFreeLearning()
    {
        var experiment = ExperimentRegistry.Find("noprop");
        Assert.IsType<NoPropExperiment>(experiment);
        Assert.Equal("backprop-free & local learning", experiment.Family);
    }

    [Fact]
    public void SmokeRunStaysCloseToBackpropWithIsolatedBlocks()
    {
        using var dir = new TempDirectory();
        var (result, _, points) = SmokeRun.Run(new NoPropExperiment(), dir.Path);
        Assert.True(result.Metrics["accuracy_gap"] <= NoPropExperiment.AllowedGap(Scale.Smoke));
        Assert.Equal(0, result.Metrics["cross_gradient"]);
        Assert.True(result.Metrics["own_gradient"] > 0);
        Assert.True(result.Metrics["max_error_ratio"] < NoPropExperiment.ErrorDrop);
        int steps = (int)result.Training!.Steps;
        int epochs = NoPropExperiment.Epochs(Scale.Smoke);
        for (int t = 1; t <= NoPropExperiment.Steps; t++)
        {
            SmokeRun.AssertCurve(points, $"block{t}/error", steps);
            SmokeRun.AssertCurve(points, $"eval/block{t}_error", epochs + 1);          // before training and after each epoch
        }
        SmokeRun.AssertCurve(points, "classifier/loss", steps);
        SmokeRun.AssertCurve(points, "backprop/loss", steps);
        SmokeRun.AssertCurve(points, "eval/noprop_accuracy", epochs + 1);
        SmokeRun.AssertCurve(points, "eval/backprop_accuracy", epochs + 1);
        SmokeRun.AssertCurve(points, "chain/accuracy", NoPropExperiment.Steps + 1);
        SmokeRun.AssertCurve(points, "chain/prediction_accuracy", NoPropExperiment.Steps);
        // the chain starts from noise (chance level) and ends at the model's accuracy level
        var chain = points.Where(p => p.Name == "chain/accuracy").OrderBy(p => p.Step).Select(p => p.Value).ToArray();
        Assert.True(chain[0] < 0.3, $"z_0 accuracy {chain[0]}");
        Assert.True(chain[^1] > 0.8, $"z_T accuracy {chain[^1]}");
    }

    [Fact]
    public void GradientIsolationDetectsForwardPropagation()
    {
        // The measurement is not vacuous: if block 2 were trained on block 1's output (forward propagation, as in a normal
        // network) its loss would have a non-zero gradient for block 1; NoProp's own losses have none.
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new NoProp(new NoPropConfig(Inputs: 5, Classes: 3, Hidden: 8, Steps: 2));
        var x = Tensor.RandN(6, 5);
        var y = Tensor.RandInt(0, 3, [6]);
        var (cross, own) = NoPropExperiment.GradientIsolation(model, x, y);
        Assert.Equal(0, cross);
        Assert.True(own > 0);

        Tensor Coupled(int t)
        {
            if (t == 1) return model.BlockLoss(1, x, y);
            var z1 = model.Block(1).Predict(x, Tensor.RandN(6, 3), model.Embedding);
            return (model.Block(2).Predict(x, z1, model.Embedding) - F.OneHot(y, 3).Float()).Square().Sum(-1).Mean();
        }
        var (coupledCross, _) = NoPropExperiment.GradientIsolation(model, Coupled);
        Assert.True(coupledCross > 0);
    }

    [Fact]
    public void ChainAccuracyReadsStatesAndPredictionsOfOneChain()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new NoProp(new NoPropConfig(Inputs: 5, Classes: 3, Hidden: 8, Steps: 2));
        var x = Tensor.RandN(40, 5);
        var y = Tensor.RandInt(0, 3, [40]);
        ManualSeed(3);
        var (states, predictions) = NoPropExperiment.ChainAccuracy(model, x, y);
        Assert.Equal(3, states.Length);
        Assert.Equal(2, predictions.Length);

        // the same chain by hand: z_0 ~ N(0, I) from the same seed, then one step per block
        ManualSeed(3);
        var chain = model.Trajectory(x);
        Assert.Equal(chain[1].ArgMax(-1).Eq(y).Double().Mean().Item<double>(), states[1], 12);
        Assert.Equal(model.Block(2).Forward(x, chain[1]).ArgMax(-1).Eq(y).Double().Mean().Item<double>(), predictions[1], 12);
        Assert.InRange(NoPropExperiment.MeanChainAccuracy(model, x, y), 0, 1);
    }
}
