using Research.Models.LocalLearning;
using Research.Models.Physics;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.LocalLearning;

// Seeds libtorch's global generator: never in parallel with the other local-learning tests.
[Collection("local learning, global generator")]
public class PhysicalForwardForwardTests
{
    private static PhysicalForwardForward Network() =>
        new(new WaveMedium(points: 18, steps: 16, courant: 0.5, cubic: 1.0, damping: 0.02), features: 10, classes: 3, layers: 3);

    [Fact]
    public void NoGradientReachesThroughTheMediumInForwardForwardMode()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = Network();
        var x = Tensor.RandN([6, 10]);
        var m1 = model.Measure(model.Encode(x, Tensor.RandInt(0, 3, [6])));
        var h = model.Activities(m1);
        PhysicalForwardForward.Goodness(h[2]).Sum().Backward();    // the last layer's loss only
        Assert.Null(model.Projections[0].Weight.Grad);
        Assert.Null(model.Projections[1].Weight.Grad);
        Assert.True(model.Projections[2].Weight.Grad!.Abs().Sum().Item<float>() > 0);
        Assert.False(model.Measure(model.Drive(h[0])).RequiresGrad);
    }

    [Fact]
    public void InSilicoTheGradientReachesEveryLayerThroughTheTwin()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = Network();
        var m1 = model.Measure(model.Encode(Tensor.RandN([6, 10]), null));
        var h = model.Activities(m1, inSilico: true);
        PhysicalForwardForward.Goodness(h[2]).Sum().Backward();
        foreach (var projection in model.Projections)
            Assert.True(projection.Weight.Grad!.Abs().Sum().Item<float>() > 0);
    }

    [Fact]
    public void LayerLossEqualsItsDefinition()
    {
        // loss = mean softplus(θ − G⁺) + mean softplus(G⁻ − θ), G = (1/M) Σ_j h_j².
        using var scope = NewScope();
        double[,] hp = { { 1.0, 2.0 }, { 0.5, -0.5 } }, hn = { { 0.0, 3.0 }, { 1.0, 1.0 } };
        const double theta = 2.0;
        static double Softplus(double z) => Math.Log(1 + Math.Exp(z));
        double[] gp = [2.5, 0.25], gn = [4.5, 1.0];
        double expected = (Softplus(theta - gp[0]) + Softplus(theta - gp[1])) / 2 + (Softplus(gn[0] - theta) + Softplus(gn[1] - theta)) / 2;
        var positive = PhysicalForwardForward.Goodness(Tensor.From(hp.Cast<double>().ToArray(), 2, 2));
        var negative = PhysicalForwardForward.Goodness(Tensor.From(hn.Cast<double>().ToArray(), 2, 2));
        Assert.Equal(gp, positive.ToArray<double>());
        Assert.Equal(gn, negative.ToArray<double>());
        Assert.Equal(expected, PhysicalForwardForward.LayerLoss(positive, negative, theta).Item<double>(), 12);
    }

    [Fact]
    public void LabelGoodnessSumsEveryLayerForEveryLabel()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = Network();
        var x = Tensor.RandN([4, 10]);
        var measured = Tensor.Stack(Enumerable.Range(0, 3).Select(k => model.Measure(model.Encode(x, Tensor.Full([4], k, DType.Int64)))).ToArray());
        var all = model.LabelGoodness(measured);                          // [4, 3]
        Assert.Equal([4L, 3], all.Shape);
        var h = model.Activities(measured[1]);
        var expected = h.Select(PhysicalForwardForward.Goodness).Aggregate((a, b) => a + b);
        Assert.True((all.Narrow(1, 1, 1).Squeeze(1) - expected).Abs().Max().Item<float>() < 1e-4 * expected.Abs().Max().Item<float>());
    }

    [Fact]
    public void LabelsChangeTheDriveOnlyThroughTheirPattern()
    {
        using var scope = NewScope();
        using var model = Network();
        var x = Tensor.Zeros([1, 10]);
        var drive = model.Encode(x, Tensor.Full([1], 2, DType.Int64));
        var expected = F.Pad(model.Amplitude * (model.LabelScale * model.LabelPatterns.Narrow(0, 2, 1)).Tanh(), [1, 1]);
        Assert.True((drive - expected).Abs().Max().Item<float>() < 1e-6);
        Assert.Equal(0f, model.Encode(x, null).Abs().Max().Item<float>());
    }
}
