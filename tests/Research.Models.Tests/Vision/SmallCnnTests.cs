using Research.Models.Vision;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Vision;

public class SmallCnnTests
{
    [Fact]
    public void ClassifiesImagesIntoLogitsWithTheExpectedParameterCount()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new SmallCnn(1, 10, [16, 32, 64, 64], pooledStages: 2);
        Assert.Equal([3L, 10], model.Forward(Tensor.RandN(3, 1, 32, 32)).Shape);
        long convs = (1 * 16 * 9 + 16) + (16 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (64 * 64 * 9 + 64);
        long norms = 2 * (16 + 32 + 64 + 64);
        Assert.Equal(convs + norms + 64 * 10 + 10, model.ParameterCount());
    }

    [Fact]
    public void EveryParameterGetsAGradient()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new SmallCnn(2, 3, [4, 8], pooledStages: 1);
        F.CrossEntropy(model.Forward(Tensor.RandN(4, 2, 8, 8)), Tensor.From(new long[] { 0, 1, 2, 0 })).Backward();
        foreach (var (name, p) in model.NamedParameters())
            Assert.True(p.Grad is { } grad && grad.Abs().Sum().Item<float>() > 0, $"{name} has no gradient");
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        using var scope = NewScope();
        using var model = new SmallCnn(1, 10, [4, 8], pooledStages: 2);
        Assert.Contains("multiples of 4", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 1, 30, 32))).Message);
        Assert.Contains("[batch, 1, height, width]", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 2, 32, 32))).Message);
        Assert.Throws<ArgumentException>(() => new SmallCnn(1, 10, [4], pooledStages: 2));
    }
}
