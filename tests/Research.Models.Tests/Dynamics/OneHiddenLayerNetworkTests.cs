using Research.Models.Dynamics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Dynamics;

public class OneHiddenLayerNetworkTests
{
    [Theory]
    [InlineData(HiddenActivation.Tanh)]
    [InlineData(HiddenActivation.Relu)]
    public void ForwardIsTheReadoutOfSigmaOfTheFeatures(HiddenActivation activation)
    {
        // h = σ(W₁x + b₁), y = W₂h + b₂
        using var scope = NewScope();
        ManualSeed(1);
        using var net = new OneHiddenLayerNetwork(5, 7, 2, activation);
        var x = Tensor.RandN(4, 5);
        var z = x.Matmul(net.Features.Weight.T) + net.Features.Bias!;
        var h = activation == HiddenActivation.Tanh ? z.Tanh() : z.Clamp(min: 0);
        Assert.True((net.Hidden(x) - h).Abs().Max().Item<float>() < 1e-6);
        var y = h.Matmul(net.Readout.Weight.T) + net.Readout.Bias!;
        Assert.True((net.Forward(x) - y).Abs().Max().Item<float>() < 1e-6);
        Assert.Equal(new long[] { 4, 2 }, net.Forward(x).Shape);
    }

    [Fact]
    public void InitScaleMultipliesTheDefaultInitialisationAndBothActivationsShareIt()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var standard = new OneHiddenLayerNetwork(20, 100, 1, HiddenActivation.Tanh);
        ManualSeed(2);
        using var small = new OneHiddenLayerNetwork(20, 100, 1, HiddenActivation.Relu, initScale: 0.1);
        Assert.Equal(standard.ParameterCount(), small.ParameterCount());
        Assert.Equal(20 * 100 + 100 + 100 + 1, small.ParameterCount());
        foreach (var (p, q) in standard.Parameters().Zip(small.Parameters()))
            Assert.True((p * 0.1 - q).Abs().Max().Item<float>() < 1e-7);
        // PyTorch's default: U(±1/√fan_in) for the features (fan_in 20).
        double bound = 1 / Math.Sqrt(20);
        Assert.True(standard.Features.Weight.Abs().Max().Item<float>() <= bound);
        Assert.True(standard.Features.Weight.Abs().Max().Item<float>() > 0.9 * bound);
    }

    [Fact]
    public void BadSizesAndScalesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneHiddenLayerNetwork(0, 3, 1, HiddenActivation.Tanh));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneHiddenLayerNetwork(2, 3, 1, HiddenActivation.Tanh, initScale: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OneHiddenLayerNetwork(2, 3, 1, HiddenActivation.Relu, initScale: double.NaN));
    }
}
