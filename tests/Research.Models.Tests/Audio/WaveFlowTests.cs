using Research.Models.Audio;
using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class WaveFlowTests
{
    private static WaveFlowConfig Small(int height, int flows = 2) =>
        new(Height: height, MelBands: 3, Hop: 8, Flows: flows, ResidualChannels: 4, Layers: 2);

    private static WaveFlow Trained(WaveFlowConfig config)
    {
        var net = new WaveFlow(config, DType.Float64);
        using (NoGrad())
            foreach (var step in net.Flow.Layers.OfType<HeightAutoregressiveAffine>()) Init.Normal_(step.Net.End.Weight, 0, 0.3);
        return net;
    }

    [Fact]
    public void GridHoldsConsecutiveSamplesInColumns()
    {
        using var scope = NewScope();
        var x = Tensor.Arange(2 * 12, DType.Float64).Reshape(2, 1, 12);
        var grid = WaveFlow.ToGrid(x, 4);
        Assert.Equal([2, 1, 4, 3], grid.Shape);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(12 + j * 4 + i, grid[1, 0, i, j].Item<double>());
        Assert.Equal(0, (WaveFlow.FromGrid(grid) - x).Abs().Max().Item<double>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void InverseRecoversTheAudioGivenTheSameMel(int height)
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var net = Trained(Small(height, flows: 3));
        var audio = Tensor.RandN([2, 4 * 8], DType.Float64) * 0.3;
        var mel = Tensor.RandN([2, 3, 4], DType.Float64);
        var (z, logDet) = net.Forward(audio, mel);
        Assert.Equal([2, 1, height, 32 / height], z.Shape);
        Assert.Equal([2], logDet.Shape);
        Assert.True((net.Inverse(z, mel) - audio).Abs().Max().Item<double>() < 1e-10);
        Assert.True((net.Inverse(z, mel * 0.5) - audio).Abs().Max().Item<double>() > 1e-4);   // the mel is used, forwards and back
        Assert.Equal([2, 32], net.Generate(mel).Shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneStepHasATriangularJacobianWhoseLogDetIsTheLogDet(bool reverse)
    {
        using var scope = NewScope();
        ManualSeed(1);
        var config = Small(4);
        using var layer = new HeightAutoregressiveAffine(config, reverse, DType.Float64);
        using (NoGrad()) Init.Normal_(layer.Net.End.Weight, 0, 0.3);
        var x = Tensor.RandN([1, 1, 4, 3], DType.Float64).RequiresGrad_();
        var c = Tensor.RandN([1, 3, 4, 3], DType.Float64);
        var (z, logDet) = layer.Forward(x, c);
        var flat = z.Reshape(-1);
        var jacobian = Tensor.Stack(Enumerable.Range(0, 12).Select(k => Autograd.Grad(flat[k], x, retainGraph: true).Reshape(-1)).ToArray());
        // row-major order of the grid (rows i, then columns j); bottom-up steps are triangular in the reversed row order
        var ordered = reverse ? jacobian.Reshape(4, 3, 4, 3).Flip(0, 2).Reshape(12, 12) : jacobian;
        Assert.Equal(0, ordered.Triu(1).Abs().Max().Item<double>());
        Assert.True(ordered.Tril(-1).Abs().Max().Item<double>() > 1e-3);                        // rows do depend on the rows before
        var (_, logAbsDet) = Linalg.SlogDet(jacobian);
        Assert.True(Math.Abs(logAbsDet.Item<double>() - logDet.Item<double>()) < 1e-10);
        Assert.True(Math.Abs(ordered.Diagonal().Abs().Log().Sum().Item<double>() - logDet.Item<double>()) < 1e-10);
    }

    [Fact]
    public void WholeFlowLogDetIsTheJacobiansLogAbsDeterminant()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var net = Trained(Small(4, flows: 3));
        var audio = (Tensor.RandN([1, 16], DType.Float64) * 0.3).RequiresGrad_();
        var mel = Tensor.RandN([1, 3, 2], DType.Float64);
        var (z, logDet) = net.Forward(audio, mel);
        var flat = z.Reshape(-1);
        var jacobian = Tensor.Stack(Enumerable.Range(0, 16).Select(k => Autograd.Grad(flat[k], audio, retainGraph: true).Reshape(-1)).ToArray());
        var (_, logAbsDet) = Linalg.SlogDet(jacobian);
        Assert.True(Math.Abs(logAbsDet.Item<double>() - logDet.Item<double>()) < 1e-9);
        Assert.Equal(FlowSequence.BitsPerDimension(z, logDet).Item<double>(), net.BitsPerSample(audio, mel).Item<double>(), 12);
    }

    [Fact]
    public void NetworkIsCausalInHeightAndSeesTheWidthBothWays()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var config = Small(8) with { Layers = 3 };
        using var net = new HeightCausalWaveNet(config, DType.Float64);
        using (NoGrad()) Init.Normal_(net.End.Weight, 0, 0.3);
        var x = Tensor.RandN([1, 1, 8, 9], DType.Float64).RequiresGrad_();
        var c = Tensor.RandN([1, 3, 8, 9], DType.Float64).RequiresGrad_();
        var output = net.Forward(x, c);
        Assert.Equal([1, 2, 8, 9], output.Shape);
        for (int i = 0; i < 8; i++)
        {
            var grads = Autograd.Grad([output[0, 0, i, 4] + output[0, 1, i, 4]], [x, c], retainGraph: true);
            var perRow = grads[0]!.Abs().Sum([0, 1, 3]);
            var conditionRows = grads[1]!.Abs().Sum([0, 1, 3]);
            for (int r = 0; r < 8; r++)
            {
                Assert.True(r <= i || perRow[r].Item<double>() == 0, $"output row {i} depends on input row {r}");
                Assert.True(r <= i || conditionRows[r].Item<double>() == 0, $"output row {i} depends on condition row {r}");
            }
            Assert.True(perRow[i].Item<double>() > 0);                                           // the network's own row (shifted in the flow)
            var columns = grads[0]!.Abs().Sum([0, 1, 2]);
            Assert.True(columns[0].Item<double>() > 0 && columns[8].Item<double>() > 0);          // non-causal along the width
        }
    }

    [Fact]
    public void ParameterCountDoesNotDependOnTheHeight()
    {
        using var a = new WaveFlow(Small(1));
        using var b = new WaveFlow(Small(16));
        Assert.Equal(a.ParameterCount(), b.ParameterCount());
    }
}
