using Research.Models.Vision;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Vision;

public class WaveMixBlockTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void PreservesTheShapeAndMixesAtHalfResolution()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var block = new WaveMixBlock(16, mlpRatio: 2);
        var x = Tensor.RandN(3, 16, 12, 10);
        Assert.Equal([3L, 16, 12, 10], block.Forward(x).Shape);
        Assert.Equal([3L, 16, 6, 5], block.SubBands(x).Shape);          // C/4 reduced channels × 4 bands, half resolution
        Assert.Equal(4, block.Dwt.Channels);
    }

    [Fact]
    public void ForwardIsReduceDwtMlpUpsampleNormPlusResidual()
    {
        // The same computation written out with the Haar transform as four strided slices instead of a convolution.
        using var scope = NewScope();
        ManualSeed(2);
        using var block = new WaveMixBlock(8, mlpRatio: 3, dtype: DType.Float64);
        var x = Tensor.RandN([2, 8, 6, 4], DType.Float64);
        var r = F.Conv2d(x, block.Reduce.Weight, block.Reduce.Bias);                               // [2, 2, 6, 4]
        var rr = r.View(2, 2, 3, 2, 2, 2);                                                           // [b, c, i, di, j, dj]
        Tensor At(int di, int dj) => rr.Select(5, dj).Select(3, di);                                 // [2, 2, 3, 2]
        var (a, b, c, d) = (At(0, 0), At(0, 1), At(1, 0), At(1, 1));
        var bands = Tensor.Stack([(a + b + c + d) / 2, (a + b - c - d) / 2, (a - b + c - d) / 2, (a - b - c + d) / 2], 2).Reshape(2, 8, 3, 2);
        var h = F.Conv2d(F.Conv2d(bands, block.Mlp1.Weight, block.Mlp1.Bias).Gelu(), block.Mlp2.Weight, block.Mlp2.Bias);
        var u = F.ConvTranspose2d(h, block.Up.Weight, block.Up.Bias, stride: 2, padding: 1);
        var mean = u.Mean([0L, 2L, 3L], keepDim: true);
        var variance = (u - mean).Square().Mean([0L, 2L, 3L], keepDim: true);                      // batch statistics (training mode)
        var expected = x + (u - mean) / (variance + block.Norm.Eps).Sqrt() * block.Norm.Weight!.View(1, 8, 1, 1) + block.Norm.Bias!.View(1, 8, 1, 1);
        Assert.True(MaxAbsDiff(block.Forward(x), expected) < 1e-12);
    }

    [Fact]
    public void WithTheNormSilencedTheBlockIsTheIdentity()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var block = new WaveMixBlock(8);
        using (NoGrad())
        {
            block.Norm.Weight!.Zero_();
            block.Norm.Bias!.Zero_();
        }
        var x = Tensor.RandN(2, 8, 4, 4);
        Assert.Equal(0, MaxAbsDiff(block.Forward(x), x));
    }

    [Fact]
    public void EachOutputSeesAFourByFourWindow()
    {
        // 1×1 reduce → aligned 2×2 Haar blocks → 1×1 MLP → transposed conv (kernel 4, stride 2, padding 1): output row i
        // reads input rows i−2 … i+1 (i even) or i−1 … i+2 (i odd), and the same for columns.
        using var scope = NewScope();
        ManualSeed(4);
        using var block = new WaveMixBlock(8, dtype: DType.Float64);
        block.Eval();                                                                                // per-channel affine norm: no coupling through batch statistics
        var x = Tensor.RandN([1, 8, 10, 10], DType.Float64).RequiresGrad_();
        foreach (var (i, j) in new[] { (4, 5), (3, 6), (0, 0), (9, 9) })
        {
            var grad = Autograd.Grad(block.Forward(x).Select(2, i).Select(2, j).Sum(), x).Abs().Sum(1).Squeeze(0);   // [10, 10]
            var support = grad.ToArray2D<double>();
            int lowI = i % 2 == 0 ? i - 2 : i - 1, lowJ = j % 2 == 0 ? j - 2 : j - 1;
            for (int p = 0; p < 10; p++)
                for (int q = 0; q < 10; q++)
                {
                    bool inside = p >= lowI && p < lowI + 4 && q >= lowJ && q < lowJ + 4;
                    Assert.True(inside == (support[p, q] != 0), $"output ({i}, {j}), input ({p}, {q}): gradient {support[p, q]}");
                }
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var block = new WaveMixBlock(4, mlpRatio: 2, dtype: DType.Float64);
        var x = Tensor.RandN([2, 4, 4, 4], DType.Float64).RequiresGrad_();
        var g = Tensor.RandN([2, 4, 4, 4], DType.Float64);
        double Loss() { using var s = NewScope(); using var ng = NoGrad(); return (block.Forward(x) * g).Sum().Item<double>(); }
        var parameters = new Tensor[] { x, block.Reduce.Weight, block.Mlp1.Weight, block.Up.Weight, block.Norm.Weight! };
        var grads = Autograd.Grad([(block.Forward(x) * g).Sum()], parameters);
        const double eps = 1e-6;
        var random = new Random(0);
        for (int k = 0; k < parameters.Length; k++)
        {
            var flat = parameters[k].View(-1);
            var grad = grads[k]!.Reshape(-1).ToArray<double>();
            for (int trial = 0; trial < 4; trial++)
            {
                int e = random.Next(grad.Length);
                double original = flat[e].Item<double>();
                using (NoGrad()) flat[e].Fill_(original + eps);
                double plus = Loss();
                using (NoGrad()) flat[e].Fill_(original - eps);
                double minus = Loss();
                using (NoGrad()) flat[e].Fill_(original);
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - grad[e]) < 1e-6 * Math.Max(1, Math.Abs(numeric)), $"parameter {k}, entry {e}: autograd {grad[e]}, finite difference {numeric}");
            }
        }
    }

    [Fact]
    public void EveryParameterGetsAGradient()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var block = new WaveMixBlock(8);
        block.Forward(Tensor.RandN(2, 8, 8, 8)).Square().Mean().Backward();
        foreach (var (name, p) in block.NamedParameters())
            Assert.True(p.Grad is { } grad && grad.Abs().Sum().Item<float>() > 0, $"{name} has no gradient");
    }

    [Fact]
    public void ParameterCountFollowsTheLayers()
    {
        using var block = new WaveMixBlock(32, mlpRatio: 2);
        long c = 32;
        long expected = (c * c / 4 + c / 4) + (c * 2 * c + 2 * c) + (2 * c * c + c) + (c * c * 16 + c) + 2 * c;
        Assert.Equal(expected, block.ParameterCount());
    }

    [Fact]
    public void BadShapesAreRejectedWithClearMessages()
    {
        using var scope = NewScope();
        using var block = new WaveMixBlock(8);
        var odd = Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Zeros(1, 8, 9, 8)));
        Assert.Contains("even", odd.Message);
        Assert.Contains("[1, 8, 9, 8]", odd.Message);
        Assert.Contains("[batch, 8, height, width]", Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Zeros(1, 4, 8, 8))).Message);
        Assert.Contains("multiple of 4", Assert.Throws<ArgumentException>(() => new WaveMixBlock(6)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WaveMixBlock(8, mlpRatio: 0));
    }
}
