using Research.Models.ImplicitNeural;
using Research.Models.WeightSpace;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.WeightSpace;

public class DeepWeightSpaceTests
{
    // An MLP 2 → 5 → 4 → 3 → 1: three hidden neuron sets and two hidden-to-hidden matrices.
    private static readonly long[] Sizes = [2, 5, 4, 3, 1];

    private static (Tensor[] W, Tensor[] B) RandomMlps(long count, long[] sizes) =>
        (Enumerable.Range(0, sizes.Length - 1).Select(l => Tensor.RandN(count, sizes[l + 1], sizes[l])).ToArray(),
         Enumerable.Range(0, sizes.Length - 1).Select(l => Tensor.RandN(count, sizes[l + 1])).ToArray());

    private static Tensor RandomPermutations(long count, long size) => Tensor.Rand(count, size).ArgSort(-1);

    private static float MaxDifference(Tensor a, Tensor b) => (a - b).Abs().Max().Item<float>();

    [Fact]
    public void FeaturesLayOutEachEntryByTheHiddenSetsThatIndexIt()
    {
        using var scope = NewScope();
        ManualSeed(1);
        var (w, b) = RandomMlps(2, Sizes);
        var x = WeightSpaceFeatures.FromMlp(w, b);
        Assert.Equal([3L, 1, 2], WeightSpaceFeatures.NeuronChannels(Sizes));
        Assert.Equal([2L, 5, 3], x.Neurons[0].Shape);                                   // (W_0 row, b_0) per neuron of n_1
        Assert.Equal(0, MaxDifference(x.Neurons[0].Narrow(-1, 0, 2), w[0]));
        Assert.Equal(0, MaxDifference(x.Neurons[0].Select(-1, 2), b[0]));
        Assert.Equal(0, MaxDifference(x.Neurons[1].Select(-1, 0), b[1]));
        Assert.Equal(0, MaxDifference(x.Neurons[2].Select(-1, 1), w[3].Select(1, 0)));  // outgoing weight to the output
        Assert.Equal([2L, 4, 5, 1], x.Edges[0].Shape);
        Assert.Equal(0, MaxDifference(x.Edges[1].Squeeze(-1), w[2]));
        Assert.Equal(0, MaxDifference(x.Global, b[3]));
    }

    [Fact]
    public void PermutingHiddenNeuronsKeepsTheFunction()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var sirens = SirenBatch.Initialise(3, 2, 6, hiddenLayers: 1, 1);
        var x = Tensor.Rand(40, 2) * 2 - 1;
        using var noGrad = NoGrad();
        var (w, b) = WeightSpaceFeatures.PermuteHidden(sirens.Weights, sirens.Biases, 1, RandomPermutations(3, 6));
        (w, b) = WeightSpaceFeatures.PermuteHidden(w, b, 2, RandomPermutations(3, 6));
        using var permuted = new SirenBatch(w.Select(t => t.Clone()).ToArray(), b.Select(t => t.Clone()).ToArray());
        Assert.True(MaxDifference(permuted.Weights[1], sirens.Weights[1]) > 0.01);
        Assert.Equal(0, MaxDifference(permuted.Forward(x), sirens.Forward(x)), 1e-5);
    }

    [Theory]
    [InlineData(new long[] { 2, 5, 1 })]
    [InlineData(new long[] { 2, 5, 4, 1 })]
    [InlineData(new long[] { 2, 5, 4, 3, 1 })]
    public void DwsLayerCommutesWithHiddenPermutations(long[] sizes)
    {
        using var scope = NewScope();
        ManualSeed(3);
        var (w, b) = RandomMlps(4, sizes);
        using var layer = new DwsLayer(WeightSpaceFeatures.NeuronChannels(sizes), 1, sizes[^1], 6);
        var perms = Enumerable.Range(1, sizes.Length - 2).Select(i => RandomPermutations(4, sizes[i])).ToArray();
        var (pw, pb) = (w, b);
        for (int set = 1; set < sizes.Length - 1; set++) (pw, pb) = WeightSpaceFeatures.PermuteHidden(pw, pb, set, perms[set - 1]);

        using var noGrad = NoGrad();
        var y = layer.Forward(WeightSpaceFeatures.FromMlp(w, b));
        var py = layer.Forward(WeightSpaceFeatures.FromMlp(pw, pb));
        for (int i = 0; i < y.Neurons.Length; i++)                                      // V'_i(π x) = π V'_i(x)
        {
            var index = perms[i].Unsqueeze(-1).Expand(-1, -1, 6);
            Assert.Equal(0, MaxDifference(py.Neurons[i], y.Neurons[i].Gather(1, index)), 1e-5);
        }
        for (int e = 0; e < y.Edges.Length; e++)                                        // rows by π_{e+2}, columns by π_{e+1}
        {
            var rows = perms[e + 1].Unsqueeze(-1).Unsqueeze(-1).Expand(-1, -1, y.Edges[e].Size(2), 6);
            var permutedRows = y.Edges[e].Gather(1, rows);
            var columns = perms[e].Unsqueeze(1).Unsqueeze(-1).Expand(-1, y.Edges[e].Size(1), -1, 6);
            Assert.Equal(0, MaxDifference(py.Edges[e], permutedRows.Gather(2, columns)), 1e-5);
        }
        Assert.Equal(0, MaxDifference(py.Global, y.Global), 1e-5);
    }

    [Fact]
    public void DwsNetIsInvariantToHiddenPermutationsAndSeesTheWeights()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var net = new DwsNet(Sizes, depth: 2, channels: 8, headWidth: 16, outputs: 10);
        var (w, b) = RandomMlps(5, Sizes);
        var (pw, pb) = (w, b);
        for (int set = 1; set < Sizes.Length - 1; set++) (pw, pb) = WeightSpaceFeatures.PermuteHidden(pw, pb, set, RandomPermutations(5, Sizes[set]));
        using var noGrad = NoGrad();
        var y = net.Forward(WeightSpaceFeatures.FromMlp(w, b));
        Assert.Equal([5L, 10], y.Shape);
        Assert.Equal(0, MaxDifference(net.Forward(WeightSpaceFeatures.FromMlp(pw, pb)), y), 1e-5);
        var other = RandomMlps(5, Sizes);
        Assert.True(MaxDifference(net.Forward(WeightSpaceFeatures.FromMlp(other.W, other.B)), y) > 1e-3);
    }
}
