using Research.Models.Sequence;
using Research.Models.Vision;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class Plstm2dLayerTests
{
    [Fact]
    public void LayerGivesTheSameOutputsSequentiallyAndChunkwiseInFloat64()
    {
        using var scope = NewScope();
        ManualSeed(11);
        using var layer = new Plstm2dLayer(12, 2, 3, 4, chunk: 3, dtype: DType.Float64);
        var x = Tensor.RandN([2, 7, 6, 12], DType.Float64);
        layer.Form = Plstm2dForm.Sequential;
        var sequential = layer.Forward(x);
        layer.Form = Plstm2dForm.Chunked;
        var chunked = layer.Forward(x);
        Assert.Equal([2L, 7, 6, 12], chunked.Shape);
        Assert.True((sequential - chunked).Abs().Max().Item<double>() < 1e-10);
    }

    [Fact]
    public void TransitionColumnsSumToAtMostOne()
    {
        using var scope = NewScope();
        ManualSeed(12);
        using var layer = new Plstm2dLayer(8, 1, 2, 2);
        var (source, transition, mark, direct) = layer.GateValues(Tensor.RandN([3, 5, 5, 8]) * 10);
        var columns = transition.Sum(-2);                                                             // Σ_b T[b, a] = λ_a
        Assert.True(columns.Max().Item<float>() <= 1f);
        Assert.True(transition.Min().Item<float>() >= 0f && source.Max().Item<float>() <= 1f && mark.Max().Item<float>() <= 1f);
        Assert.Equal([3L, 4, 5, 5], direct.Shape);
    }

    [Fact]
    public void EachDirectionGroupPropagatesIntoItsOwnQuadrant()
    {
        using var scope = NewScope();
        ManualSeed(13);
        using var layer = new Plstm2dLayer(8, 1, 2, 2);
        var map = layer.PropagationMap(Tensor.RandN([1, 9, 9, 8]), 4, 4)[0];                         // [4 heads, 9, 9]
        // group 0 flows right-down, 1 left-down, 2 right-up, 3 left-up (flips of columns, rows, both)
        (int Dy, int Dx)[] quadrant = [(1, 1), (1, -1), (-1, 1), (-1, -1)];
        for (int h = 0; h < 4; h++)
            for (int i = 0; i < 9; i++)
                for (int j = 0; j < 9; j++)
                {
                    bool inside = (i - 4) * quadrant[h].Dy >= 0 && (j - 4) * quadrant[h].Dx >= 0;
                    double g = map[h, i, j].Item<float>();
                    if (inside) Assert.True(g > 0, $"head {h}: ({i}, {j}) is in its quadrant but unreached");
                    else Assert.Equal(0.0, g);
                }
    }

    [Fact]
    public void ClassifierRunsOnAnyImageSizeAndViTOnlyWithInterpolatedPositions()
    {
        using var scope = NewScope();
        ManualSeed(14);
        using var plstm = new PlstmClassifier(3, 2, 16, 1, 1, 4, 4, pooling: TokenPooling.Max, stemKernel: 3);
        Assert.Equal([2L, 2], plstm.Forward(Tensor.RandN([2, 3, 8, 8])).Shape);
        Assert.Equal([2L, 2], plstm.Forward(Tensor.RandN([2, 3, 13, 16])).Shape);
        using var vit = new VisionTransformer(8, 1, 3, 2, 16, 1, 2, pooling: TokenPooling.Max, stemKernel: 3);
        var x = Tensor.RandN([2, 3, 8, 8]);
        var big = Tensor.RandN([2, 3, 16, 16]);
        var before = vit.Forward(x);
        Assert.Throws<ArgumentException>(() => vit.Forward(big));
        vit.InterpolatePositions = true;
        Assert.True((vit.Forward(x) - before).Abs().Max().Item<float>() == 0f);                     // same size: positions unchanged
        Assert.Equal([2L, 2], vit.Forward(big).Shape);
        var grid = vit.PositionsFor(16);
        Assert.Equal([1L, 256, 16], grid.Shape);
        Assert.Throws<ArgumentException>(() => new VisionTransformer(8, 1, 3, 2, 16, 1, 2, stemKernel: 2));
    }
}
