using Research.Models.Vision;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Vision;

public class WaveMixTests
{
    [Fact]
    public void ClassifiesImagesIntoLogits()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new WaveMix(new WaveMixConfig(InChannels: 3, Classes: 7, Channels: 16, Blocks: 2));
        Assert.Equal([5L, 7], model.Forward(Tensor.RandN(5, 3, 32, 32)).Shape);
        Assert.Equal([5L, 16, 16, 16], model.StemFeatures(Tensor.RandN(5, 3, 32, 32)).Shape);   // stride-2 stem
        Assert.Equal(2, model.Blocks.Length);
    }

    [Fact]
    public void ParameterCountIsStemBlocksAndHead()
    {
        using var model = new WaveMix(new WaveMixConfig(InChannels: 1, Classes: 10, Channels: 32, MlpRatio: 2, Blocks: 3));
        using var block = new WaveMixBlock(32, 2);
        long stem = (1 * 16 * 9 + 16) + 2 * 16 + (16 * 32 * 9 + 32) + 2 * 32, head = 32 * 10 + 10;   // convs and their batch norms
        Assert.Equal(stem + 3 * block.ParameterCount() + head, model.ParameterCount());
    }

    [Fact]
    public void EveryParameterGetsAGradient()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new WaveMix(new WaveMixConfig(Channels: 8, Blocks: 2));
        var loss = Research.Torch.NN.F.CrossEntropy(model.Forward(Tensor.RandN(4, 1, 16, 16)), Tensor.From(new long[] { 0, 1, 2, 3 }));
        loss.Backward();
        foreach (var (name, p) in model.NamedParameters())
            Assert.True(p.Grad is { } grad && grad.Abs().Sum().Item<float>() > 0, $"{name} has no gradient");
    }

    [Fact]
    public void ImagesThatTheBlocksCannotHalveAreRejected()
    {
        using var scope = NewScope();
        using var model = new WaveMix(new WaveMixConfig(Channels: 8, Blocks: 1, StemStride: 2));
        var odd = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 1, 30, 32)));   // 30 → 15 after the stem
        Assert.Contains("even", odd.Message);
        Assert.Contains("[1, 8, 15, 16]", odd.Message);
        Assert.Contains("[batch, 1, height, width]", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 3, 32, 32))).Message);
        Assert.Throws<ArgumentException>(() => new WaveMix(new WaveMixConfig(Channels: 10)));
        Assert.Throws<ArgumentException>(() => new WaveMix(new WaveMixConfig(Blocks: 0)));
    }
}
