using Research.Models.Vision;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Vision;

public class VisionTransformerTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void ClassifiesImagesFromPatchTokens()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new VisionTransformer(32, 4, 1, 10, dim: 64, depth: 2, heads: 4, mlpRatio: 2);
        Assert.Equal(64, model.Tokens);
        Assert.Equal([1L, 64, 64], model.Position.Shape);
        Assert.Equal([3L, 10], model.Forward(Tensor.RandN(3, 1, 32, 32)).Shape);
        long block = 2 * 64 * 2 + (3 * 64 * 64 + 3 * 64) + (64 * 64 + 64) + (64 * 128 + 128) + (128 * 64 + 64);
        long expected = (16 * 64 + 64) + 64 * 64 + 2 * block + 2 * 64 + (64 * 10 + 10);
        Assert.Equal(expected, model.ParameterCount());
    }

    [Fact]
    public void EncoderBlockIsPermutationEquivariantOverTokens()
    {
        // Attention and the token-wise MLP do not know the token order: permuting the tokens permutes the output.
        using var scope = NewScope();
        ManualSeed(2);
        using var block = new TransformerEncoderBlock(8, 2, dtype: DType.Float64);
        var x = Tensor.RandN([2, 5, 8], DType.Float64);
        var order = Tensor.From(new long[] { 3, 0, 4, 1, 2 });
        Assert.True(MaxAbsDiff(block.Forward(x.IndexSelect(1, order)), block.Forward(x).IndexSelect(1, order)) < 1e-12);
    }

    [Fact]
    public void EveryParameterGetsAGradient()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new VisionTransformer(8, 4, 1, 3, dim: 8, depth: 1, heads: 2);
        F.CrossEntropy(model.Forward(Tensor.RandN(4, 1, 8, 8)), Tensor.From(new long[] { 0, 1, 2, 0 })).Backward();
        foreach (var (name, p) in model.NamedParameters())
            Assert.True(p.Grad is { } grad && grad.Abs().Sum().Item<float>() > 0, $"{name} has no gradient");
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        using var scope = NewScope();
        using var model = new VisionTransformer(8, 4, 1, 3, dim: 8, depth: 1, heads: 2);
        Assert.Contains("[batch, 1, 8, 8]", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 1, 12, 12))).Message);
        Assert.Throws<ArgumentException>(() => new VisionTransformer(30, 4, 1, 3, dim: 8, depth: 1, heads: 2));
    }
}
