using Research.Models.WeightSpace;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.WeightSpace;

public class OptimalTransportFusionTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    private static int[] RandomPermutation(Random rng, long n) => Enumerable.Range(0, (int)n).OrderBy(_ => rng.Next()).ToArray();

    [Theory]
    [InlineData(AlignmentSignal.Activations)]
    [InlineData(AlignmentSignal.Weights)]
    public void AligningToAPermutedCopyRecoversThePermutationExactly(AlignmentSignal signal)
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var a = new ReluMlp([8, 32, 24, 16, 5], DType.Float64);
        // Units dead on the whole batch have identical (zero) activations and cannot be told apart (see the next test):
        // lift the hidden biases so that every unit is alive.
        using (NoGrad()) for (int l = 0; l < a.HiddenLayers; l++) a.Layers[l].Bias!.Add_(0.3);
        var x = Tensor.RandN([200, 8], DType.Float64);
        Assert.All(a.HiddenActivations(x), h => Assert.True(h.Sum(0).Min().Item<double>() > 0, "a unit is dead on the batch"));
        var rng = new Random(5);
        var pi = a.Sizes[1..^1].Select(n => RandomPermutation(rng, n)).ToArray();
        using var b = a.Permuted(pi);                                             // unit j of B's layer l is A's unit π_l(j)

        var aligned = OptimalTransportFusion.Align(a, b, signal, x);

        // A's unit i must be matched to the B unit that holds it: π⁻¹(i).
        for (int l = 0; l < pi.Length; l++) Assert.Equal(LinearAssignment.Inverse(pi[l]), aligned[l]);
        using var back = b.Permuted(aligned);
        foreach (var (p, q) in a.Parameters().Zip(back.Parameters())) Assert.Equal(0, MaxAbsDiff(p, q));
        // and fusing A with its permuted copy gives A back, where the plain average does not
        using var fused = OptimalTransportFusion.Fuse(a, b, aligned);
        using var vanilla = ReluMlp.Interpolate(a, b, 0.5);
        Assert.True(MaxAbsDiff(fused.Forward(x), a.Forward(x)) < 1e-12);
        Assert.True(MaxAbsDiff(vanilla.Forward(x), a.Forward(x)) > 1e-2);
    }

    [Fact]
    public void UnitsDeadOnTheBatchAreInterchangeableAndEverythingElseIsRecovered()
    {
        // With PyTorch's initialisation this network has units that never fire on the batch (all-zero activations).
        // Activation alignment can pair them in any order; every live unit is still matched exactly, and the fused
        // network still computes A's function on the batch (averaging two units that are negative there keeps them negative).
        using var scope = NewScope();
        ManualSeed(5);
        using var a = new ReluMlp([8, 32, 24, 16, 5], DType.Float64);
        var x = Tensor.RandN([200, 8], DType.Float64);
        var alive = a.HiddenActivations(x).Select(h => h.Sum(0).Ne(0).Cpu().ToArray<bool>()).ToArray();
        Assert.Contains(alive, layer => layer.Contains(false));                   // the case this test is about
        var rng = new Random(5);
        var pi = a.Sizes[1..^1].Select(n => RandomPermutation(rng, n)).ToArray();
        using var b = a.Permuted(pi);

        var aligned = OptimalTransportFusion.AlignByActivations(a, b, x);
        for (int l = 0; l < pi.Length; l++)
        {
            var expected = LinearAssignment.Inverse(pi[l]);
            for (int i = 0; i < expected.Length; i++)
                if (alive[l][i]) Assert.Equal(expected[i], aligned[l][i]);
                else Assert.False(alive[l][pi[l][aligned[l][i]]], $"dead unit {i} of layer {l} matched to a live one");
        }
        using var fused = OptimalTransportFusion.Fuse(a, b, aligned);
        Assert.True(MaxAbsDiff(fused.Forward(x), a.Forward(x)) < 1e-12);
    }

    [Fact]
    public void AlignedNetworkComputesTheSameFunction()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var a = new ReluMlp([6, 20, 20, 4], DType.Float64);
        using var b = new ReluMlp([6, 20, 20, 4], DType.Float64);
        var x = Tensor.RandN([64, 6], DType.Float64);
        foreach (var signal in new[] { AlignmentSignal.Activations, AlignmentSignal.Weights })
        {
            var permutations = OptimalTransportFusion.Align(a, b, signal, x);
            using var aligned = b.Permuted(permutations);
            Assert.True(MaxAbsDiff(aligned.Forward(x), b.Forward(x)) < 1e-12, signal.ToString());
        }
    }

    [Fact]
    public void ActivationAlignmentIsTheOptimalAssignmentOfTheActivationCost()
    {
        // The alignment of each layer minimises Σ_i ‖h_A,i − h_B,π(i)‖²: no better than identity or random permutations exist.
        using var scope = NewScope();
        ManualSeed(7);
        using var a = new ReluMlp([5, 12, 9, 3], DType.Float64);
        using var b = new ReluMlp([5, 12, 9, 3], DType.Float64);
        var x = Tensor.RandN([40, 5], DType.Float64);
        var permutations = OptimalTransportFusion.AlignByActivations(a, b, x);
        var ha = a.HiddenActivations(x);
        var hb = b.HiddenActivations(x);
        var rng = new Random(7);
        for (int l = 0; l < 2; l++)
        {
            var cost = OptimalTransportFusion.SquaredDistances(ha[l].T, hb[l].T);
            double optimum = LinearAssignment.Total(cost, permutations[l]);
            double direct = Enumerable.Range(0, permutations[l].Length).Sum(i => (ha[l].Select(1, i) - hb[l].Select(1, permutations[l][i])).Square().Sum().Item<double>());
            Assert.Equal(direct, optimum, 9);
            for (int trial = 0; trial < 200; trial++)
                Assert.True(optimum <= LinearAssignment.Total(cost, RandomPermutation(rng, permutations[l].Length)) + 1e-9);
        }
    }

    [Fact]
    public void WeightAlignmentReordersIncomingColumnsByThePreviousLayer()
    {
        // Layer 2's cost is measured after B's inputs are put in A's order: for B = A permuted, the aligned cost is 0.
        using var scope = NewScope();
        ManualSeed(8);
        using var a = new ReluMlp([4, 10, 10, 2], DType.Float64);
        var rng = new Random(8);
        var pi = a.Sizes[1..^1].Select(n => RandomPermutation(rng, n)).ToArray();
        using var b = a.Permuted(pi);
        var aligned = OptimalTransportFusion.AlignByWeights(a, b);
        var w2 = b.Layers[1].Weight.IndexSelect(1, Tensor.From(aligned[0].Select(i => (long)i).ToArray()));
        var za = Tensor.Cat([a.Layers[1].Weight, a.Layers[1].Bias!.Unsqueeze(1)], 1);
        var zb = Tensor.Cat([w2, b.Layers[1].Bias!.Unsqueeze(1)], 1);
        Assert.Equal(0, LinearAssignment.Total(OptimalTransportFusion.SquaredDistances(za, zb), aligned[1]), 12);
    }

    [Fact]
    public void SquaredDistancesMatchTheDefinition()
    {
        using var scope = NewScope();
        ManualSeed(9);
        var za = Tensor.RandN([4, 6], DType.Float64);
        var zb = Tensor.RandN([5, 6]);                                            // float32: computed in float64
        var d = OptimalTransportFusion.SquaredDistances(za, zb);
        Assert.Equal(4, d.GetLength(0));
        Assert.Equal(5, d.GetLength(1));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal((za[i] - zb[j].Double()).Square().Sum().Item<double>(), d[i, j], 10);
    }

    [Fact]
    public void TransportPlanHasUniformMarginals()
    {
        int[] p = [2, 0, 3, 1];
        var plan = OptimalTransportFusion.TransportPlan(p);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(0.25, Enumerable.Range(0, 4).Sum(j => plan[i, j]), 15);
            Assert.Equal(0.25, Enumerable.Range(0, 4).Sum(r => plan[r, i]), 15);
            Assert.Equal(0.25, plan[i, p[i]]);
        }
        Assert.Equal(1.0, OptimalTransportFusion.Agreement(p, p));
        Assert.Equal(0.5, OptimalTransportFusion.Agreement(p, [2, 0, 1, 3]));
    }

    [Fact]
    public void BadInputIsRejectedWithAClearMessage()
    {
        using var a = new ReluMlp([4, 6, 3]);
        using var b = new ReluMlp([4, 7, 3]);
        Assert.Contains("equal sizes", Assert.Throws<ArgumentException>(() => OptimalTransportFusion.AlignByWeights(a, b)).Message);
        Assert.Contains("needs a batch", Assert.Throws<ArgumentException>(() => OptimalTransportFusion.Align(a, a, AlignmentSignal.Activations)).Message);
        Assert.Throws<ArgumentException>(() => OptimalTransportFusion.Fuse(a, a, [[0, 1, 2, 3, 4, 4]]));
        Assert.Throws<ArgumentException>(() => OptimalTransportFusion.TransportPlan([0, 0]));
        using var scope = NewScope();
        Assert.Throws<ArgumentException>(() => OptimalTransportFusion.SquaredDistances(Tensor.Zeros([3, 2]), Tensor.Zeros([3, 4])));
        Assert.Throws<ArgumentException>(() => OptimalTransportFusion.Agreement([0, 1], [0]));
    }
}
