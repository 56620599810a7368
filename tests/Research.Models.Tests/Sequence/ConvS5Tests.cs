using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class ConvS5Tests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    // The recurrence written out frame by frame with Step, from state x0.
    private static (Tensor Y, Tensor State) Loop(ConvS5 layer, Tensor u, Tensor? x0)
    {
        var outputs = new Tensor[u.Size(1)];
        var x = x0;
        for (int t = 0; t < outputs.Length; t++)
        {
            var (y, next) = layer.Step(u.Select(1, t), x);
            (outputs[t], x) = (y, next);
        }
        return (Tensor.Stack(outputs, 1), x!);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(11, false)]
    [InlineData(11, true)]
    public void ParallelScanEqualsTheStepByStepLoopInFloat64(int time, bool withInitialState)
    {
        using var scope = NewScope();
        ManualSeed(21);
        using var layer = new ConvS5(channels: 3, state: 5, kernelSize: 3, dtMin: 0.05, dtMax: 0.5, dtype: DType.Float64);
        var u = Tensor.RandN([2, time, 3, 5, 4], DType.Float64);
        var x0 = withInitialState ? Tensor.RandN([2, 5, 5, 4], DType.Float64) : null;
        using var noGrad = NoGrad();
        var (scanY, scanX) = layer.Forward(u, x0);
        var (loopY, loopX) = Loop(layer, u, x0);
        Assert.Equal([2L, time, 3, 5, 4], scanY.Shape);
        Assert.Equal([2L, 5, 5, 4], scanX.Shape);
        Assert.True(MaxAbsDiff(scanY, loopY) < 1e-12, $"|scan − loop| = {MaxAbsDiff(scanY, loopY):E2}");
        Assert.True(MaxAbsDiff(scanX, loopX) < 1e-12, $"last state |scan − loop| = {MaxAbsDiff(scanX, loopX):E2}");
    }

    [Fact]
    public void ScanGradientsEqualTheLoopsGradientsInFloat64()
    {
        using var scope = NewScope();
        ManualSeed(22);
        using var layer = new ConvS5(channels: 2, state: 4, kernelSize: 3, dtMin: 0.05, dtMax: 0.5, dtype: DType.Float64);
        var u = Tensor.RandN([2, 9, 2, 4, 4], DType.Float64).RequiresGrad_();
        var weights = Tensor.RandN([2, 9, 2, 4, 4], DType.Float64);
        Tensor[] inputs = [u, layer.Nu, layer.LogDt, layer.B.Weight, layer.C.Weight, layer.D];
        var scanGrads = Autograd.Grad([(layer.Forward(u) * weights).Sum()], inputs);
        var loopGrads = Autograd.Grad([(Loop(layer, u, null).Y * weights).Sum()], inputs);
        for (int i = 0; i < inputs.Length; i++)
            Assert.True(MaxAbsDiff(scanGrads[i]!, loopGrads[i]!) < 1e-10, $"input {i}: |∂scan − ∂loop| = {MaxAbsDiff(scanGrads[i]!, loopGrads[i]!):E2}");
    }

    [Fact]
    public void DiscretisationIsTheZeroOrderHoldOfTheS4DRealSpectrum()
    {
        using var scope = NewScope();
        ManualSeed(23);
        using var layer = new ConvS5(channels: 2, state: 6, dtMin: 1e-3, dtMax: 1e-1, dtype: DType.Float64);
        var lambda = (-layer.Nu.Exp()).ToArray<double>();
        Assert.Equal([-1.0, -2, -3, -4, -5, -6], lambda.Select(v => Math.Round(v, 12)));
        var dt = layer.LogDt.Exp().ToArray<double>();
        Assert.All(dt, v => Assert.InRange(v, 1e-3, 1e-1));
        var (aBar, bBar) = layer.Discretised();
        var a = aBar.ToArray<double>();
        var b = bBar.ToArray<double>();
        for (int n = 0; n < 6; n++)
        {
            Assert.Equal(Math.Exp(lambda[n] * dt[n]), a[n], 12);                 // Ā = exp(ΛΔ)
            Assert.Equal((Math.Exp(lambda[n] * dt[n]) - 1) / lambda[n], b[n], 12); // B̄ = (Ā − 1)/Λ (≈ Δ for small ΛΔ)
        }
    }

    [Fact]
    public void StateDoesNotMixPixelsThroughTime()
    {
        // A is pointwise: a pixel's state far from an input impulse stays zero however many frames pass (only B and C mix space).
        using var scope = NewScope();
        ManualSeed(24);
        using var layer = new ConvS5(channels: 1, state: 3, kernelSize: 3, dtype: DType.Float64);
        var u = Tensor.Zeros([1, 6, 1, 9, 9], DType.Float64);
        u.SetItem([0, 0, 0, 4, 4], 1.0);
        using var noGrad = NoGrad();
        var (_, state) = layer.Forward(u, null);
        var s = state.Select(0, 0).Abs().Sum(0);                                   // [9, 9]
        Assert.True(s[4, 4].Item<double>() > 0);
        Assert.Equal(0.0, s[0, 0].Item<double>());
        Assert.Equal(0.0, s[4, 7].Item<double>());                               // three pixels away: outside B's 3×3 kernel
    }

    [Fact]
    public void RejectsInputsOfTheWrongShape()
    {
        using var scope = NewScope();
        using var layer = new ConvS5(channels: 3, state: 4);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([2, 5, 4, 6, 6])));
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([2, 3, 6, 6])));
        Assert.Throws<ArgumentException>(() => layer.Step(Tensor.Zeros([2, 5, 3, 6, 6]), null));
        Assert.Throws<ArgumentException>(() => new ConvS5(3, 4, kernelSize: 2));
    }
}
