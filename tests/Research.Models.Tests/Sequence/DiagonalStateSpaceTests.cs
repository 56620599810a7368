using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class DiagonalStateSpaceTests
{
    [Fact]
    public void KernelIsTheVandermondeSumInFloat64()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var layer = new DiagonalStateSpace(3, 4, dtype: DType.Float64);
        var kernel = layer.Kernel(7).ToArray2D<double>();                                  // [3, 7]
        var (re, im) = layer.Eigenvalues();
        var lr = re.ToArray2D<double>();
        var li = im.ToArray2D<double>();
        var cr = layer.CReal.ToArray2D<double>();
        var ci = layer.CImag.ToArray2D<double>();
        var dt = layer.LogDt.Exp().ToArray<double>();
        for (int h = 0; h < 3; h++)
            for (int l = 0; l < 7; l++)
            {
                var sum = System.Numerics.Complex.Zero;
                for (int m = 0; m < 4; m++)
                {
                    var lambda = new System.Numerics.Complex(lr[h, m], li[h, m]);
                    var a = System.Numerics.Complex.Exp(dt[h] * lambda);
                    var b = (a - 1) / lambda;                                                  // ZOH with B = 1
                    sum += new System.Numerics.Complex(cr[h, m], ci[h, m]) * b * System.Numerics.Complex.Pow(a, l);
                }
                Assert.Equal(2 * sum.Real, kernel[h, l], 10);
            }
    }

    [Theory]
    [InlineData(StateParameterisation.Hurwitz)]
    [InlineData(StateParameterisation.Unconstrained)]
    public void ConvolutionModeEqualsRecurrentModeInFloat64(StateParameterisation parameterisation)
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var layer = new DiagonalStateSpace(5, 6, parameterisation, dtype: DType.Float64);
        var u = Tensor.RandN([2, 37, 5], DType.Float64);
        var conv = layer.Forward(u);                                                       // [2, 37, 5]
        using var recurrence = layer.Recurrence(2);
        var steps = Tensor.Stack(Enumerable.Range(0, 37).Select(t => recurrence.Step(u.Select(1, t))).ToArray(), 1);
        Assert.True((conv - steps).Abs().Max().Item<double>() < 1e-10);
    }

    [Fact]
    public void HurwitzKeepsEveryEigenvalueInTheLeftHalfPlane()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var hurwitz = new DiagonalStateSpace(4, 8, StateParameterisation.Hurwitz);
        using var free = new DiagonalStateSpace(4, 8, StateParameterisation.Unconstrained);
        using (NoGrad())
        {
            hurwitz.RealPart.Fill_(3.0);                                                   // Re λ = −e³, whatever p is
            free.RealPart.Fill_(0.2);                                                      // Re λ = +0.2
        }
        Assert.True(hurwitz.Eigenvalues().Real.Max().Item<float>() < 0);
        Assert.True(free.Eigenvalues().Real.Min().Item<float>() > 0);
        var (aRe, aIm, _, _) = free.Discretise();
        Assert.True((aRe.Square() + aIm.Square()).Min().Item<float>() > 1);               // |Ā| > 1: the recurrence grows
    }

    [Fact]
    public void OutputAtTimeTIgnoresLaterInputs()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var layer = new DiagonalStateSpace(2, 3, dtype: DType.Float64);
        var u = Tensor.RandN([1, 20, 2], DType.Float64);
        var changed = u.Clone();
        using (NoGrad()) changed.Narrow(1, 12, 8).Fill_(5.0);
        var difference = (layer.Forward(u) - layer.Forward(changed)).Narrow(1, 0, 12).Abs().Max().Item<double>();
        Assert.True(difference < 1e-12);
    }

    [Fact]
    public void RejectsBadShapesAndSizes()
    {
        using var scope = NewScope();
        using var layer = new DiagonalStateSpace(3, 2);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN(2, 10, 4)));
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN(10, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiagonalStateSpace(0, 2));
        Assert.Throws<ArgumentException>(() => new DiagonalStateSpace(2, 2, dtMin: 0.1, dtMax: 0.01));
    }
}
