using Research.Models.ImplicitNeural;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.ImplicitNeural;

public class SirenTests
{
    [Fact]
    public void WeightsFollowThePapersUniformInitialisation()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var siren = new Siren(2, 256, hiddenLayers: 3, 1);

        var first = siren.Layers[0].Linear.Weight;
        Assert.True(first.Abs().Max().Item<float>() <= 1.0 / 2);                // U(−1/n, 1/n), n = 2
        foreach (var layer in siren.Layers.Skip(1))
        {
            double c = Math.Sqrt(6.0 / 256) / 30;                                 // U(−√(6/n)/ω₀, √(6/n)/ω₀)
            var w = layer.Linear.Weight;
            Assert.True(w.Abs().Max().Item<float>() <= c);
            Assert.Equal(c / Math.Sqrt(3), w.Std().Item<float>(), c * 0.02);     // std of U(−c, c) = c/√3
            Assert.Equal(0, w.Mean().Item<float>(), c * 0.02);
        }
    }

    [Fact]
    public void ActivationsKeepTheArcsineDistributionAtEveryDepth()
    {
        // Sec. 3.2: with this initialisation every sine layer's output is arcsine-distributed on [−1, 1]
        // (mean 0, variance ½) and ω₀ W x of hidden layers is ≈ standard normal — independently of depth.
        using var scope = NewScope();
        ManualSeed(2);
        using var siren = new Siren(2, 512, hiddenLayers: 6, 1);
        var x = Tensor.Rand(4096, 2) * 2 - 1;

        Tensor[] activations;
        using (NoGrad()) activations = siren.Activations(x);

        foreach (var a in activations)
        {
            // the per-neuron biases (PyTorch's default init, times ω₀) shift single neurons; their average stays near 0
            Assert.Equal(0, a.Mean().Item<float>(), 0.1);
            Assert.Equal(0.5, a.Var().Item<float>(), 0.05);
            // arcsine: P(|a| > cos(π/8)) = 1/4 (mass piles up at ±1, unlike a normal or uniform)
            var tail = (a.Abs() > Math.Cos(Math.PI / 8)).Float().Mean().Item<float>();
            Assert.Equal(0.25, tail, 0.03);
        }
        using (NoGrad())
        {
            var weightOnly = activations[2].Matmul(siren.Layers[3].Linear.Weight.T) * 30.0;   // ω₀ W x without the bias
            Assert.Equal(1.0, weightOnly.Std().Item<float>(), 0.05);
        }
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var siren = new Siren(2, 32, hiddenLayers: 2, 1, dtype: DType.Float64);
        var x = (Tensor.Rand([5, 2], DType.Float64) * 2 - 1).RequiresGrad_();

        var grad = Siren.Gradient(siren.Forward(x), x).Detach();
        const double h = 1e-6;
        using (NoGrad())
            for (int d = 0; d < 2; d++)
            {
                var step = Tensor.Zeros([1, 2], DType.Float64);
                step[0, d] = Tensor.ScalarTensor(h);
                var fd = (siren.Forward(x + step) - siren.Forward(x - step)) / (2 * h);   // [5, 1]
                var diff = (fd.Squeeze(1) - grad.Select(1, d)).Abs().Max().Item<double>();
                Assert.True(diff < 1e-6, $"d/dx{d}: |autograd − finite difference| = {diff:E2}");
            }
    }

    [Fact]
    public void GradientLossTrainsTheWeightsThroughDoubleBackward()
    {
        // A loss on ∇Φ (create_graph) must give the same weight gradient as finite differences of that loss.
        using var scope = NewScope();
        ManualSeed(4);
        using var siren = new Siren(2, 16, hiddenLayers: 1, 1, dtype: DType.Float64);
        var x = (Tensor.Rand([8, 2], DType.Float64) * 2 - 1).RequiresGrad_();
        var w = siren.Layers[1].Linear.Weight;

        double GradientLoss()
        {
            using var s = NewScope();
            return Siren.Gradient(siren.Forward(x), x).Square().Sum().Item<double>();
        }

        var loss = Siren.Gradient(siren.Forward(x), x).Square().Sum();
        var dLossDw = Autograd.Grad(loss, w);
        const double h = 1e-6;
        foreach (var (i, j) in new[] { (0, 0), (3, 7), (15, 2) })
        {
            double original = w[i, j].Item<double>();
            using (NoGrad()) w[i, j] = Tensor.ScalarTensor(original + h);
            double plus = GradientLoss();
            using (NoGrad()) w[i, j] = Tensor.ScalarTensor(original - h);
            double minus = GradientLoss();
            using (NoGrad()) w[i, j] = Tensor.ScalarTensor(original);
            double fd = (plus - minus) / (2 * h), analytic = dLossDw[i, j].Item<double>();
            Assert.True(Math.Abs(fd - analytic) < 1e-5 * Math.Max(1, Math.Abs(fd)), $"w[{i},{j}]: double backward {analytic} vs finite difference {fd}");
        }
    }

    [Fact]
    public void LaplacianOfAQuadraticIsItsTrace()
    {
        // Laplacian is checked on a field with a known answer: y = x₀² + 3 x₁² has Δy = 8 everywhere.
        using var scope = NewScope();
        var x = Tensor.RandN([6, 2], DType.Float64).RequiresGrad_();
        var y = (x.Select(1, 0).Square() + 3.0 * x.Select(1, 1).Square()).Unsqueeze(1);

        var laplacian = Siren.Laplacian(y, x);

        Assert.Equal([6L, 1], laplacian.Shape);
        Assert.True((laplacian - 8.0).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void GridSpansTheSquareRowMajor()
    {
        using var scope = NewScope();
        var grid = Siren.Grid(3, 4).ToArray2D<float>();

        Assert.Equal(12, grid.GetLength(0));
        Assert.Equal((-1f, -1f), (grid[0, 0], grid[0, 1]));
        Assert.Equal((-1f, 1f), (grid[3, 0], grid[3, 1]));     // end of the first row
        Assert.Equal((1f, 1f), (grid[11, 0], grid[11, 1]));
    }
}
