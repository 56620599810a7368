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
    public void SmokeRunAgreesIsFasterChunkedAndGatedAttentionRecallsBetter()
    {
        using var dir = new TempDirectory();
        var (result, _, points) = SmokeRun.Run(new GlaExperiment(), dir.Path);
        var settings = GlaSettings.For(Scale.Smoke);
        Assert.True(result.Metrics["float64_relative_error"] < GlaExperiment.Float64Tolerance);
        Assert.True(result.Metrics["float32_relative_error"] < GlaExperiment.Float32Tolerance);
        Assert.True(result.Metrics["speedup"] >= GlaSettings.RequiredSpeedup);
        Assert.True(result.Metrics["gla_accuracy"] >= settings.RequiredAccuracy);
        Assert.True(result.Metrics["gla_accuracy"] - result.Metrics["linear_accuracy"] >= GlaSettings.RequiredGap);
        // a one-block model with α ≡ 1 cannot beat the order-blind ceiling (up to the evaluation batch's sampling noise)
        Assert.True(result.Metrics["linear_accuracy"] <= result.Metrics["order_blind_ceiling"] + 0.02);
        Assert.False(result.Metrics.ContainsKey("softmax_accuracy"));                      // the reference trains at cpu scale only

        SmokeRun.AssertCurve(points, "agreement/chunked_float64", GlaSettings.AgreementChunks.Length);
        SmokeRun.AssertCurve(points, "agreement/chunked_float32", GlaSettings.AgreementChunks.Length);
        SmokeRun.AssertCurve(points, "timing/loop_ms", settings.TimingLengths.Length);
        SmokeRun.AssertCurve(points, $"timing/chunked_ms_T{settings.TimingLengths[^1]}", GlaSettings.TimingChunks.Length);
        SmokeRun.AssertCurve(points, "gla/loss", settings.Steps);
        SmokeRun.AssertCurve(points, "linear/loss", settings.Steps);
        SmokeRun.AssertCurve(points, "eval/gla_accuracy", settings.Steps / settings.EvalEvery);
        SmokeRun.AssertCurve(points, "eval/linear_accuracy", settings.Steps / settings.EvalEvery);
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
