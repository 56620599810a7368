using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests.Reproductions;

public class GlaExperimentTests
{
    [Fact]
    public void RegistryListsGlaAsASequenceModel()
    {
        var experiment = ExperimentRegistry.Find("gla");
        Assert.IsType<GlaExperiment>(experiment);
        Assert.Equal("sequence models", experiment.Family);
    }

    [Fact]
    public void LanguageModelsHaveEqualParametersWithinTenPercent()
    {
        var counts = GlaExperiment.Models.Select(m =>
        {
            using var model = GlaExperiment.CreateLanguageModel(m.Mixer, context: 128);
            return model.ParameterCount();
        }).ToArray();
        Assert.True(counts.Max() <= 1.10 * counts.Min(), $"parameters {string.Join(", ", counts)}");
    }

    [Fact]
    public void RecallModelsHaveEqualParametersWithinTenPercent()
    {
        var counts = GlaExperiment.Models.Select(m =>
        {
            using var model = GlaExperiment.CreateModel(m.Mixer);
            return model.ParameterCount();
        }).ToArray();
        Assert.True(counts.Max() <= 1.10 * counts.Min(), $"parameters {string.Join(", ", counts)}");
    }

    [Fact]
    public void ValidationAndTestRecallBatchesDiffer()
    {
        using var validation = GlaExperiment.ValidationBatch();
        using var test = GlaExperiment.EvaluationBatch();
        using var scope = NewScope();
        Assert.False(validation.Inputs.Narrow(0, 0, 64).Equal(test.Inputs.Narrow(0, 0, 64)));
    }

    [Fact]
    public void OrderBlindCeilingAndWriteCountsFollowTheTokenLayout()
    {
        // Key 0 written with values 3, 3, 5 (latest 5), key 1 once, key 2 with 4 then 6; queries: keys 0, 1, 2 and 0 again.
        // An order-blind guess for key 0 picks value 3 (2 of 3 writes): right with probability 2/3, key 1: 1, key 2: 1/2.
        int k = GlaSettings.Keys, v = GlaSettings.Values;
        long Pair(int key, int value) => 1 + k + v + key * v + value;
        long Query(int key) => 1 + key;
        var context = new long[] { Pair(0, 3), Pair(2, 4), Pair(0, 3), Pair(1, 7), Pair(2, 6), Pair(0, 5) };
        var filler = Enumerable.Range(0, GlaSettings.Writes - context.Length).Select(i => Pair(3 + i % 5, i % v));   // other keys
        var row = context.Concat(filler).Concat([Query(0), Query(1), Query(2), Query(0)]).ToArray();
        using var scope = NewScope();
        using var batch = new TaskBatch(Tensor.From(row, 1, row.Length), Tensor.Full([1, row.Length], SyntheticTasks.IgnoreTarget, DType.Int64));

        var counts = GlaExperiment.WriteCounts(batch);
        Assert.Equal(new long[] { 3, 1, 2, 3 }, Enumerable.Range(0, GlaSettings.Queries).Select(j => counts[0, j]));
        Assert.Equal((2 / 3.0 + 1 + 0.5 + 2 / 3.0) / 4, GlaExperiment.OrderBlindCeiling(batch), 12);
    }

    [Fact]
    public void OrderBlindCeilingIsOneWithoutOverwritesAndWellBelowWithThem()
    {
        using var batch = SyntheticTasks.MultiQueryAssociativeRecall(64, GlaSettings.Keys, GlaSettings.Queries, GlaSettings.Keys, GlaSettings.Values, distinctKeys: true, seed: 5);
        Assert.Equal(1.0, GlaExperiment.OrderBlindCeiling(batch, writes: GlaSettings.Keys), 12);
        Assert.All(GlaExperiment.WriteCounts(batch, writes: GlaSettings.Keys).Cast<long>(), c => Assert.Equal(1, c));
        using var overwritten = GlaExperiment.EvaluationBatch();
        Assert.InRange(GlaExperiment.OrderBlindCeiling(overwritten), 0.55, 0.75);                     // ≈ 0.64 for 16 writes of 8 keys
    }

    [Fact]
    public void AccuracyCountsOnlyTheQueries()
    {
        // An untrained model's accuracy is a fraction of the queries, split consistently into written-once and overwritten keys.
        using var scope = NewScope();
        ManualSeed(0);
        using var model = GlaExperiment.CreateModel(SequenceMixer.GatedLinearAttention);
        using var batch = GlaExperiment.RecallBatch(64, stepSeed: 12345UL << 33);
        var counts = GlaExperiment.WriteCounts(batch);
        var accuracy = GlaExperiment.Accuracy(model, batch, counts);
        int once = counts.Cast<long>().Count(c => c == 1), total = counts.Length;
        Assert.InRange(accuracy.All, 0, 1);
        Assert.Equal(accuracy.All, (accuracy.WrittenOnce * once + accuracy.Overwritten * (total - once)) / total, 12);
    }
}
