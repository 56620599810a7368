using Research.Models.Compression;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Compression;

public class MagnitudePrunerTests
{
    // 13 → 7 → 5 in float64; the second layer's weights scaled so that a global ranking treats the layers differently.
    private sealed class TwoLayer : Module<Tensor, Tensor>
    {
        public readonly Linear First;
        public readonly Linear Second;

        public TwoLayer(double secondScale = 1)
        {
            First = new Linear(13, 7, dtype: DType.Float64);
            Second = new Linear(7, 5, dtype: DType.Float64);
            using (NoGrad()) Second.Weight.Mul_(secondScale);
        }

        public override Tensor Forward(Tensor x) => Second.Forward(First.Forward(x).Relu());
    }

    // A module whose pruned parameters live in a list field of its own (names "weights.0", "weights.1").
    private sealed class ListOfWeights : Module<Tensor, Tensor>
    {
        public readonly Parameter[] Weights;

        public ListOfWeights()
        {
            using var scope = NewScope();
            Weights = [new Parameter(Tensor.RandN([4, 6], DType.Float64)), new Parameter(Tensor.RandN([6, 3], DType.Float64))];
        }

        public override Tensor Forward(Tensor x) => x.Matmul(Weights[0]).Matmul(Weights[1]);
    }

    private static double[] Values(Tensor t)
    {
        using var scope = NewScope();
        return t.Detach().Double().Contiguous().ToArray<double>();
    }

    private static HashSet<int> PrunedIndices(PrunedParameter layer) =>
        Values(layer.Mask).Select((m, i) => (m, i)).Where(p => p.m == 0).Select(p => p.i).ToHashSet();

    // The indices of the `count` smallest magnitudes, by a plain sort (the magnitudes of random weights have no ties).
    private static HashSet<int> SmallestIndices(double[] w, long count) =>
        w.Select((v, i) => (Magnitude: Math.Abs(v), Index: i)).OrderBy(p => p.Magnitude).Take((int)count).Select(p => p.Index).ToHashSet();

    private static void TrainSteps(TwoLayer model, Optimizer optimizer, MagnitudePruner? pruner, int steps, Action? afterStep = null)
    {
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewScope();
            var x = Tensor.RandN([16, 13], DType.Float64);
            var loss = (model.Forward(x) - x.Narrow(1, 0, 5)).Square().Mean();
            optimizer.ZeroGrad();
            loss.Backward();
            if (pruner is null) optimizer.Step();
            else pruner.Step(optimizer);
            afterStep?.Invoke();
        }
    }

    [Theory]
    [InlineData(0.7)]
    [InlineData(0.5)]
    [InlineData(0.05)]
    public void PerLayerPruningZeroesExactlyTheSmallestMagnitudesOfEachLayer(double sparsity)
    {
        ManualSeed(1);
        using var model = new TwoLayer();
        var pruner = new MagnitudePruner(model);
        var before = pruner.Layers.Select(l => Values(l.Parameter)).ToArray();

        pruner.Prune(sparsity);

        for (int i = 0; i < pruner.Layers.Count; i++)
        {
            var layer = pruner.Layers[i];
            long target = (long)Math.Round(sparsity * layer.Count, MidpointRounding.AwayFromZero);
            var expected = SmallestIndices(before[i], target);
            Assert.Equal(expected, PrunedIndices(layer));
            Assert.Equal(target, layer.Pruned);
            var after = Values(layer.Parameter);
            for (int j = 0; j < after.Length; j++)
                Assert.Equal(expected.Contains(j) ? 0 : before[i][j], after[j]);                   // pruned → 0, kept untouched
            Assert.All(Values(layer.Mask), m => Assert.True(m is 0 or 1));
        }
    }

    [Fact]
    public void GlobalPruningRanksAllLayersTogether()
    {
        ManualSeed(2);
        using var model = new TwoLayer(secondScale: 0.2);
        var pruner = new MagnitudePruner(model, PruningScope.Global);
        var all = pruner.Layers.SelectMany(l => Values(l.Parameter)).ToArray();
        long total = all.Length, target = MagnitudePruner.PrunedCount(0.6, total);

        pruner.Prune(0.6);

        var expected = SmallestIndices(all, target);
        var pruned = new HashSet<int>();
        int offset = 0;
        foreach (var layer in pruner.Layers)
        {
            foreach (var j in PrunedIndices(layer)) pruned.Add(offset + j);
            offset += (int)layer.Count;
        }
        Assert.Equal(expected, pruned);
        Assert.Equal(target, pruner.Pruned);
        Assert.True(pruner.Layers[1].Sparsity > pruner.Layers[0].Sparsity);                     // the smaller-scaled layer loses more
        Assert.Equal(0, pruner.NonzeroPrunedWeights());
    }

    [Theory]
    [InlineData(PruningScope.PerLayer)]
    [InlineData(PruningScope.Global)]
    public void MasksOnlyGrowEvenAfterTheWeightsMoved(PruningScope scope)
    {
        ManualSeed(3);
        using var model = new TwoLayer();
        using var adam = new Adam(model.Parameters(), lr: 0.05);
        var pruner = new MagnitudePruner(model, scope);
        pruner.Prune(0.5);
        var first = pruner.Layers.Select(PrunedIndices).ToArray();

        TrainSteps(model, adam, pruner, 20);                       // kept weights move; some shrink below pruned ones' old size
        pruner.Prune(0.8);

        for (int i = 0; i < pruner.Layers.Count; i++) Assert.Superset(first[i], PrunedIndices(pruner.Layers[i]));
        var error = Assert.Throws<InvalidOperationException>(() => pruner.Prune(0.6));
        Assert.Contains("masks only grow", error.Message);
    }

    [Fact]
    public void PrunedWeightsStayExactlyZeroThroughAdamSteps()
    {
        ManualSeed(4);
        using var model = new TwoLayer();
        using var adam = new Adam(model.Parameters(), lr: 0.02, weightDecay: 1e-3);
        var pruner = new MagnitudePruner(model);
        TrainSteps(model, adam, null, 30);                          // Adam's moments are non-zero everywhere
        pruner.Prune(0.75);
        var kept = pruner.Layers.Select(l => Values(l.Parameter)).ToArray();

        TrainSteps(model, adam, pruner, 50, afterStep: () => Assert.Equal(0, pruner.NonzeroPrunedWeights()));

        for (int i = 0; i < pruner.Layers.Count; i++)
        {
            var layer = pruner.Layers[i];
            var w = Values(layer.Parameter);
            var mask = Values(layer.Mask);
            Assert.Equal(MagnitudePruner.PrunedCount(0.75, layer.Count), w.Count(v => v == 0));
            Assert.Contains(Enumerable.Range(0, w.Length), j => mask[j] == 1 && w[j] != kept[i][j]);   // the kept weights did train
        }
    }

    [Fact]
    public void MaskedGradientsAloneDoNotKeepPrunedWeightsAtZeroUnderAdam()
    {
        // Why Step re-applies the masks: Adam's first moment keeps moving a weight after its gradient is masked to 0.
        ManualSeed(5);
        using var model = new TwoLayer();
        using var adam = new Adam(model.Parameters(), lr: 0.02);
        var pruner = new MagnitudePruner(model);
        TrainSteps(model, adam, null, 30);
        pruner.Prune(0.75);

        using var scope = NewScope();
        var x = Tensor.RandN([16, 13], DType.Float64);
        var loss = (model.Forward(x) - x.Narrow(1, 0, 5)).Square().Mean();
        adam.ZeroGrad();
        loss.Backward();
        var raw = pruner.Layers.Select(l => Values(l.Parameter.Grad!)).ToArray();
        pruner.MaskGradients();
        for (int i = 0; i < pruner.Layers.Count; i++)
        {
            var masked = Values(pruner.Layers[i].Parameter.Grad!);
            var mask = Values(pruner.Layers[i].Mask);
            for (int j = 0; j < masked.Length; j++) Assert.Equal(mask[j] == 1 ? raw[i][j] : 0, masked[j]);
        }
        adam.Step();                                                 // without ApplyMasks
        Assert.True(pruner.NonzeroPrunedWeights() > 0);
        pruner.ApplyMasks();
        Assert.Equal(0, pruner.NonzeroPrunedWeights());
    }

    [Theory]
    [InlineData(PruningScope.PerLayer)]
    [InlineData(PruningScope.Global)]
    public void TheScheduleDrivesTheSparsityToItsTarget(PruningScope scope)
    {
        ManualSeed(6);
        using var model = new TwoLayer();
        using var adam = new Adam(model.Parameters(), lr: 0.01);
        var pruner = new MagnitudePruner(model, scope);
        var schedule = new GradualSparsitySchedule(0.9, startStep: 5, frequency: 3, pruningSteps: 6);

        for (long t = 0; t < schedule.EndStep + 10; t++)
        {
            Assert.Equal(schedule.IsPruningStep(t), pruner.Update(schedule, t));
            double target = schedule.SparsityAt(t);
            if (scope == PruningScope.PerLayer)
                Assert.All(pruner.Layers, l => Assert.Equal(MagnitudePruner.PrunedCount(target, l.Count), l.Pruned));
            else Assert.Equal(MagnitudePruner.PrunedCount(target, pruner.Count), pruner.Pruned);
            TrainSteps(model, adam, pruner, 1);
        }

        // At the end the weights themselves hold the target's zeros: 82 + 32 per layer (81.9, 31.5 rounded), 113 of 126 globally.
        long zeros = pruner.Layers.Sum(l => (long)Values(l.Parameter).Count(v => v == 0));
        Assert.Equal(scope == PruningScope.PerLayer ? 82 + 32 : 113, zeros);
        Assert.Equal(zeros, pruner.Pruned);
        Assert.Equal(0, pruner.NonzeroPrunedWeights());
    }

    [Fact]
    public void ZeroAndFullSparsityPruneNothingOrEverything()
    {
        ManualSeed(7);
        using var model = new TwoLayer();
        var pruner = new MagnitudePruner(model);
        pruner.Prune(0);
        Assert.Equal(0, pruner.Pruned);
        Assert.Equal(13 * 7 + 7 * 5, MagnitudePruner.CountNonzero(model) - 7 - 5);

        pruner.Prune(1);
        Assert.Equal(pruner.Count, pruner.Pruned);
        Assert.Equal(1.0, MagnitudePruner.ZeroFraction(model.First.Weight));
        using var scope = NewScope();
        var output = model.Forward(Tensor.RandN([3, 13], DType.Float64));
        var biasOnly = model.Second.Bias!.Unsqueeze(0).Expand(3, 5);
        Assert.Equal(0, (output - biasOnly).Abs().Max().Item<double>());
    }

    [Fact]
    public void PrunedCountRoundsHalvesAwayFromZero()
    {
        Assert.Equal(4, MagnitudePruner.PrunedCount(0.5, 7));
        Assert.Equal(82, MagnitudePruner.PrunedCount(0.9, 91));
        Assert.Equal(0, MagnitudePruner.PrunedCount(0, 91));
        Assert.Equal(91, MagnitudePruner.PrunedCount(1, 91));
        Assert.Equal(14746, MagnitudePruner.PrunedCount(0.9, 128 * 128));        // 0.9 · 16384 = 14745.6
    }

    [Fact]
    public void BiasesStayDenseByDefaultAndIncludeChoosesParameters()
    {
        ManualSeed(8);
        using var model = new TwoLayer();
        Assert.Equal(["first.weight", "second.weight"], new MagnitudePruner(model).Layers.Select(l => l.Name));

        using var other = new TwoLayer();
        var biasOnly = new MagnitudePruner(other, include: (name, _) => name == "first.bias");
        Assert.Equal("first.bias", Assert.Single(biasOnly.Layers).Name);
        biasOnly.Prune(3.0 / 7);
        Assert.Equal(3, Values(other.First.Bias!).Count(v => v == 0));
        Assert.Equal(0, MagnitudePruner.ZeroFraction(other.First.Weight));
    }

    [Fact]
    public void MasksAreBuffersOfTheOwningModuleThatCheckpointsRestore()
    {
        ManualSeed(9);
        using var model = new TwoLayer();
        var pruner = new MagnitudePruner(model);
        pruner.Prune(0.6);
        using var scope = NewScope();
        var state = model.StateDict();
        Assert.Contains("first.weight_mask", state.Keys);
        Assert.Contains("second.weight_mask", state.Keys);

        ManualSeed(10);
        using var restored = new TwoLayer();
        var restoredPruner = new MagnitudePruner(restored);
        restored.LoadStateDict(state);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(Values(pruner.Layers[i].Mask), Values(restoredPruner.Layers[i].Mask));
            Assert.Equal(Values(pruner.Layers[i].Parameter), Values(restoredPruner.Layers[i].Parameter));
        }
        Assert.Equal(pruner.Pruned, restoredPruner.Pruned);
        restoredPruner.Prune(0.8);                                  // and pruning continues from the restored masks
        Assert.Superset(PrunedIndices(pruner.Layers[0]), PrunedIndices(restoredPruner.Layers[0]));
    }

    [Fact]
    public void ParametersInAListFieldGetMasksOnTheirOwnModule()
    {
        ManualSeed(11);
        using var model = new ListOfWeights();
        var pruner = new MagnitudePruner(model);
        Assert.Equal(["weights.0", "weights.1"], pruner.Layers.Select(l => l.Name));
        Assert.Equal(["weights_0_mask", "weights_1_mask"], model.NamedBuffers().Select(b => b.Name));
        pruner.Prune(0.5);
        Assert.Equal(12, Values(model.Weights[0]).Count(v => v == 0));
        Assert.Equal(9, Values(model.Weights[1]).Count(v => v == 0));
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        ManualSeed(12);
        using var model = new TwoLayer();
        var pruner = new MagnitudePruner(model);
        foreach (var bad in new[] { -0.1, 1.01, double.NaN })
            Assert.Equal("sparsity", Assert.Throws<ArgumentOutOfRangeException>(() => pruner.Prune(bad)).ParamName);
        var twice = Assert.Throws<InvalidOperationException>(() => new MagnitudePruner(model));
        Assert.Contains("already has a pruning mask", twice.Message);
        Assert.Throws<ArgumentNullException>(() => pruner.Step(null!));
        Assert.Throws<ArgumentNullException>(() => pruner.Update(null!, 0));
        Assert.Throws<ArgumentNullException>(() => new MagnitudePruner(null!));

        using var half = new TwoLayer();                                                        // a rejected pruner registers no mask
        new MagnitudePruner(half, include: (name, _) => name == "second.weight");
        Assert.Throws<InvalidOperationException>(() => new MagnitudePruner(half));
        Assert.Equal(["second.weight_mask"], half.NamedBuffers().Select(b => b.Name));

        using var other = new TwoLayer();
        Assert.Equal("scope", Assert.Throws<ArgumentOutOfRangeException>(() => new MagnitudePruner(other, (PruningScope)7)).ParamName);
        var none = Assert.Throws<ArgumentException>(() => new MagnitudePruner(other, include: (_, _) => false));
        Assert.Contains("no parameter", none.Message);
        Assert.Contains("first.weight", none.Message);                                          // lists what there is
    }
}
