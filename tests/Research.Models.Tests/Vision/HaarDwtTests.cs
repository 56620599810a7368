using Research.Models.Vision;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Vision;

public class HaarDwtTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    /// <summary>The Haar coefficients by their definition, one 2×2 block [a b; c d] at a time: [batch, 4C, H/2, W/2], channel 4c + band.</summary>
    private static double[,,,] Definition(double[,,,] x)
    {
        int n = x.GetLength(0), channels = x.GetLength(1), h = x.GetLength(2) / 2, w = x.GetLength(3) / 2;
        var y = new double[n, 4 * channels, h, w];
        for (int b = 0; b < n; b++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                    {
                        double a = x[b, c, 2 * i, 2 * j], bb = x[b, c, 2 * i, 2 * j + 1], cc = x[b, c, 2 * i + 1, 2 * j], d = x[b, c, 2 * i + 1, 2 * j + 1];
                        y[b, 4 * c + 0, i, j] = (a + bb + cc + d) / 2;      // LL
                        y[b, 4 * c + 1, i, j] = (a + bb - cc - d) / 2;      // LH: top − bottom
                        y[b, 4 * c + 2, i, j] = (a - bb + cc - d) / 2;      // HL: left − right
                        y[b, 4 * c + 3, i, j] = (a - bb - cc + d) / 2;      // HH
                    }
        return y;
    }

    private static double[,,,] ToArray4(Tensor t)
    {
        var flat = t.Double().ToArray<double>();
        var s = t.Shape;
        var result = new double[s[0], s[1], s[2], s[3]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    [Fact]
    public void ForwardEqualsTheBlockwiseDefinition()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var dwt = new HaarDwt(3, DType.Float64);
        var x = Tensor.RandN([2, 3, 6, 8], DType.Float64);
        var y = dwt.Forward(x);
        Assert.Equal([2L, 12, 3, 4], y.Shape);
        var expected = Definition(ToArray4(x));
        var actual = ToArray4(y);
        double worst = 0;
        foreach (var (e, a) in expected.Cast<double>().Zip(actual.Cast<double>())) worst = Math.Max(worst, Math.Abs(e - a));
        Assert.True(worst < 1e-14, $"max deviation from the definition {worst}");
    }

    [Fact]
    public void SubBandPicksOneBandOfEveryChannel()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var dwt = new HaarDwt(2, DType.Float64);
        var x = Tensor.RandN([1, 2, 4, 4], DType.Float64);
        var y = dwt.Forward(x);
        var expected = Definition(ToArray4(x));
        foreach (var band in Enum.GetValues<HaarBand>())
        {
            var b = HaarDwt.SubBand(y, band);
            Assert.Equal([1L, 2, 2, 2], b.Shape);
            var values = ToArray4(b.Contiguous());
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++)
                        Assert.Equal(expected[0, 4 * c + (int)band, i, j], values[0, c, i, j], 14);
        }
    }

    [Fact]
    public void BandsRespondToTheirEdgeOrientation()
    {
        // A horizontal edge inside the 2×2 blocks of row pair (2, 3) shows only in LH; a vertical one only in HL;
        // a checkerboard only in HH; a constant image only in LL.
        using var scope = NewScope();
        using var dwt = new HaarDwt(1, DType.Float64);
        double Energy(Tensor image, HaarBand band)
        {
            var y = dwt.Forward(image.View(1, 1, 8, 8));
            return HaarDwt.SubBand(y, band).Square().Sum().Item<double>();
        }
        var rows = Tensor.Arange(8, DType.Float64).View(8, 1).Expand(8, 8);
        var cols = Tensor.Arange(8, DType.Float64).View(1, 8).Expand(8, 8);
        var horizontal = (rows > 2.5).Double();                 // rows 0–2 dark, 3–7 bright
        var vertical = (cols > 4.5).Double();                   // columns 5–7 bright
        var checker = (rows + cols).Fmod(2.0);
        var constant = Tensor.Ones([8, 8], DType.Float64);
        foreach (var (image, only) in new[] { (horizontal, HaarBand.LH), (vertical, HaarBand.HL), (checker, HaarBand.HH) })
        {
            Assert.True(Energy(image, only) > 0.1, $"{only}");
            foreach (var band in new[] { HaarBand.LH, HaarBand.HL, HaarBand.HH }.Where(b => b != only))
                Assert.Equal(0, Energy(image, band), 14);
        }
        foreach (var band in new[] { HaarBand.LH, HaarBand.HL, HaarBand.HH }) Assert.Equal(0, Energy(constant, band), 14);
        Assert.Equal(64, Energy(constant, HaarBand.LL), 12);  // LL = 2 in 16 places: Σ LL² = Σ x²
    }

    [Fact]
    public void InverseReconstructsExactlyBothWays()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var dwt = new HaarDwt(4, DType.Float64);
        var x = Tensor.RandN([3, 4, 10, 6], DType.Float64);
        Assert.True(MaxAbsDiff(dwt.Inverse(dwt.Forward(x)), x) < 1e-14);
        var y = Tensor.RandN([3, 16, 5, 3], DType.Float64);     // any coefficients come from some image
        Assert.True(MaxAbsDiff(dwt.Forward(dwt.Inverse(y)), y) < 1e-14);
    }

    [Fact]
    public void TransformPreservesEnergyAndInnerProducts()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var dwt = new HaarDwt(2, DType.Float64);
        var x = Tensor.RandN([2, 2, 8, 8], DType.Float64);
        var z = Tensor.RandN([2, 2, 8, 8], DType.Float64);
        Assert.Equal(x.Square().Sum().Item<double>(), dwt.Forward(x).Square().Sum().Item<double>(), 10);
        Assert.Equal((x * z).Sum().Item<double>(), (dwt.Forward(x) * dwt.Forward(z)).Sum().Item<double>(), 10);
    }

    [Fact]
    public void FiltersAreAnOrthonormalBasisOfTwoByTwoBlocks()
    {
        using var scope = NewScope();
        var filters = HaarDwt.Filters(3, DType.Float64);
        Assert.Equal([12L, 1, 2, 2], filters.Shape);
        for (int c = 0; c < 3; c++)
        {
            var basis = filters.Narrow(0, 4 * c, 4).Reshape(4, 4);    // one row per band
            Assert.True(MaxAbsDiff(basis.Matmul(basis.T), Tensor.Eye(4, dtype: DType.Float64)) < 1e-15);
        }
    }

    [Fact]
    public void SecondLevelLowBandIsTheFourByFourBlockSumOverFour()
    {
        // Applying the layer again to LL gives the multi-level transform: LL₂ = Σ of a 4×4 block / 4.
        using var scope = NewScope();
        ManualSeed(5);
        using var dwt = new HaarDwt(1, DType.Float64);
        var x = Tensor.RandN([1, 1, 8, 8], DType.Float64);
        var ll2 = HaarDwt.SubBand(dwt.Forward(HaarDwt.SubBand(dwt.Forward(x), HaarBand.LL).Contiguous()), HaarBand.LL);
        var blocks = x.View(1, 1, 2, 4, 2, 4).Sum([3L, 5L]) / 4.0;
        Assert.True(MaxAbsDiff(ll2, blocks) < 1e-14);
    }

    [Fact]
    public void GradientIsTheInverseTransformOfTheUpstreamGradient()
    {
        // The transform is linear and orthogonal, so ∂⟨g, DWT(x)⟩/∂x = DWTᵀ g = Inverse(g).
        using var scope = NewScope();
        ManualSeed(6);
        using var dwt = new HaarDwt(2, DType.Float64);
        var x = Tensor.RandN([2, 2, 4, 6], DType.Float64).RequiresGrad_();
        var g = Tensor.RandN([2, 8, 2, 3], DType.Float64);
        var grad = Autograd.Grad((dwt.Forward(x) * g).Sum(), x);
        Assert.True(MaxAbsDiff(grad, dwt.Inverse(g)) < 1e-14);
    }

    [Fact]
    public void HasNoParametersAndMovesWithTheModule()
    {
        using var dwt = new HaarDwt(5);
        Assert.Equal(0, dwt.ParameterCount());
        Assert.Empty(dwt.StateDict());                             // a non-persistent buffer: nothing to save or load
        Assert.Equal(DType.Float32, dwt.Weight.DType);
        dwt.Double();
        Assert.Equal(DType.Float64, dwt.Weight.DType);
    }

    [Fact]
    public void BadShapesAreRejectedWithClearMessages()
    {
        using var scope = NewScope();
        using var dwt = new HaarDwt(2);
        var odd = Assert.Throws<ArgumentException>(() => dwt.Forward(Tensor.Zeros(1, 2, 7, 8)));
        Assert.Contains("even", odd.Message);
        Assert.Contains("[1, 2, 7, 8]", odd.Message);
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => dwt.Forward(Tensor.Zeros(1, 2, 8, 5))).Message);
        Assert.Contains("[batch, 2, height, width]", Assert.Throws<ArgumentException>(() => dwt.Forward(Tensor.Zeros(1, 3, 8, 8))).Message);
        Assert.Throws<ArgumentException>(() => dwt.Forward(Tensor.Zeros(2, 8, 8)));
        Assert.Contains("[batch, 8, height/2, width/2]", Assert.Throws<ArgumentException>(() => dwt.Inverse(Tensor.Zeros(1, 4, 4, 4))).Message);
        Assert.Throws<ArgumentException>(() => HaarDwt.SubBand(Tensor.Zeros(1, 6, 4, 4), HaarBand.LL));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HaarDwt(0));
    }
}
