using Research.Models.Hypernetworks;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Hypernetworks;

public class MagnitudeInvariantEncodingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EveryInputHasTheSameNorm(int k)
    {
        using var scope = NewScope();
        ManualSeed(7);
        var gamma = Tensor.Cat([Tensor.Rand(64, k), Tensor.Zeros(1, k), Tensor.Ones(1, k)], 0);   // includes both ends of [0, 1]

        var encoded = MagnitudeInvariantEncoding.Encode(gamma);

        Assert.Equal([66L, 2 * k], encoded.Shape);
        var norms = encoded.Norm(2, [1]);
        Assert.True((norms - Math.Sqrt(k)).Abs().Max().Item<float>() < 1e-6, "‖E(γ)‖ must be √k for every γ");
        var rawNorms = gamma.Norm(2, [1]);
        Assert.True((rawNorms.Max() - rawNorms.Min()).Item<float>() > 0.5, "the raw inputs do vary in norm");
    }

    [Fact]
    public void PairsAreCosineAndSineOfAQuarterTurnAndLoseNothing()
    {
        using var scope = NewScope();
        var gamma = Tensor.From(new[] { 0f, 0.25f, 0.5f, 1f, 0.1f, 0.9f }, 3, 2);

        var e = MagnitudeInvariantEncoding.Encode(gamma).ToArray2D<float>();     // [3, 4]: (cos, sin) of γ₁, then of γ₂
        var g = gamma.ToArray2D<float>();

        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 2; c++)
            {
                Assert.Equal(Math.Cos(Math.PI / 2 * g[r, c]), e[r, 2 * c], 1e-6);
                Assert.Equal(Math.Sin(Math.PI / 2 * g[r, c]), e[r, 2 * c + 1], 1e-6);
                Assert.Equal(g[r, c], Math.Atan2(e[r, 2 * c + 1], e[r, 2 * c]) * 2 / Math.PI, 1e-6);   // γ is recoverable
            }
    }

    [Fact]
    public void AScalarOrAnEmptyConditionIsAClearError()
    {
        using var scope = NewScope();
        var scalar = Assert.Throws<ArgumentException>(() => MagnitudeInvariantEncoding.Encode(Tensor.ScalarTensor(0.5f)));
        Assert.Contains("[..., k]", scalar.Message);
        Assert.Throws<ArgumentException>(() => MagnitudeInvariantEncoding.Encode(Tensor.Zeros(4, 0)));
    }
}
