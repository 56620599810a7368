using Research.Models.WeightSpace;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.WeightSpace;

public class ReluMlpTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    private static int[] RandomPermutation(Random rng, long n) => Enumerable.Range(0, (int)n).OrderBy(_ => rng.Next()).ToArray();

    [Fact]
    public void ForwardIsTheReluMlpDefinition()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new ReluMlp([5, 7, 6, 3], DType.Float64);
        var x = Tensor.RandN([9, 5], DType.Float64);
        var h1 = (x.Matmul(model.Layers[0].Weight.T) + model.Layers[0].Bias!).Relu();
        var h2 = (h1.Matmul(model.Layers[1].Weight.T) + model.Layers[1].Bias!).Relu();
        var y = h2.Matmul(model.Layers[2].Weight.T) + model.Layers[2].Bias!;
        Assert.True(MaxAbsDiff(model.Forward(x), y) < 1e-12);
        var hidden = model.HiddenActivations(x);
        Assert.Equal(2, hidden.Length);
        Assert.True(MaxAbsDiff(hidden[0], h1) < 1e-12);
        Assert.True(MaxAbsDiff(hidden[1], h2) < 1e-12);
        Assert.Equal(2, model.HiddenLayers);
        Assert.Equal(6, model.Parameters().Count());
    }

    [Fact]
    public void PermutingHiddenUnitsLeavesTheFunctionUnchanged()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new ReluMlp([6, 16, 12, 8, 4], DType.Float64);
        var rng = new Random(2);
        var permutations = model.Sizes[1..^1].Select(n => RandomPermutation(rng, n)).ToArray();
        using var permuted = model.Permuted(permutations);
        var x = Tensor.RandN([50, 6], DType.Float64) * 2.0;

        Assert.True(MaxAbsDiff(model.Forward(x), permuted.Forward(x)) < 1e-12);
        // ... while the weights really moved, and each hidden layer's units are the old ones reordered
        Assert.True(MaxAbsDiff(model.Layers[1].Weight, permuted.Layers[1].Weight) > 1e-2);
        var before = model.HiddenActivations(x);
        var after = permuted.HiddenActivations(x);
        for (int l = 0; l < before.Length; l++)
            for (int i = 0; i < permutations[l].Length; i++)
                Assert.True(MaxAbsDiff(after[l].Select(1, i), before[l].Select(1, permutations[l][i])) < 1e-12, $"layer {l} unit {i}");
    }

    [Fact]
    public void InverseOfAPermutationRestoresTheWeightsExactly()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new ReluMlp([4, 10, 10, 3], DType.Float64);
        var rng = new Random(3);
        var permutations = model.Sizes[1..^1].Select(n => RandomPermutation(rng, n)).ToArray();
        using var permuted = model.Permuted(permutations);
        using var restored = permuted.Permuted(permutations.Select(LinearAssignment.Inverse).ToArray());
        foreach (var (p, q) in model.Parameters().Zip(restored.Parameters())) Assert.Equal(0, MaxAbsDiff(p, q));
    }

    [Fact]
    public void InterpolationIsTheParameterwiseLine()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var a = new ReluMlp([3, 5, 2], DType.Float64);
        using var b = new ReluMlp([3, 5, 2], DType.Float64);
        using var at0 = ReluMlp.Interpolate(a, b, 0);
        using var at1 = ReluMlp.Interpolate(a, b, 1);
        using var mid = ReluMlp.Interpolate(a, b, 0.25);
        foreach (var (((pa, pb), p0), (p1, pm)) in a.Parameters().Zip(b.Parameters()).Zip(at0.Parameters()).Zip(at1.Parameters().Zip(mid.Parameters())))
        {
            Assert.True(MaxAbsDiff(p0, pa) < 1e-15);
            Assert.True(MaxAbsDiff(p1, pb) < 1e-15);
            Assert.True(MaxAbsDiff(pm, 0.75 * pa + 0.25 * pb) < 1e-15);
        }
        Assert.Equal(DType.Float64, mid.Layers[0].Weight.DType);
    }

    [Fact]
    public void BadInputIsRejectedWithAClearMessage()
    {
        Assert.Throws<ArgumentException>(() => new ReluMlp([4]));
        Assert.Throws<ArgumentException>(() => new ReluMlp([4, 0, 2]));
        using var model = new ReluMlp([4, 3, 5, 2]);
        Assert.Contains("one permutation per hidden layer", Assert.Throws<ArgumentException>(() => model.Permuted([[0, 1, 2]])).Message);
        Assert.Contains("has 5 units", Assert.Throws<ArgumentException>(() => model.Permuted([[0, 1, 2], [0, 1, 2]])).Message);
        Assert.Contains("not a permutation", Assert.Throws<ArgumentException>(() => model.Permuted([[0, 1, 1], [0, 1, 2, 3, 4]])).Message);
        using var other = new ReluMlp([4, 3, 6, 2]);
        Assert.Contains("different sizes", Assert.Throws<ArgumentException>(() => ReluMlp.Interpolate(model, other, 0.5)).Message);
        Assert.Throws<ArgumentException>(() => ReluMlp.Interpolate(model, model, double.NaN));
    }
}
