using Research.Experiments.Reproductions;
using Research.Models.LocalLearning;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

[Collection("local learning experiments, global generator")]
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
    public void TheBaselineMlpHasNoPropsParameterCount()
    {
        using var noProp = new NoProp(new NoPropConfig(64, 10, NoPropExperiment.Hidden, NoPropExperiment.Steps));
        long target = noProp.ParameterCount();
        long width = NoPropExperiment.MatchedWidth(64, 10, target);
        long Count(long w)
        {
            using var mlp = new DirectFeedbackAlignment(64, [w, w, w], 10);
            return mlp.ParameterCount();
        }
        Assert.InRange((double)Count(width) / target, 0.99, 1.01);
        Assert.True(Math.Abs(Count(width) - target) <= Math.Abs(Count(width + 1) - target));
        Assert.True(Math.Abs(Count(width) - target) <= Math.Abs(Count(width - 1) - target));
    }

    [Fact]
    public void ChainAccuracyReadsStatesPredictionsAndOutputOfOneChain()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new NoProp(new NoPropConfig(Inputs: 5, Classes: 3, Hidden: 8, Steps: 2));
        var x = Tensor.RandN(40, 5);
        var y = Tensor.RandInt(0, 3, [40]);
        ManualSeed(3);
        var chain = NoPropExperiment.ChainAccuracy(model, x, y);
        Assert.Equal(3, chain.States.Length);
        Assert.Equal(2, chain.Predictions.Length);

        // the same chain by hand: z_0 ~ N(0, I) from the same seed, then one step per block
        ManualSeed(3);
        var states = model.Trajectory(x);
        static double Accuracy(Tensor scores, Tensor y) => scores.ArgMax(-1).Eq(y).Double().Mean().Item<double>();
        Assert.Equal(Accuracy(states[1], y), chain.States[1], 12);
        Assert.Equal(Accuracy(model.Block(1).Forward(x, states[0]), y), chain.FirstBlock, 12);
        Assert.Equal(Accuracy(model.Block(2).Forward(x, states[1]), y), chain.Predictions[1], 12);
        Assert.Equal(Accuracy(model.Classifier.Forward(states[2]), y), chain.Output, 12);
        Assert.Equal(Accuracy(model.Classifier.Forward(states[2]), model.Block(1).Forward(x, states[0]).ArgMax(-1)),
            chain.AgreementWithFirstBlock, 12);
    }
}
