using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

public class FunctionalGruTests
{
    [Fact]
    public void FunctionalGruMatchesTheCellStepByStep()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var cell = new GRUCell(3, 5, dtype: DType.Float64);
        var x = Tensor.RandN([2, 7, 3], DType.Float64);                                  // [batch, time, in]
        var h0 = Tensor.RandN([2, 5], DType.Float64);
        var (loop, loopLast) = cell.ForwardSequence(x, batchFirst: true, h: h0);
        var (fused, fusedLast) = F.Gru(x, cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh, h0);
        Assert.Equal([2, 7, 5], fused.Shape);
        Assert.True((fused - loop).Abs().Max().Item<double>() < 1e-12);
        Assert.True((fusedLast - loopLast).Abs().Max().Item<double>() < 1e-12);
        var (timeFirst, _) = F.Gru(x.Transpose(0, 1).Contiguous(), cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh, h0, batchFirst: false);
        Assert.True((timeFirst.Transpose(0, 1) - loop).Abs().Max().Item<double>() < 1e-12);
        Assert.Throws<ArgumentException>(() => F.Gru(x, cell.WeightIh, cell.WeightHh, cell.BiasIh));
        Assert.Throws<ArgumentException>(() => F.Gru(Tensor.RandN([2, 7, 4], DType.Float64), cell.WeightIh, cell.WeightHh));
    }
}
