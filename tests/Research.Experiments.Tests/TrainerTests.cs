using Research.Torch;

namespace Research.Experiments.Tests;

public class TrainerTests
{
    private static TrainerOptions Options(long steps, double lr = 0.05) => new()
    {
        MaxSteps = steps,
        Seed = 7,
        LearningRate = LearningRates.Constant(lr),
        CheckpointEvery = 10,
    };

    private static List<(long, string, double)> Losses(IEnumerable<MetricPoint> points) =>
        points.Where(p => p.Name == "train/loss").Select(p => (p.Step, p.Name, p.Value)).ToList();

    [Fact]
    public void ResumingFromACheckpointContinuesTheSameTrajectoryBitwise()
    {
        using var dir = new TempDirectory();
        float[] straightParams;
        List<(long, string, double)> straightLosses;
        using (var model = new TinyModel(seed: 1))
        {
            var points = new List<MetricPoint>();
            var trainer = new Trainer(Options(40));
            using var _ = trainer.Metrics.Subscribe(points.Add);
            var r = trainer.Fit(model.State, model.Batches(3), (b, c) => model.Step(b, c), checkpoints: new CheckpointStore(Path.Combine(dir.Path, "straight")));
            Assert.Equal(TrainingStatus.Completed, r.Status);
            straightParams = model.Parameters();
            straightLosses = Losses(points);
        }

        var store = new CheckpointStore(Path.Combine(dir.Path, "split"));
        var firstHalf = new List<MetricPoint>();
        using (var model = new TinyModel(seed: 1))
        {
            var trainer = new Trainer(Options(20));
            using var _ = trainer.Metrics.Subscribe(firstHalf.Add);
            trainer.Fit(model.State, model.Batches(3), (b, c) => model.Step(b, c), checkpoints: store);
        }
        // A different process would start from a differently initialised model: the checkpoint must overwrite it all.
        using (var model = new TinyModel(seed: 99))
        {
            var secondHalf = new List<MetricPoint>();
            var trainer = new Trainer(Options(40));
            using var _ = trainer.Metrics.Subscribe(secondHalf.Add);
            using var checkpoint = store.Load("last");
            Assert.Equal(20, checkpoint.Progress.Step);
            var r = trainer.Fit(model.State, model.Batches(3), (b, c) => model.Step(b, c), checkpoints: store, resume: checkpoint);
            Assert.Equal(40, r.Steps);
            Assert.Equal(straightParams, model.Parameters());
            Assert.Equal(straightLosses, Losses(firstHalf.Concat(secondHalf)));
        }
    }

    [Fact]
    public void NaNInAGradientStopsNamingTheStepAndTensorAndTheLastGoodCheckpointResumes()
    {
        using var dir = new TempDirectory();
        var store = new CheckpointStore(dir.Path);
        using var model = new TinyModel(seed: 2);
        // The "bad learning rate" poisons step 25 only while lr > 0.1, as a diverging run would.
        var r = new Trainer(Options(40, lr: 0.5)).Fit(model.State, model.Batches(3),
            (b, c) => model.Step(b, c, poison: c.Step == 25 && c.LearningRate > 0.1), checkpoints: store);
        Assert.Equal(TrainingStatus.NonFinite, r.Status);
        Assert.Equal(25, r.FailedStep);
        // The step cleared the gradient after its update, so the first non-finite tensor the trainer sees is w1 itself.
        Assert.Equal("w1", r.FailedTensor);
        Assert.Contains("step 25", r.Message);
        Assert.Contains("w1", r.Message);
        Assert.Equal(25, r.Steps);
        Assert.Equal(20, store.Last!.Step);

        using var checkpoint = store.Load("last");
        Assert.All(checkpoint.Tensors.Values, t => Assert.True(t.IsFinite().All().Item<bool>()));
        var resumed = new Trainer(Options(40, lr: 0.05)).Fit(model.State, model.Batches(3),
            (b, c) => model.Step(b, c, poison: c.Step == 25 && c.LearningRate > 0.1), checkpoints: store, resume: checkpoint);
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(40, resumed.Steps);
        Assert.True(double.IsFinite(resumed.FinalMetrics["train/loss"]));
    }

    [Fact]
    public void CancellationSavesACheckpointAndStopsCleanly()
    {
        using var dir = new TempDirectory();
        using var run = Run.Create("cancel-test", new { lr = 0.05 }, seed: 7, root: dir.Path);
        using var model = new TinyModel(seed: 3);
        using var cts = new CancellationTokenSource();
        var r = new Trainer(Options(100) with { Cancellation = cts.Token }).Fit(model.State, model.Batches(3), (b, c) =>
        {
            if (c.Step == 12) cts.Cancel();
            return model.Step(b, c);
        }, run: run);
        Assert.Equal(TrainingStatus.Interrupted, r.Status);
        Assert.Equal(13, r.Steps);
        Assert.Equal(13, run.Checkpoints.Last!.Step);
        Assert.Equal("Interrupted", run.Summary!.Status);
        using var checkpoint = run.Checkpoints.Load("last");
        Assert.Equal(model.W1.ToArray<float>(), checkpoint.Tensors["w1"].ToArray<float>());
    }

    [Fact]
    public void EarlyStoppingEndsAfterPatienceEvaluationsWithoutImprovement()
    {
        using var model = new TinyModel(seed: 4);
        var trainer = new Trainer(Options(200) with { EvalEvery = 5, Monitor = "eval/score", MonitorMode = MonitorMode.Max, Patience = 3, CheckpointEvery = 0 });
        var evaluations = new List<long>();
        var r = trainer.Fit(model.State, model.Batches(3), (b, c) => model.Step(b, c), evaluate: step =>
        {
            evaluations.Add(step);
            return new Dictionary<string, double> { ["score"] = step <= 10 ? step : 10 };
        });
        Assert.Equal(TrainingStatus.EarlyStopped, r.Status);
        Assert.Equal(25, r.Steps);
        Assert.Equal(10, r.BestValue);
        Assert.Equal(10, r.BestStep);
    }

    [Fact]
    public void ScopePerStepKeepsLiveTensorCountFlat()
    {
        using var model = new TinyModel(seed: 5);
        var counts = new List<long>();
        using var live = Tensor.TrackLive();
        new Trainer(Options(30) with { CheckpointEvery = 0 }).Fit(model.State, model.Batches(3), (b, c) =>
        {
            var r = model.Step(b, c);
            counts.Add(live.Count);
            return r;
        });
        Assert.Equal(counts[5], counts[^1]);
    }

    [Fact]
    public void ClipGradNormBoundsTheGradientAndRecordsTheNorm()
    {
        using var w = Tensor.From(new float[] { 3, 4 }).DetachFromScope().RequiresGrad_();
        var state = new TensorState { ["w"] = w };
        double? norm = null;
        var points = new List<MetricPoint>();
        var trainer = new Trainer(new TrainerOptions { MaxSteps = 1, ClipGradNorm = 1.0 });
        using var _ = trainer.Metrics.Subscribe(points.Add);
        trainer.Fit(state, ctx =>
        {
            var loss = (w * w).Sum() * 0.5;   // gradient = w = (3, 4), norm 5
            loss.Backward();
            norm = ctx.ClipGradNorm([w]);
            using var g = w.Grad!;
            Assert.Equal(1.0, g.Norm().Item<float>(), 4);
            w.Grad = null;
            return StepResult.From(loss);
        });
        Assert.Equal(5.0, norm!.Value, 5);
        Assert.Contains(points, p => p.Name == "train/grad_norm" && Math.Abs(p.Value - 5) < 1e-5);
    }
}
