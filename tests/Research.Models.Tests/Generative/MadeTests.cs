using Research.Models.Generative;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Generative;

public class MadeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void LogitIDependsOnlyOnEarlierInputs(int hiddenLayers)
    {
        // autograd: ∂ logit_i / ∂ x_j must vanish for j ≥ i, and for every j < i it must not vanish on some of 16 random inputs
        // (the masks keep all earlier inputs; a ReLU may switch a path off for one input)
        using var scope = NewScope();
        ManualSeed(3);
        const int D = 12;
        using var made = new Made(D, 120, hiddenLayers, dtype: DType.Float64);
        var x = Tensor.RandN([16, D], DType.Float64, requiresGrad: true);
        var logits = made.Forward(x);
        for (int i = 0; i < D; i++)
        {
            var g = Autograd.Grad([logits[.., i].Sum()], [x], retainGraph: true, allowUnused: true)[0];
            var row = g is null ? new double[D] : g.Abs().Sum(0).ToArray<double>();
            for (int j = i; j < D; j++) Assert.True(row[j] == 0, $"logit {i} depends on input {j}: {row[j]}");
            for (int j = 0; j < i; j++) Assert.True(row[j] != 0, $"logit {i} ignores earlier input {j}");
        }
    }

    [Fact]
    public void MasksFollowTheDegreeRule()
    {
        using var scope = NewScope();
        using var made = new Made(5, 8, 2);
        var first = made.Mask(0).ToArray<float>();          // [8, 5]: hidden degree k % 4 + 1 ≥ input degree i + 1
        for (int k = 0; k < 8; k++)
            for (int i = 0; i < 5; i++)
                Assert.Equal(k % 4 + 1 >= i + 1 ? 1f : 0f, first[k * 5 + i]);
        var last = made.Mask(2).ToArray<float>();           // [5, 8]: output degree i + 1 > hidden degree
        for (int i = 0; i < 5; i++)
            for (int k = 0; k < 8; k++)
                Assert.Equal(i + 1 > k % 4 + 1 ? 1f : 0f, last[i * 8 + k]);
        Assert.Equal(0f, last.Take(8).Sum());                // the first output is a constant (bias only)
    }

    [Fact]
    public void NegativeLogLikelihoodIsTheSumOfBernoulliTerms()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var made = new Made(6, 16, 1, dtype: DType.Float64);
        var x = (Tensor.Rand([3, 6], DType.Float64) < 0.5).To(DType.Float64);
        var p = made.Forward(x).Sigmoid();
        double expected = -(x * p.Log() + (1 - x) * (1 - p).Log()).Sum().Item<double>() / 3;
        Assert.Equal(expected, made.NegativeLogLikelihood(x).Item<double>(), 10);
    }
}
