using Research.Models.Generative;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class FixedPointSweepsTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    /// <summary>A tanh RNN h_t = tanh(W h_{t−1} + x_t) as T equations: position t of the update reads position t − 1 of the iterate.</summary>
    private static CausalUpdate Rnn(Tensor w, Tensor inputs) => (h, rows) =>
    {
        var previous = Tensor.Cat([Tensor.Zeros([h.Size(0), 1, h.Size(2)], h.DType), h.Narrow(1, 0, h.Size(1) - 1)], 1);
        return (previous.Matmul(w.T) + inputs.IndexSelect(0, rows)).Tanh();
    };

    /// <summary>The RNN as it is usually computed: one step after another.</summary>
    private static Tensor RnnLoop(Tensor w, Tensor inputs)
    {
        var h = Tensor.Zeros([inputs.Size(0), inputs.Size(2)], inputs.DType);
        var states = new List<Tensor>();
        for (long t = 0; t < inputs.Size(1); t++)
            states.Add(h = (h.Matmul(w.T) + inputs[.., (int)t]).Tanh());
        return Tensor.Stack(states.ToArray(), 1);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void JacobiReachesTheSequentialRnnStatesWithinTSweeps(double gain)
    {
        using var scope = NewScope();
        ManualSeed(11);
        const int T = 40, H = 8;
        var w = Tensor.RandN([H, H], DType.Float64) * (gain / Math.Sqrt(H));
        var inputs = Tensor.RandN([3, T, H], DType.Float64);
        var loop = RnnLoop(w, inputs);
        var solution = FixedPointSweeps.Jacobi(Rnn(w, inputs), Tensor.Zeros([3, T, H], DType.Float64));
        Assert.True(MaxAbsDiff(solution.Solution, loop) < 1e-12, $"gain {gain}: max |Jacobi − loop| = {MaxAbsDiff(solution.Solution, loop):E2}");
        Assert.All(solution.Sweeps, s => Assert.InRange(s, 1, T));
        Assert.All(solution.Evaluations, e => Assert.InRange(e, 1, T));
    }

    [Fact]
    public void JacobiErrorAfterKSweepsVanishesOnTheFirstKPositions()
    {
        using var scope = NewScope();
        ManualSeed(12);
        const int T = 16, H = 4;
        var w = Tensor.RandN([H, H], DType.Float64) * (3 / Math.Sqrt(H));
        var inputs = Tensor.RandN([2, T, H], DType.Float64);
        var loop = RnnLoop(w, inputs);
        FixedPointSweeps.Jacobi(Rnn(w, inputs), Tensor.Zeros([2, T, H], DType.Float64), afterSweep: (k, h) =>
        {
            if (k < T) Assert.True(MaxAbsDiff(h.Narrow(1, 0, k), loop.Narrow(1, 0, k)) < 1e-12, $"sweep {k}");
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void MadeSamplesByEverySolverEqualTheSequentialSampleBitForBit(int blockSize)
    {
        using var scope = NewScope();
        ManualSeed(13);
        using var made = new Made(64, 96, 2);
        foreach (var l in made.Layers) using (NoGrad()) l.Weight.Mul_(3);     // sharper conditionals: longer dependency chains
        var uniforms = Tensor.Rand([20, 64]);
        CausalUpdate sample = (x, rows) => made.SampleUpdate(x, uniforms.IndexSelect(0, rows));
        var x0 = Tensor.Zeros([20, 64]);
        var sequential = FixedPointSweeps.Sequential(sample, x0);
        var solved = FixedPointSweeps.GaussSeidelJacobi(sample, x0, blockSize);
        Assert.Equal(0.0, MaxAbsDiff(solved.Solution, sequential));
        Assert.All(solved.Evaluations, e => Assert.InRange(e, 1, 64));
        if (blockSize == 1) Assert.All(solved.Evaluations, e => Assert.Equal(64, e));
        if (blockSize == 64)
        {
            var jacobi = FixedPointSweeps.Jacobi(sample, x0);
            Assert.Equal(solved.Sweeps, jacobi.Sweeps);
            Assert.All(jacobi.Sweeps.Zip(jacobi.Evaluations), p => Assert.True(p.Second == Math.Min(p.First + 1, 64)));
        }
    }

    [Fact]
    public void AFullDependencyChainNeedsAllTSweeps()
    {
        // x_t = x_{t−1} + 1 from x⁰ = 0: every position changes until its predecessor is exact, so Jacobi needs exactly T sweeps
        using var scope = NewScope();
        const int T = 10;
        CausalUpdate chain = (x, _) => Tensor.Cat([Tensor.Ones([x.Size(0), 1], x.DType), x.Narrow(1, 0, T - 1) + 1], 1);
        var solution = FixedPointSweeps.Jacobi(chain, Tensor.Zeros([2, T], DType.Float64));
        Assert.Equal([T, T], solution.Sweeps);
        Assert.Equal([T, T], solution.Evaluations);
        Assert.Equal(Enumerable.Range(1, T).Select(i => (double)i).ToArray(), solution.Solution[0].ToArray<double>());
    }

    [Fact]
    public void ToleranceStopsEarlierThanExactConvergence()
    {
        using var scope = NewScope();
        ManualSeed(14);
        const int T = 60, H = 6;
        var w = Tensor.RandN([H, H], DType.Float64) * (0.3 / Math.Sqrt(H));
        var inputs = Tensor.RandN([2, T, H], DType.Float64);
        var exact = FixedPointSweeps.Jacobi(Rnn(w, inputs), Tensor.Zeros([2, T, H], DType.Float64));
        var loose = FixedPointSweeps.Jacobi(Rnn(w, inputs), Tensor.Zeros([2, T, H], DType.Float64), tolerance: 1e-6);
        Assert.All(loose.Sweeps.Zip(exact.Sweeps), p => Assert.True(p.First < p.Second, $"{p.First} vs {p.Second}"));
        Assert.True(MaxAbsDiff(loose.Solution, exact.Solution) < 1e-5);
    }

    [Fact]
    public void SweepsLeakNoTensors()
    {
        ManualSeed(15);
        using var made = new Made(16, 32, 1);
        using var uniforms = Tensor.Rand([5, 16]);
        using var x0 = Tensor.Zeros([5, 16]);
        CausalUpdate sample = (x, rows) => made.SampleUpdate(x, uniforms.IndexSelect(0, rows));
        using var live = Tensor.TrackLive();
        using (FixedPointSweeps.Jacobi(sample, x0).Solution)
        using (FixedPointSweeps.Sequential(sample, x0)) { }
        Assert.Equal(0L, live.Count);
    }
}
