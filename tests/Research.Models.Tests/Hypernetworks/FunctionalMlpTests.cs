using Research.Models.Hypernetworks;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Hypernetworks;

public class FunctionalMlpTests
{
    [Fact]
    public void FlatParametersRunTheSameFunctionAsALinearStack()
    {
        using var scope = NewScope();
        ManualSeed(4);
        long[] sizes = [3, 8, 6, 2];
        var mlp = new FunctionalMlp(sizes);
        var layers = Enumerable.Range(0, sizes.Length - 1).Select(l => new Linear(sizes[l], sizes[l + 1])).ToArray();
        var x = Tensor.RandN(10, 3);

        var theta = mlp.Flatten(layers.Select(l => ((Tensor)l.Weight, (Tensor)l.Bias!)).ToArray());
        Tensor expected = x;
        for (int l = 0; l < layers.Length; l++) expected = l < layers.Length - 1 ? layers[l].Forward(expected).Tanh() : layers[l].Forward(expected);

        Assert.Equal(layers.Sum(l => l.ParameterCount()), mlp.ParameterCount);
        Assert.Equal([mlp.ParameterCount], theta.Shape);
        Assert.Equal(0, (mlp.Forward(x, theta) - expected).Abs().Max().Item<float>());
        var (w1, b1) = mlp.Layer(theta, 1);
        Assert.Equal(0, (w1 - layers[1].Weight).Abs().Max().Item<float>());
        Assert.Equal(0, (b1 - layers[1].Bias!).Abs().Max().Item<float>());
        foreach (var l in layers) l.Dispose();
    }

    [Fact]
    public void BatchedParametersRunOneNetworkPerCondition()
    {
        using var scope = NewScope();
        ManualSeed(5);
        var mlp = new FunctionalMlp([2, 7, 1], x => x.Relu());
        var theta = Tensor.RandN(4, mlp.ParameterCount);
        var x = Tensor.RandN(4, 9, 2);

        var y = mlp.Forward(x, theta);

        Assert.Equal([4L, 9, 1], y.Shape);
        for (int b = 0; b < 4; b++)
            Assert.True((y[b] - mlp.Forward(x[b], theta[b])).Abs().Max().Item<float>() < 1e-5, $"condition {b}");
    }

    [Fact]
    public void DefaultInitializationMatchesPyTorchsLinearDefault()
    {
        // U(±1/√fan_in) for every weight and bias: layer 0 has fan-in 4, layer 1 fan-in 256.
        using var scope = NewScope();
        ManualSeed(6);
        var mlp = new FunctionalMlp([4, 256, 64]);
        var theta = mlp.DefaultInitialization();
        var std = mlp.InitStd();

        for (int l = 0; l < 2; l++)
        {
            var (w, b) = mlp.Layer(theta, l);
            double bound = 1 / Math.Sqrt(mlp.Sizes[l]);
            Assert.True(w.Abs().Max().Item<float>() <= bound && b.Abs().Max().Item<float>() <= bound);
            Assert.Equal(bound / Math.Sqrt(3), w.Std().Item<float>(), bound * 0.03);
            var (ws, bs) = mlp.Layer(std, l);
            Assert.Equal(bound / Math.Sqrt(3), ws.Mean().Item<float>(), 1e-6);
            Assert.Equal(bound / Math.Sqrt(3), bs.Mean().Item<float>(), 1e-6);
        }
    }

    [Fact]
    public void WrongShapesAreClearErrors()
    {
        using var scope = NewScope();
        var mlp = new FunctionalMlp([2, 3, 1]);       // P = 3·2 + 3 + 1·3 + 1 = 13
        Assert.Equal(13, mlp.ParameterCount);

        var badTheta = Assert.Throws<ArgumentException>(() => mlp.Forward(Tensor.Zeros(4, 5, 2), Tensor.Zeros(4, 12)));
        Assert.Contains("[batch, 13]", badTheta.Message);
        Assert.Throws<ArgumentException>(() => mlp.Forward(Tensor.Zeros(4, 5, 2), Tensor.Zeros(4, 2, 13)));
        var badInput = Assert.Throws<ArgumentException>(() => mlp.Forward(Tensor.Zeros(4, 5, 3), Tensor.Zeros(4, 13)));
        Assert.Contains("[4, 5, 3]", badInput.Message);
        Assert.Throws<ArgumentException>(() => new FunctionalMlp([3]));
        Assert.Throws<ArgumentException>(() => new FunctionalMlp([3, 0, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => mlp.Layer(Tensor.Zeros(13), 2));
    }
}
