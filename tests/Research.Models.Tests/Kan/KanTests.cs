using Research.Models.Kan;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Kan;

public class KanTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    // The textbook recursion on scalars: B_{j,0}(x) = [t_j ≤ x < t_{j+1}], then Cox–de Boor.
    private static double CoxDeBoor(double[] t, int j, int p, double x)
    {
        if (p == 0) return t[j] <= x && x < t[j + 1] ? 1 : 0;
        double left = (x - t[j]) / (t[j + p] - t[j]) * CoxDeBoor(t, j, p - 1, x);
        double right = (t[j + p + 1] - x) / (t[j + p + 1] - t[j + 1]) * CoxDeBoor(t, j + 1, p - 1, x);
        return left + right;
    }

    private static double Silu(double x) => x / (1 + Math.Exp(-x));

    [Fact]
    public void UniformGridHasGPlusTwoKPlusOneEquallySpacedKnots()
    {
        using var scope = NewScope();
        var grid = BSpline.UniformGrid(Tensor.From(new[] { -1.0, 0.0 }), Tensor.From(new[] { 1.0, 4.0 }), gridSize: 4, order: 3);
        Assert.Equal([2L, 4 + 2 * 3 + 1], grid.Shape);
        var knots = grid.ToArray2D<double>();
        for (int j = 0; j < 11; j++)
        {
            Assert.Equal(-1 + (j - 3) * 0.5, knots[0, j], 12);     // h = 2/4
            Assert.Equal(0 + (j - 3) * 1.0, knots[1, j], 12);      // h = 4/4
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BasisIsANonNegativePartitionOfUnityOnTheGridRange(int order)
    {
        using var scope = NewScope();
        ManualSeed(1);
        var grid = BSpline.UniformGrid(Tensor.From(new[] { -1.0, -3.0, 0.5 }), Tensor.From(new[] { 1.0, 2.0, 0.75 }), gridSize: 7, order);
        var lo = Tensor.From(new[] { -1.0, -3.0, 0.5 });
        var hi = Tensor.From(new[] { 1.0, 2.0, 0.75 });
        var inside = lo + (hi - lo) * Tensor.Rand([500, 3], DType.Float64);
        var ends = Tensor.Stack([lo, hi]);                                            // both ends of the range belong to it
        var x = Tensor.Cat([inside, ends]);

        var basis = BSpline.Basis(x, grid, order);
        Assert.Equal([502L, 3, 7 + order], basis.Shape);
        Assert.True(basis.Min().Item<double>() >= 0);
        Assert.True(MaxAbsDiff(basis.Sum(-1), Tensor.Ones([502, 3], DType.Float64)) < 1e-12);

        var outside = Tensor.From(new[,] { { -10.0, -20.0, -5.0 }, { 10.0, 20.0, 5.0 } });   // beyond the extended knots
        Assert.Equal(0, BSpline.Basis(outside, grid, order).Abs().Max().Item<double>());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void BasisEqualsTheScalarCoxDeBoorRecursion(int order)
    {
        // Also on a non-uniform knot vector: the tensor code does not assume equal spacing.
        using var scope = NewScope();
        double[][] knots =
        [
            [-2.0, -1.4, -1.0, -0.3, 0.0, 0.2, 0.9, 1.0, 1.6, 2.5],
            Enumerable.Range(0, 10).Select(j => -1 + (j - 3) * 0.5).ToArray(),
        ];
        var grid = Tensor.From(new double[,]
        {
            { -2.0, -1.4, -1.0, -0.3, 0.0, 0.2, 0.9, 1.0, 1.6, 2.5 },
            { -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0 },
        });
        var xs = Enumerable.Range(0, 97).Select(i => -2.6 + 5.3 * i / 96).ToArray();
        var x = Tensor.From(xs.SelectMany(v => new[] { v, -v * 0.9 }).ToArray(), xs.Length, 2);

        var basis = BSpline.Basis(x, grid, order).ToArray<double>();                   // [97, 2, 10 − 1 − k]
        int n = 10 - 1 - order;
        for (int s = 0; s < xs.Length; s++)
            for (int c = 0; c < 2; c++)
            {
                double value = c == 0 ? xs[s] : -xs[s] * 0.9;
                for (int j = 0; j < n; j++)
                    Assert.Equal(CoxDeBoor(knots[c], j, order, value), basis[(s * 2 + c) * n + j], 12);
            }
    }

    [Fact]
    public void LayerForwardIsTheSumOverEdgesOfSiluPlusSpline()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var layer = new KanLayer(3, 2, gridSize: 4, dtype: DType.Float64);
        using (NoGrad())
        {
            layer.SplineWeight.Uniform_(0.5, 1.5);
            layer.Coefficients.Normal_(0, 1);
        }
        var x = Tensor.Rand([6, 3], DType.Float64) * 2.4 - 1.2;                       // partly outside [−1, 1]: only silu there

        var y = layer.Forward(x).ToArray2D<double>();
        var edges = layer.EdgeActivations(x);
        Assert.True(MaxAbsDiff(edges.Sum(-1), layer.Forward(x)) < 1e-12);

        var xa = x.ToArray2D<double>();
        var c = layer.Coefficients.ToArray<double>();
        var wb = layer.BaseWeight.ToArray2D<double>();
        var ws = layer.SplineWeight.ToArray2D<double>();
        var t = layer.Grid.ToArray2D<double>();
        for (int b = 0; b < 6; b++)
            for (int o = 0; o < 2; o++)
            {
                double sum = 0;
                for (int i = 0; i < 3; i++)
                {
                    double[] knots = Enumerable.Range(0, t.GetLength(1)).Select(j => t[i, j]).ToArray();
                    double spline = Enumerable.Range(0, 4 + 3).Sum(j => c[(o * 3 + i) * 7 + j] * CoxDeBoor(knots, j, 3, xa[b, i]));
                    sum += wb[o, i] * Silu(xa[b, i]) + ws[o, i] * spline;
                }
                Assert.Equal(sum, y[b, o], 12);
            }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var kan = new KanNetwork([2, 3, 1], gridSize: 5, dtype: DType.Float64);
        using (NoGrad()) foreach (var layer in kan.Layers) layer.Coefficients.Normal_(0, 0.5);
        var x = (Tensor.Rand([8, 2], DType.Float64) * 1.8 - 0.9).RequiresGrad_();
        var parameters = kan.Parameters().Cast<Tensor>().Append(x).ToArray();
        double Loss() { using var s = NewScope(); return kan.Forward(x).Square().Sum().Item<double>(); }

        var grads = Autograd.Grad([kan.Forward(x).Square().Sum()], parameters);
        const double h = 1e-6;
        for (int p = 0; p < parameters.Length; p++)
        {
            var flat = parameters[p].Detach().View(-1);                              // shares storage
            var analytic = grads[p]!.Reshape(-1).ToArray<double>();
            for (long e = 0; e < flat.Size(0); e += Math.Max(1, flat.Size(0) / 9))
            {
                double v = flat[e].Item<double>();
                using (NoGrad()) flat[e].Fill_(v + h);
                double up = Loss();
                using (NoGrad()) flat[e].Fill_(v - h);
                double down = Loss();
                using (NoGrad()) flat[e].Fill_(v);
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[e]) < 1e-6 * Math.Max(1, Math.Abs(numeric)),
                    $"parameter {p}, element {e}: finite difference {numeric}, autograd {analytic[e]}");
            }
        }
    }

    [Fact]
    public void FitRecoversTheCoefficientsOfASplineAndIsRepeatable()
    {
        using var scope = NewScope();
        ManualSeed(9);
        var grid = BSpline.UniformGrid(Tensor.From(new[] { -1.0, 0.0 }), Tensor.From(new[] { 1.0, 3.0 }), gridSize: 6, order: 3);
        var coefficients = Tensor.RandN([2, 2, 9], DType.Float64);                        // [outputs, channels, G + k]
        var x = Tensor.Stack([Tensor.Rand([300], DType.Float64) * 2 - 1, Tensor.Rand([300], DType.Float64) * 3], 1);
        var y = BSpline.Evaluate(x, grid, coefficients, 3);

        var fitted = BSpline.Fit(x, y, grid, 3);
        Assert.True(MaxAbsDiff(fitted, coefficients) < 1e-8);
        var lstsq = Linalg.Lstsq(BSpline.Basis(x, grid, 3).Permute(1, 0, 2), y.Permute(2, 0, 1)).Permute(2, 0, 1);
        Assert.True(MaxAbsDiff(fitted, lstsq) < 1e-8);
        for (int i = 0; i < 5; i++) Assert.True(BSpline.Fit(x, y, grid, 3).Equal(fitted));   // bitwise the same every time

        // A basis function that no sample touches gets a zero coefficient instead of a singular system.
        var left = x.Narrow(0, 0, 300) * 0.3 - 0.7;                                       // channel 0 in [−1, −0.4], channel 1 in [−0.7, 0.2]
        var partial = BSpline.Fit(left, BSpline.Evaluate(left, grid, coefficients, 3), grid, 3);
        Assert.True(partial.IsFinite().All().Item<bool>());
        Assert.Equal(0, partial.Select(1, 0).Narrow(-1, 7, 2).Abs().Max().Item<double>(), 6);
    }

    [Fact]
    public void InPlaceGridUpdateKeepsParametersAndFunction()
    {
        using var scope = NewScope();
        ManualSeed(10);
        using var kan = new KanNetwork([2, 3, 1], gridSize: 5, dtype: DType.Float64);
        using (NoGrad()) foreach (var layer in kan.Layers) layer.Coefficients.Normal_(0, 0.3);
        var x = Tensor.Rand([800, 2], DType.Float64) * 1.6 - 0.8;
        var before = kan.Forward(x);
        var parameters = kan.Parameters().ToArray();

        kan.UpdateGrids(x);

        Assert.Equal(parameters, kan.Parameters().ToArray());                            // the same objects: an optimizer goes on
        Assert.True(MaxAbsDiff(kan.Layers[0].Range.Lo, x.Amin([0])) < 1e-12);
        Assert.True(MaxAbsDiff(kan.Forward(x), before) < 0.05 * before.Abs().Max().Item<double>());
    }

    [Fact]
    public void RefiningAUniformGridByAnIntegerFactorReproducesTheSplineExactly()
    {
        // The coarse knots are fine knots, so the coarse cubic spline lies in the fine spline space on [lo, hi].
        using var scope = NewScope();
        ManualSeed(4);
        using var layer = new KanLayer(2, 3, gridSize: 5, dtype: DType.Float64);
        using (NoGrad()) layer.Coefficients.Normal_(0, 1);
        var samples = Tensor.Rand([400, 2], DType.Float64) * 2 - 1;
        using var fine = layer.Regrid(samples, gridSize: 10);
        Assert.Equal(10, fine.GridSize);
        Assert.Equal([3L, 2, 13], fine.Coefficients.Shape);

        var test = Tensor.Rand([300, 2], DType.Float64) * 2 - 1;
        Assert.True(MaxAbsDiff(fine.EdgeActivations(test), layer.EdgeActivations(test)) < 1e-9);
    }

    [Fact]
    public void RefiningToANonNestedGridApproximatesTheSplineClosely()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var layer = new KanLayer(2, 2, gridSize: 5, dtype: DType.Float64);
        using (NoGrad()) layer.Coefficients.Normal_(0, 1);
        var samples = Tensor.Linspace(-1, 1, 801, DType.Float64).Unsqueeze(1).Repeat(1, 2);
        using var finer = layer.Regrid(samples, gridSize: 17);
        var coarse = layer.EdgeActivations(samples);
        double scale = coarse.Abs().Max().Item<double>();
        Assert.True(MaxAbsDiff(finer.EdgeActivations(samples), coarse) < 0.02 * scale);
        using var same = layer.Regrid(samples, gridSize: 5);                              // the same grid: the identical function
        Assert.True(MaxAbsDiff(same.EdgeActivations(samples), coarse) < 1e-10);
    }

    [Fact]
    public void NetworkRefineWithGridUpdateKeepsTheOutputOnTheSamples()
    {
        // Layer 2's inputs leave [−1, 1]; the grid update moves every grid to its inputs' range. Refining 5 → 10 there
        // keeps the function on the data up to the least-squares error of a nested-ish fit.
        using var scope = NewScope();
        ManualSeed(6);
        using var kan = new KanNetwork([2, 4, 1], gridSize: 5, dtype: DType.Float64);
        using (NoGrad()) foreach (var layer in kan.Layers) layer.Coefficients.Normal_(0, 0.3);
        var x = Tensor.Rand([1000, 2], DType.Float64) * 2 - 1;
        using var moved = kan.Refine(x, gridSize: 5, fitRangeToSamples: true);
        using var refined = moved.Refine(x, gridSize: 10);
        var y = kan.Forward(x);
        double scale = y.Abs().Max().Item<double>();
        Assert.True(MaxAbsDiff(moved.Forward(x), y) < 0.05 * scale);
        Assert.True(MaxAbsDiff(refined.Forward(x), moved.Forward(x)) < 1e-8);             // nested refinement: exact
        var (lo, hi) = moved.Layers[1].Range;
        var trace = kan.Trace(x);
        Assert.True(MaxAbsDiff(lo, trace.Inputs[1].Amin([0])) < 1e-12);
        Assert.True(MaxAbsDiff(hi, trace.Inputs[1].Amax([0])) < 1e-12);
    }

    [Fact]
    public void RegularizationIsL1PlusEntropyOfTheEdgeNorms()
    {
        using var scope = NewScope();
        ManualSeed(7);
        using var kan = new KanNetwork([2, 3, 1], dtype: DType.Float64);
        var x = Tensor.Rand([50, 2], DType.Float64) * 2 - 1;
        var trace = kan.Trace(x);
        Assert.True(MaxAbsDiff(trace.Output, kan.Forward(x)) < 1e-12);

        double expected = 0;
        foreach (var edges in trace.Edges)
        {
            var norms = edges.Abs().Mean(0).Reshape(-1).ToArray<double>();              // |φ|₁ = mean |φ(x_s)|
            double l1 = norms.Sum();
            expected += 0.5 * l1 + 2 * -norms.Sum(n => n / l1 * Math.Log(n / l1));
        }
        Assert.Equal(expected, KanNetwork.Regularization(trace, mu1: 0.5, mu2: 2).Item<double>(), 8);
    }

    [Fact]
    public void PruningDropsDeadHiddenNodesAndKeepsTheFunction()
    {
        using var scope = NewScope();
        ManualSeed(8);
        using var kan = new KanNetwork([2, 4, 1], dtype: DType.Float64);
        using (NoGrad())
        {
            foreach (var layer in kan.Layers) layer.Coefficients.Normal_(0, 0.5);
            kan.Layers[1].BaseWeight.Select(1, 1).Zero_();                              // node 1: nothing goes out
            kan.Layers[1].Coefficients.Select(1, 1).Zero_();
            kan.Layers[0].BaseWeight.Select(0, 3).Zero_();                              // node 3: nothing comes in
            kan.Layers[0].Coefficients.Select(0, 3).Zero_();
            kan.Layers[1].Coefficients.Select(1, 3).Zero_();                            // (and φ(0) = 0 on its way out)
            kan.Layers[1].BaseWeight.Select(1, 3).Fill_(0.7);
        }
        var x = Tensor.Rand([200, 2], DType.Float64) * 2 - 1;
        Assert.Equal([0L, 2], kan.ImportantNodes(x)[0]);

        var (pruned, kept) = kan.Prune(x);
        using var _ = pruned;
        Assert.Equal([0L, 2], kept[0]);
        Assert.Equal([2L, 2, 1], pruned.Widths);
        Assert.True(MaxAbsDiff(pruned.Forward(x), kan.Forward(x)) < 1e-12);
        Assert.Equal(6 * (5 + 3 + 2), pruned.ParameterCount());                  // 6 edges × (G + k coefficients + w^b + w^s)
    }

    [Fact]
    public void InitialisationStartsEveryNodeAsTheSameEvenMixWithSmallSplines()
    {
        using var scope = NewScope();
        ManualSeed(11);
        using var layer = new KanLayer(4, 300, gridSize: 5);
        var wb = layer.BaseWeight;
        Assert.InRange(wb.Min().Item<float>(), 0.5 - 0.1, 0.5);                           // 1/√4 ± 0.1
        Assert.InRange(wb.Max().Item<float>(), 0.5, 0.5 + 0.1);
        Assert.Equal(1, layer.SplineWeight.Min().Item<float>());
        Assert.Equal(1, layer.SplineWeight.Max().Item<float>());
        Assert.Equal(0.1, layer.Coefficients.Std().Item<float>(), 0.005);
    }

    [Fact]
    public void ParametersAreTheCoefficientsAndTwoWeightsPerEdge()
    {
        using var kan = new KanNetwork([2, 5, 1], gridSize: 10);
        Assert.Equal(15 * (10 + 3 + 2), kan.ParameterCount());
        Assert.Equal(["layers.0.coefficients", "layers.0.base_weight", "layers.0.spline_weight"], kan.NamedParameters().Take(3).Select(p => p.Name).ToArray());
        Assert.Equal(["layers.0.grid", "layers.1.grid"], kan.NamedBuffers().Select(b => b.Name).ToArray());
    }

    [Fact]
    public void BadShapesThrowClearExceptions()
    {
        using var scope = NewScope();
        using var layer = new KanLayer(2, 3);
        var wrongWidth = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(4, 3)));
        Assert.Contains("expects input [batch, 2], got [4, 3]", wrongWidth.Message);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => layer.EdgeActivations(Tensor.Zeros(4, 2, 1)));
        Assert.Throws<ArgumentException>(() => layer.Regrid(Tensor.Zeros(4, 5), 10));

        var grid = BSpline.UniformGrid(2, -1, 1, gridSize: 3, order: 3);
        Assert.Contains("[channels = 3, knots]", Assert.Throws<ArgumentException>(() => BSpline.Basis(Tensor.Zeros(5, 3), grid, 3)).Message);
        Assert.Contains("needs at least 5 knots", Assert.Throws<ArgumentException>(() => BSpline.Basis(Tensor.Zeros(5, 2), grid.Narrow(1, 0, 4), 3)).Message);
        Assert.Throws<ArgumentException>(() => BSpline.Evaluate(Tensor.Zeros(5, 2), grid, Tensor.Zeros(1, 2, 4), 3));
        Assert.Throws<ArgumentException>(() => BSpline.UniformGrid(2, 1, 1, 3, 3));

        Assert.Contains("layer 1 reads 4 inputs but layer 0 gives 3",
            Assert.Throws<ArgumentException>(() => new KanNetwork([new KanLayer(2, 3), new KanLayer(4, 1)])).Message);
        Assert.Throws<ArgumentException>(() => new KanNetwork([2L]));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Select([0, 2], [0]));
    }
}
