using Research.Models.Hypernetworks;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Hypernetworks;

public class HypernetworkTests
{
    private static readonly FunctionalMlp Primary = new([1, 8, 8, 1]);

    [Fact]
    public void StandardPredictionsAreProportionalToTheInputAtInitialisation()
    {
        // The paper's diagnosis: zero biases and a positively homogeneous activation give h(cγ) = c·h(γ) for c > 0.
        using var scope = NewScope();
        ManualSeed(8);
        using var hyper = new Hypernetwork(1, [32, 32], Primary, HypernetworkParametrization.Standard);
        var gamma = Tensor.Rand(16, 1) * 0.9 + 0.1;

        using (NoGrad())
            foreach (double c in new[] { 0.01, 0.5, 3.0 })
            {
                var scaled = hyper.Forward(gamma * c);
                var expected = hyper.Forward(gamma) * c;
                Assert.True((scaled - expected).Abs().Max().Item<float>() <= 1e-5 * expected.Abs().Max().Item<float>(), $"θ({c}γ) ≠ {c}·θ(γ)");
            }
    }

    [Fact]
    public void MipPredictionsDoNotScaleWithTheInput()
    {
        using var scope = NewScope();
        ManualSeed(9);
        using var hyper = new Hypernetwork(1, [32, 32], Primary, HypernetworkParametrization.MagnitudeInvariant);
        var gamma = Tensor.Linspace(0.01, 1, 50).Reshape(50, 1);

        using (NoGrad())
        {
            var input = hyper.Encode(gamma);
            Assert.True((input.Norm(2, [1]) - 1).Abs().Max().Item<float>() < 1e-6, "h reads a unit-norm input for every γ");
            var theta = hyper.Forward(gamma);
            Assert.True((theta - (hyper.Delta(gamma) + hyper.Theta0!)).Abs().Max().Item<float>() < 1e-6, "θ = θ₀ + h(E(γ))");
            var norms = theta.Norm(2, [1]);
            double ratio = (norms.Max() / norms.Min()).Item<float>();
            Assert.True(ratio < 1.5, $"‖θ(γ)‖ varies by {ratio:F2}× over γ ∈ [0.01, 1] (a standard hypernetwork: 100×)");
        }
    }

    [Fact]
    public void AUnitNormInputPredictsWeightsAtThePrimaryNetworksInitScale()
    {
        // Output-layer init: Var θ_j = σ_j² (the primary's default) when ‖input‖ = 1, per block of θ.
        using var scope = NewScope();
        ManualSeed(10);
        var primary = new FunctionalMlp([4, 64, 1]);
        using var hyper = new Hypernetwork(1, [256, 256], primary, HypernetworkParametrization.Standard);
        var ones = Tensor.Ones(64, 1);
        var std = primary.InitStd();

        Tensor theta;
        using (NoGrad()) theta = hyper.Forward(ones);                  // γ = 1: unit norm
        var (w0, _) = primary.Layer(theta, 0);
        var (w1, _) = primary.Layer(theta, 1);
        var (s0, _) = primary.Layer(std, 0);
        var (s1, _) = primary.Layer(std, 1);
        Assert.Equal(1.0, (w0.Std() / s0.Mean()).Item<float>(), 0.15);
        Assert.Equal(1.0, (w1.Std() / s1.Mean()).Item<float>(), 0.15);
    }

    [Theory]
    [InlineData(HypernetworkParametrization.Standard)]
    [InlineData(HypernetworkParametrization.MagnitudeInvariant)]
    public void GradientsReachTheHypernetworkAsFiniteDifferencesSay(HypernetworkParametrization parametrization)
    {
        using var scope = NewScope();
        ManualSeed(11);
        using var hyper = new Hypernetwork(1, [6, 5], new FunctionalMlp([1, 4, 1]), parametrization, dtype: DType.Float64);
        var gamma = Tensor.Rand([3, 1], DType.Float64);
        var x = Tensor.Rand([3, 7, 1], DType.Float64) * 2 - 1;
        var y = (x * 3.0).Sin();
        double Loss() { using var s = NewScope(); return (hyper.Predict(gamma, x) - y).Square().Mean().Item<double>(); }

        var parameters = hyper.NamedParameters().ToArray();
        Assert.Equal(parametrization == HypernetworkParametrization.MagnitudeInvariant, parameters.Any(p => p.Name == "theta0"));
        var loss = (hyper.Predict(gamma, x) - y).Square().Mean();
        var grads = Autograd.Grad([loss], parameters.Select(p => (Tensor)p.Param).ToArray());
        const double h = 1e-6;
        for (int k = 0; k < parameters.Length; k++)
        {
            var (name, p) = parameters[k];
            Assert.NotNull(grads[k]);
            var grad = grads[k]!.Reshape(-1);
            foreach (long i in new long[] { 0, p.NumEl - 1 })
            {
                double fd = FiniteDifference.Central(p, i, Loss, h), analytic = grad[i].Item<double>();
                Assert.True(Math.Abs(fd - analytic) < 1e-7 * Math.Max(1, Math.Abs(fd)) + 1e-9, $"{name}[{i}]: autograd {analytic} vs finite difference {fd}");
            }
        }
        Assert.All(grads, g => Assert.True(g!.Abs().Sum().Item<double>() > 0, "every parameter receives gradient"));
    }

    [Fact]
    public void MipAddsTheEncodingColumnsAndTheta0()
    {
        using var scope = NewScope();
        using var standard = new Hypernetwork(1, [16], Primary, HypernetworkParametrization.Standard);
        using var mip = new Hypernetwork(1, [16], Primary, HypernetworkParametrization.MagnitudeInvariant);
        using var encodingOnly = new Hypernetwork(1, [16], Primary, HypernetworkParametrization.InputEncoding);

        Assert.Null(standard.Theta0);
        Assert.Equal([Primary.ParameterCount], mip.Theta0!.Shape);
        Assert.Equal(2, mip.Layers[0].InFeatures);
        Assert.Equal(16 + Primary.ParameterCount, mip.ParameterCount() - standard.ParameterCount());     // one more input column, θ₀
        Assert.Equal(16, encodingOnly.ParameterCount() - standard.ParameterCount());
    }

    [Fact]
    public void WrongConditionOrInputShapesAreClearErrors()
    {
        using var scope = NewScope();
        using var hyper = new Hypernetwork(1, [16], Primary, HypernetworkParametrization.MagnitudeInvariant);

        var flatGamma = Assert.Throws<ArgumentException>(() => hyper.Forward(Tensor.Rand(4)));
        Assert.Contains("[batch, 1]", flatGamma.Message);
        Assert.Throws<ArgumentException>(() => hyper.Forward(Tensor.Rand(4, 2)));
        var wrongX = Assert.Throws<ArgumentException>(() => hyper.Predict(Tensor.Rand(4, 1), Tensor.Rand(4, 10, 2)));
        Assert.Contains("[4, 10, 2]", wrongX.Message);
        Assert.Throws<ArgumentException>(() => hyper.Predict(Tensor.Rand(4, 1), Tensor.Rand(3, 10, 1)));
        Assert.Throws<ArgumentException>(() => new Hypernetwork(0, [16], Primary, HypernetworkParametrization.Standard));
        Assert.Throws<ArgumentException>(() => new Hypernetwork(1, [], Primary, HypernetworkParametrization.Standard));
    }
}
