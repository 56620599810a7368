using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class ConvLstmTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void StepFollowsTheConvLstmEquations()
    {
        using var scope = NewScope();
        ManualSeed(31);
        using var cell = new ConvLstm(inputChannels: 2, hiddenChannels: 3, kernelSize: 3, dtype: DType.Float64);
        var x = Tensor.RandN([2, 2, 5, 6], DType.Float64);
        var h = Tensor.RandN([2, 3, 5, 6], DType.Float64);
        var c = Tensor.RandN([2, 3, 5, 6], DType.Float64);
        using var noGrad = NoGrad();
        var (hNext, cNext) = cell.Step(x, (h, c));

        // W_x ∗ X + W_h ∗ H + b per gate, each with its own slice of the weight (i, f, g, o in order).
        var w = cell.Gates.Weight;                                                 // [4·3, 2 + 3, 3, 3]
        var bias = cell.Gates.Bias!;
        Tensor Gate(int k) => F.Conv2d(x, w.Narrow(0, 3 * k, 3).Narrow(1, 0, 2), bias.Narrow(0, 3 * k, 3), padding: 1)
            + F.Conv2d(h, w.Narrow(0, 3 * k, 3).Narrow(1, 2, 3), padding: 1);
        var i = Gate(0).Sigmoid();
        var f = Gate(1).Sigmoid();
        var g = Gate(2).Tanh();
        var o = Gate(3).Sigmoid();
        var cExpected = f * c + i * g;                                             // C_t = f ⊙ C_{t−1} + i ⊙ g
        var hExpected = o * cExpected.Tanh();                                      // H_t = o ⊙ tanh(C_t)
        Assert.True(MaxAbsDiff(cNext, cExpected) < 1e-12, $"cell {MaxAbsDiff(cNext, cExpected):E2}");
        Assert.True(MaxAbsDiff(hNext, hExpected) < 1e-12, $"hidden {MaxAbsDiff(hNext, hExpected):E2}");
    }

    [Fact]
    public void SequenceForwardIsTheStepLoopFromZeroStates()
    {
        using var scope = NewScope();
        ManualSeed(32);
        using var cell = new ConvLstm(2, 4, dtype: DType.Float64);
        var x = Tensor.RandN([3, 5, 2, 4, 4], DType.Float64);
        using var noGrad = NoGrad();
        var (hidden, (lastH, lastC)) = cell.Forward(x, null);
        Assert.Equal([3L, 5, 4, 4, 4], hidden.Shape);
        var zero = Tensor.Zeros([3, 4, 4, 4], DType.Float64);
        (Tensor H, Tensor C) s = (zero, zero);
        for (int t = 0; t < 5; t++)
        {
            s = cell.Step(x.Select(1, t), s);
            Assert.True(MaxAbsDiff(hidden.Select(1, t), s.H) < 1e-12);
        }
        Assert.True(MaxAbsDiff(lastH, s.H) < 1e-12 && MaxAbsDiff(lastC, s.C) < 1e-12);
    }

    [Fact]
    public void RejectsInputsOfTheWrongShape()
    {
        using var scope = NewScope();
        using var cell = new ConvLstm(2, 4);
        Assert.Throws<ArgumentException>(() => cell.Forward(Tensor.Zeros([1, 3, 3, 4, 4])));
        Assert.Throws<ArgumentException>(() => cell.Step(Tensor.Zeros([1, 3, 4, 4]), null));
    }
}
