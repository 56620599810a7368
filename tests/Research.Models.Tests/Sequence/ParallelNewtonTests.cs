using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class ParallelNewtonTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void GruJacobianMatchesAutogradRowByRow()
    {
        using var scope = NewScope();
        ManualSeed(21);
        using var gru = new DeerGru(3, 5, dtype: DType.Float64);
        var previous = Tensor.RandN([2, 4, 5], DType.Float64).RequiresGrad_();
        var drive = gru.Drive(Tensor.RandN([2, 4, 3], DType.Float64));

        var (next, jacobian) = gru.Step(previous, drive, withJacobian: true);

        for (int i = 0; i < 5; i++)
        {
            // Row i of ∂h'/∂h at every (batch, time): the gradient of Σ h'_i (the steps are independent).
            var row = Autograd.Grad([next.Select(-1, i).Sum()], [previous], retainGraph: true)[0]!;
            var analytic = jacobian!.Select(-2, i);
            Assert.True(MaxAbsDiff(row, analytic) < 1e-13, $"row {i}: {MaxAbsDiff(row, analytic):E2}");
        }
    }

    [Fact]
    public void GruStepIsLibtorchsGruCell()
    {
        using var scope = NewScope();
        ManualSeed(22);
        using var gru = new DeerGru(3, 5, dtype: DType.Float64);
        var x = Tensor.RandN([2, 6, 3], DType.Float64);
        var previous = Tensor.RandN([2, 6, 5], DType.Float64);

        var (next, _) = gru.Step(previous, gru.Drive(x), withJacobian: false);

        for (int t = 0; t < 6; t++)
            Assert.True(MaxAbsDiff(next.Select(1, t), gru.Cell.Forward(x.Select(1, t), previous.Select(1, t))) < 1e-14);
    }

    [Theory]
    [InlineData(AffineScanMethod.Chunked)]
    [InlineData(AffineScanMethod.Doubling)]
    [InlineData(AffineScanMethod.Sequential)]
    public void NewtonConvergesToTheSequentialStates(AffineScanMethod method)
    {
        using var scope = NewScope();
        ManualSeed(23);
        using var gru = new DeerGru(3, 6, dtype: DType.Float64);
        var x = Tensor.RandN([2, 41, 3], DType.Float64);
        var h0 = Tensor.RandN([2, 6], DType.Float64) * 0.5;

        using var noGrad = NoGrad();
        var solution = gru.Forward(x, h0, new NewtonOptions(Tolerance: 1e-12, Method: method));

        Assert.True(solution.Converged, $"residuals {string.Join(", ", solution.Residuals)}");
        Assert.True(MaxAbsDiff(solution.States, gru.ForwardSequential(x, h0)) < 1e-11);
    }

    [Fact]
    public void NewtonIsExactAfterAtMostTIterationsEvenForAStiffCell()
    {
        using var scope = NewScope();
        ManualSeed(24);
        using var gru = new DeerGru(2, 4, dtype: DType.Float64);
        using (NoGrad()) gru.Cell.WeightHh.Mul_(6);                             // far from contracting
        var x = Tensor.RandN([1, 7, 2], DType.Float64) * 3;

        using var noGrad = NoGrad();
        var solution = gru.Forward(x, options: new NewtonOptions(Tolerance: 0, MaxIterations: 7));

        // After k solves the first k states are exact (each step's input is then exact): T solves give the trajectory.
        Assert.True(MaxAbsDiff(solution.States, gru.ForwardSequential(x)) < 1e-12);
    }

    [Fact]
    public void ProjectingTheIteratesOntoTheStateBoxKeepsTheSolution()
    {
        using var scope = NewScope();
        ManualSeed(27);
        using var gru = new DeerGru(2, 4, dtype: DType.Float64);
        using (NoGrad()) gru.Cell.WeightHh.Mul_(6);                             // unstable linearisations away from the trajectory
        var x = Tensor.RandN([2, 60, 2], DType.Float64) * 3;

        using var noGrad = NoGrad();
        var solution = gru.Forward(x, options: new NewtonOptions(Tolerance: 1e-12, MaxIterations: 60, StateBound: 1));

        Assert.True(solution.Converged, $"{solution.Iterations} iterations, last residual {solution.Residuals[^1]:E2}");
        Assert.True(MaxAbsDiff(solution.States, gru.ForwardSequential(x)) < 1e-11);
    }

    [Fact]
    public void JacobiAndQuasiNewtonReachTheSameStatesInMoreIterations()
    {
        using var scope = NewScope();
        ManualSeed(25);
        using var gru = new DeerGru(3, 5, dtype: DType.Float64);
        var x = Tensor.RandN([2, 30, 3], DType.Float64);

        using var noGrad = NoGrad();
        var newton = gru.Forward(x, options: new NewtonOptions(Tolerance: 1e-11));
        var quasi = gru.Forward(x, options: new NewtonOptions(Tolerance: 1e-11, Jacobian: NewtonJacobian.Diagonal));
        var jacobi = gru.Forward(x, options: new NewtonOptions(Tolerance: 1e-11, Jacobian: NewtonJacobian.Zero));

        var sequential = gru.ForwardSequential(x);
        foreach (var s in new[] { newton, quasi, jacobi })
            Assert.True(s.Converged && MaxAbsDiff(s.States, sequential) < 1e-9);
        Assert.True(newton.Iterations < quasi.Iterations && newton.Iterations < jacobi.Iterations,
            $"iterations: Newton {newton.Iterations}, quasi-Newton {quasi.Iterations}, Jacobi {jacobi.Iterations}");
    }

    [Theory]
    [InlineData(AffineScanMethod.Chunked)]
    [InlineData(AffineScanMethod.Doubling)]
    public void NewtonGradientsEqualBackpropagationThroughTheLoop(AffineScanMethod method)
    {
        using var scope = NewScope();
        ManualSeed(26);
        using var gru = new DeerGru(3, 6, dtype: DType.Float64);
        var x = Tensor.RandN([2, 33, 3], DType.Float64).RequiresGrad_();
        var h0 = (Tensor.RandN([2, 6], DType.Float64) * 0.5).RequiresGrad_();
        var weights = Tensor.RandN([2, 33, 6], DType.Float64);
        Tensor[] inputs = [.. gru.Parameters().Cast<Tensor>(), x, h0];

        var sequential = Autograd.Grad([(gru.ForwardSequential(x, h0) * weights).Sum()], inputs);
        var states = gru.Forward(x, h0, new NewtonOptions(Tolerance: 1e-12, Method: method)).States;
        var newton = Autograd.Grad([(states * weights).Sum()], inputs);

        for (int i = 0; i < inputs.Length; i++)
        {
            double scale = sequential[i]!.Abs().Max().Item<double>();
            Assert.True(MaxAbsDiff(newton[i]!, sequential[i]!) < 1e-10 * scale, $"input {i}: {MaxAbsDiff(newton[i]!, sequential[i]!):E2} of {scale:E2}");
        }
    }
}
