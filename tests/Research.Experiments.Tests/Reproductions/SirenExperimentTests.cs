using Research.Experiments.Reproductions;
using Research.Models.ImplicitNeural;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class SirenExperimentTests
{
    [Fact]
    public void NetworksHaveParameterCountsWithinTenPercent()
    {
        using var scope = NewScope();
        foreach (var scale in new[] { Scale.Smoke, Scale.Cpu })
        {
            var s = SirenSettings.For(scale);
            using var siren = new Siren(2, s.Width, s.HiddenLayers, 1);
            using var pe = ImageFitting.ReluPeMlp(2, s.Octaves, s.PeWidth, s.HiddenLayers, 1);
            using var relu = ImageFitting.ReluMlp(2, s.Width, s.HiddenLayers, 1);
            Assert.Equal(siren.ParameterCount(), relu.ParameterCount());
            Assert.InRange((double)pe.ParameterCount() / siren.ParameterCount(), 0.9, 1.1);
            Assert.Equal(s.MlpParameters(2, s.Width), siren.ParameterCount());
        }
    }

    [Fact]
    public void FiniteDifferencesAreExactForAQuadraticImage()
    {
        // f(r, c) = r² + 2rc − c on the [−1, 1]² grid: ∇f = (2r + 2c, 2r − 1), Δf = 2, which central differences and the
        // five-point stencil reproduce exactly.
        using var scope = NewScope();
        const int n = 9;
        var grid = Siren.Grid(n, n, DType.Float64);
        var r = grid.Select(1, 0);
        var c = grid.Select(1, 1);
        var image = (r * r + r * c * 2 - c).Reshape(n, n);
        var (gradient, laplacian) = ImageFitting.FiniteDifferences(image);
        Assert.Equal([7L, 7, 2], gradient.Shape);
        var interior = grid.Reshape(n, n, 2).Narrow(0, 1, 7).Narrow(1, 1, 7);
        var (ri, ci) = (interior.Select(-1, 0), interior.Select(-1, 1));
        var expected = Tensor.Stack([ri * 2 + ci * 2, ri * 2 - 1], -1);
        Assert.True((gradient - expected).Abs().Max().Item<double>() < 1e-10);
        Assert.True((laplacian - 2).Abs().Max().Item<double>() < 1e-9);
    }

    [Fact]
    public void DerivativesOfTheNetworkMatchItsFiniteDifferencesOnAFineGrid()
    {
        // the analytic derivatives (double backward) of a smooth network and finite differences of its samples agree
        using var scope = NewScope();
        ManualSeed(3);
        const int n = 129;
        using var siren = new Siren(2, 16, 1, 1, firstOmega0: 3, hiddenOmega0: 3, dtype: DType.Float64);
        var (gradient, laplacian) = ImageFitting.Derivatives(siren, n);
        Tensor samples;
        using (NoGrad()) samples = siren.Forward(Siren.Grid(n, n, DType.Float64)).Reshape(n, n);
        var (fdGradient, fdLaplacian) = ImageFitting.FiniteDifferences(samples);
        Assert.True(ImageFitting.RangePsnr(gradient.Narrow(0, 1, n - 2).Narrow(1, 1, n - 2), fdGradient) > 50);
        Assert.True(ImageFitting.RangePsnr(laplacian.Narrow(0, 1, n - 2).Narrow(1, 1, n - 2), fdLaplacian) > 40);
    }

    [Fact]
    public void RangePsnrUsesTheTargetsRange()
    {
        using var scope = NewScope();
        var target = Tensor.From(new[] { 0.0, 4.0 }, 2);
        var prediction = Tensor.From(new[] { 0.4, 4.0 }, 2);                // MSE 0.08, range 4
        Assert.Equal(10 * Math.Log10(16 / 0.08), ImageFitting.RangePsnr(prediction, target), 10);
    }
}
