using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class MultiresConvTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    /// <summary>
    /// The definition, element by element in float64: a_0 = x; a_j[c, t] = Σ_i h0[c, i] a_{j−1}[c, t − (k−1−i)2^(j−1)],
    /// b_j likewise with h1 (zero before the start); returns a_J, b_J, …, b_1, x.
    /// </summary>
    private static double[][][][] TreeLoop(double[][][] x, double[,] h0, double[,] h1, int depth, bool dilated = true)
    {
        int batch = x.Length, channels = x[0].Length, time = x[0][0].Length, k = h0.GetLength(1);
        var approximation = x;
        var details = new List<double[][][]>();
        for (int level = 1; level <= depth; level++)
        {
            int d = dilated ? 1 << (level - 1) : 1;
            var a = new double[batch][][];
            var b = new double[batch][][];
            for (int n = 0; n < batch; n++)
            {
                a[n] = new double[channels][];
                b[n] = new double[channels][];
                for (int c = 0; c < channels; c++)
                {
                    a[n][c] = new double[time];
                    b[n][c] = new double[time];
                    for (int t = 0; t < time; t++)
                        for (int i = 0; i < k; i++)
                        {
                            int s = t - (k - 1 - i) * d;
                            if (s < 0) continue;
                            a[n][c][t] += h0[c, i] * approximation[n][c][s];
                            b[n][c][t] += h1[c, i] * approximation[n][c][s];
                        }
                }
            }
            details.Add(b);
            approximation = a;
        }
        details.Reverse();
        return [approximation, .. details, x];
    }

    private static double[][][] ToArray3(Tensor t)
    {
        var flat = t.ToArray<double>();
        long b = t.Size(0), c = t.Size(1), n = t.Size(2);
        return Enumerable.Range(0, (int)b).Select(i => Enumerable.Range(0, (int)c)
            .Select(j => flat.Skip((int)((i * c + j) * n)).Take((int)n).ToArray()).ToArray()).ToArray();
    }

    private static double[,] ToArray2(Tensor t)
    {
        var flat = t.ToArray<double>();
        long rows = t.Size(0), cols = t.Size(2);
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) m[r, c] = flat[r * cols + c];
        return m;
    }

    [Theory]
    [InlineData(2, 4, true)]
    [InlineData(3, 3, true)]
    [InlineData(3, 3, false)]
    public void TreeEqualsItsDefinitionWrittenAsALoop(int kernelSize, int depth, bool dilated)
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var conv = new MultiresConv(3, kernelSize, depth, dilated, DType.Float64);
        var x = Tensor.RandN([2, 3, 37], DType.Float64);
        using var noGrad = NoGrad();
        var expected = TreeLoop(ToArray3(x), ToArray2(conv.H0), ToArray2(conv.H1), depth, dilated);
        var coefficients = conv.Coefficients(x);
        Assert.Equal(depth + 2, coefficients.Length);
        for (int m = 0; m < coefficients.Length; m++)
            Assert.True(MaxAbsDiff(coefficients[m], Tensor.From(expected[m].SelectMany(r => r.SelectMany(c => c)).ToArray(), 2, 3, 37)) < 1e-12,
                $"coefficient {m} differs from the loop");
        // y = Σ_m w[:, m] ⊙ coefficient_m
        var w = conv.W.ToArray<double>();
        var y = ToArray3(conv.Forward(x));
        double worst = 0;
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int t = 0; t < 37; t++)
                {
                    double sum = 0;
                    for (int m = 0; m < depth + 2; m++) sum += w[c * (depth + 2) + m] * expected[m][n][c][t];
                    worst = Math.Max(worst, Math.Abs(sum - y[n][c][t]));
                }
        Assert.True(worst < 1e-12, $"|forward − Σ w ⊙ coefficients| = {worst:E2}");
    }

    [Fact]
    public void HaarLowPassTreeIsTheMovingAverageOverTwoToTheJSteps()
    {
        // h0 = [½, ½] at dilations 1, 2, …, 2^(J−1) averages the last 2^J samples (zeros before the start): the à trous cascade
        using var scope = NewScope();
        using var conv = new MultiresConv(1, 2, 3, dtype: DType.Float64);
        using (NoGrad()) conv.H0.Fill_(0.5);
        var x = Tensor.RandN([1, 1, 30], DType.Float64);
        using var noGrad = NoGrad();
        var a3 = conv.Coefficients(x)[0].ToArray<double>();
        var xs = x.ToArray<double>();
        for (int t = 0; t < 30; t++)
        {
            double mean = Enumerable.Range(t - 7, 8).Where(s => s >= 0).Sum(s => xs[s]) / 8;
            Assert.True(Math.Abs(a3[t] - mean) < 1e-12, $"t = {t}: {a3[t]} vs {mean}");
        }
    }

    [Theory]
    [InlineData(2, 5, true)]
    [InlineData(3, 3, true)]
    [InlineData(2, 5, false)]
    public void CausalConvNeverSeesTheFutureAndReachesItsReceptiveField(int kernelSize, int depth, bool dilated)
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var conv = new MultiresConv(2, kernelSize, depth, dilated, DType.Float64);
        int time = conv.ReceptiveField + 20, t = conv.ReceptiveField + 9;
        var x = Tensor.RandN([1, 2, time], DType.Float64).RequiresGrad_();
        conv.Forward(x).Select(2, t).Sum().Backward();
        var g = x.Grad!.Abs().Sum(dim: 1).Squeeze(0).ToArray<double>();
        for (int s = t + 1; s < time; s++) Assert.Equal(0.0, g[s]);                              // no future
        int earliest = Enumerable.Range(0, time).First(s => g[s] != 0);
        Assert.Equal(conv.ReceptiveField, t - earliest + 1);                                        // exactly the receptive field
        int expected = 1 + (kernelSize - 1) * (dilated ? (1 << depth) - 1 : depth);
        Assert.Equal(expected, conv.ReceptiveField);
    }

    [Fact]
    public void MultiresNetFeaturesAreCausal()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var net = new MultiresNet(1, 6, 2, 10, length: 40, kernelSize: 2, dtype: DType.Float64);
        var x = Tensor.RandN([2, 1, 40], DType.Float64).RequiresGrad_();
        net.Features(x).Select(2, 17).Sum().Backward();
        var g = x.Grad!.Abs().Sum(dim: 1).Sum(dim: 0).ToArray<double>();
        Assert.All(g.Skip(18), v => Assert.Equal(0.0, v));
        Assert.True(g.Take(18).All(v => v > 0));                                                    // and sees all of its past
        Assert.Equal([2L, 10], net.Forward(x).Shape);
    }

    [Fact]
    public void FilterCountIsIndependentOfDepthOnlyTheMixingGrows()
    {
        using var scope = NewScope();
        var counts = new[] { 2, 5, 10 }.Select(depth =>
        {
            using var conv = new MultiresConv(8, 3, depth);
            return (Filters: conv.H0.NumEl + conv.H1.NumEl, Total: conv.ParameterCount(), Depth: depth);
        }).ToArray();
        Assert.All(counts, c => Assert.Equal(2 * 8 * 3, c.Filters));                                // 2·C·k whatever the depth
        Assert.All(counts, c => Assert.Equal(2 * 8 * 3 + 8 * (c.Depth + 2), c.Total));              // + C(J + 2) mixing weights
    }

    [Fact]
    public void DepthForCoversTheSequence()
    {
        Assert.Equal(8, MultiresConv.DepthFor(256, 2));                                             // 1 + (2^8 − 1) = 256
        Assert.Equal(9, MultiresConv.DepthFor(257, 2));
        Assert.Equal(6, MultiresConv.DepthFor(64, 2));
        Assert.Equal(5, MultiresConv.DepthFor(63, 3));                                              // 1 + 2·31 = 63
        Assert.Equal(6, MultiresConv.DepthFor(64, 3));
        Assert.Equal(1, MultiresConv.DepthFor(1, 2));
    }
}
