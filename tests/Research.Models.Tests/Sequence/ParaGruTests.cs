using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class ParaGruTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void DiagonalJacobianMatchesAutogradAndTheRestOfTheJacobianIsZero()
    {
        using var scope = NewScope();
        ManualSeed(31);
        using var gru = new ParaGru(3, 5, DType.Float64);
        var previous = Tensor.RandN([2, 4, 5], DType.Float64).RequiresGrad_();
        var drive = gru.Drive(Tensor.RandN([2, 4, 3], DType.Float64));

        var (next, jacobian) = gru.Step(previous, drive, withJacobian: true);

        Assert.Equal(new long[] { 2, 4, 5 }, jacobian!.Shape);
        var identity = Tensor.Eye(5, dtype: DType.Float64);
        for (int i = 0; i < 5; i++)
        {
            // Row i of ∂h'/∂h by autograd: the analytic diagonal entry at column i, zeros elsewhere.
            var row = Autograd.Grad([next.Select(-1, i).Sum()], [previous], retainGraph: true)[0]!;
            var expected = jacobian.Select(-1, i).Unsqueeze(-1) * identity.Select(0, i);
            Assert.True(MaxAbsDiff(row, expected) < 1e-13, $"row {i}: {MaxAbsDiff(row, expected):E2}");
        }
    }

    [Fact]
    public void NewtonReachesTheLoopAndItsGradients()
    {
        using var scope = NewScope();
        ManualSeed(32);
        using var gru = new ParaGru(3, 6, DType.Float64);
        var x = Tensor.RandN([2, 45, 3], DType.Float64);
        var h0 = (Tensor.RandN([2, 6], DType.Float64) * 0.5).RequiresGrad_();
        var weights = Tensor.RandN([2, 45, 6], DType.Float64);
        Tensor[] inputs = [.. gru.Parameters().Cast<Tensor>(), h0];

        var loop = gru.ForwardSequential(x, h0);
        var loopGrads = Autograd.Grad([(loop * weights).Sum()], inputs);
        var newton = gru.Forward(x, h0, new NewtonOptions(Tolerance: 1e-12));
        var newtonGrads = Autograd.Grad([(newton.States * weights).Sum()], inputs);

        Assert.True(newton.Converged);
        Assert.True(MaxAbsDiff(newton.States, loop) < 1e-11);
        for (int i = 0; i < inputs.Length; i++)
        {
            double scale = loopGrads[i]!.Abs().Max().Item<double>();
            Assert.True(MaxAbsDiff(newtonGrads[i]!, loopGrads[i]!) < 1e-10 * scale, $"input {i}");
        }
    }
}
