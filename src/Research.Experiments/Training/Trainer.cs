using System.Diagnostics;
using System.Globalization;
using Research.Torch;
using Research.Torch.Distributed;
using static Research.Torch.Torch;

namespace Research.Experiments;

/// <summary>
/// The training loop. The step function does the whole update itself (backprop + optimizer, DFA, forward-forward,
/// local losses...), so no single <c>loss.Backward()</c> is assumed. Around it the trainer opens a dispose scope per
/// step, reseeds libtorch from (seed, step), schedules the learning rate, checks for NaN/Inf, evaluates, records
/// metrics (to a run and to <see cref="Metrics"/>), saves periodic/best/last checkpoints, stops early, and on
/// cancellation or <see cref="Interrupt"/> saves a checkpoint and returns.
/// </summary>
public sealed class Trainer(TrainerOptions options)
{
    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; } = options;

    /// <summary>Every metric point the trainer records, live (bind a loss curve to it).</summary>
    public MetricStream Metrics { get; } = new();

    /// <summary>Callbacks run in order (e.g. <see cref="ConsoleProgress"/>).</summary>
    public List<ITrainerCallback> Callbacks { get; } = new();

    /// <summary>Trains with batches from <paramref name="data"/>.</summary>
    /// <param name="state">Tensors to checkpoint (model, optimizer state).</param>
    /// <param name="data">Batches by step.</param>
    /// <param name="step">Performs one update on a batch and reports its loss/metrics.</param>
    /// <param name="evaluate">Optional evaluation (run without gradients); names without a slash go under "eval/".</param>
    /// <param name="run">Optional run: metrics, log, checkpoints and summary go there.</param>
    /// <param name="checkpoints">Checkpoint store (default: the run's, else none).</param>
    /// <param name="resume">A checkpoint to continue from: its tensors are loaded into <paramref name="state"/>.</param>
    public TrainingResult Fit<TBatch>(IStateful state, IBatchSource<TBatch> data, Func<TBatch, StepContext, StepResult> step,
        Func<long, IReadOnlyDictionary<string, double>>? evaluate = null, Run? run = null, CheckpointStore? checkpoints = null,
        LoadedCheckpoint? resume = null)
    {
        var o = Options;
        checkpoints ??= run?.Checkpoints;
        var clock = Stopwatch.StartNew();
        var latest = new Dictionary<string, double>();
        long done = 0;
        double? best = null;
        long bestStep = 0;
        int stale = 0;
        CheckpointInfo? lastCheckpoint = checkpoints?.Last;

        if (resume is not null)
        {
            state.LoadStateDict(resume.Tensors);
            var p = resume.Progress;
            done = p.Step;
            best = p.BestValue;
            bestStep = p.BestStep;
            stale = p.EvaluationsWithoutImprovement;
            lastCheckpoint = resume.Info;
            if (run is not null && Path.GetFullPath(resume.Info.Directory).StartsWith(Path.GetFullPath(run.Directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                run.Metrics.TruncateAfter(done);
            run?.Log($"resumed from {resume.Info.Directory} at step {done}{(p.PartialStep ? " (saved mid-step: not an exact continuation)" : "")}");
        }

        var group = o.Group is { Size: > 1 } g ? g : null;
        using var parallel = group is null ? null : StartDataParallel(group, state, run);
        if (group is not null)
        {
            if (group.Rank != 0) checkpoints = null;
            if (data is IShardedBatchSource<TBatch> sharded) data = sharded.ForRank(new DistributedSampler(group));
            else run?.Log("data-parallel: this batch source cannot be sharded, so every rank trains on the same batches");
        }

        foreach (var c in Callbacks) c.OnStart(done, o.MaxSteps);
        run?.Log($"training steps {done}..{o.MaxSteps}, seed {o.Seed}, threads {NumThreads}");

        void Record(long s, string name, double value)
        {
            latest[name] = value;
            var point = new MetricPoint(s, name, value, clock.Elapsed.TotalSeconds);
            Metrics.Publish(point);
            run?.Metrics.Record(point);
        }

        TrainingProgress Progress(bool partial = false, string? note = null) => new(done, o.Seed, best, bestStep, stale, partial, note);

        CheckpointInfo? Save(string? name = null, bool isBest = false, bool partial = false, string? note = null)
        {
            if (checkpoints is null) return lastCheckpoint;
            using var scope = NewScope();
            lastCheckpoint = checkpoints.Save(Progress(partial, note), state.StateDict(), name, isBest);
            return lastCheckpoint;
        }

        TrainingResult Finish(TrainingStatus status, string message, long? failedStep = null, string? failedTensor = null)
        {
            var result = new TrainingResult(status, done, message, new Dictionary<string, double>(latest), best, bestStep,
                lastCheckpoint, clock.Elapsed.TotalSeconds, failedStep, failedTensor);
            if (run is not null)
            {
                run.Log($"{status}: {message}");
                run.WriteSummary(new RunSummary(status.ToString(), done, result.Seconds, run.Metrics.Latest(), message, o.Monitor, best, best is null ? null : bestStep));
            }
            foreach (var c in Callbacks) c.OnEnd(result);
            return result;
        }

        bool Cancelled() => o.Cancellation.IsCancellationRequested || Interrupt.IsRequested;

        while (done < o.MaxSteps)
        {
            if (Cancelled())
            {
                var ck = Save(note: "interrupted between steps");
                return Finish(TrainingStatus.Interrupted, $"stopped after step {done}; checkpoint {ck?.Name ?? "(none: no store)"} holds the state");
            }

            long index = done;
            StepResult result;
            (string Name, string What)? bad = null;
            var scope = o.ScopePerStep ? NewScope() : null;
            try
            {
                ulong stepSeed = Seeds.ForStep(o.Seed, index);
                if (o.ReseedEveryStep) ManualSeed(stepSeed);
                var ctx = new StepContext(index, o.LearningRate(index), stepSeed, o.ClipGradNorm, o.Cancellation);
                var batch = data.Get(index);
                if (parallel is not null && IsGradEnabled) parallel.PrepareForBackward();
                result = step(batch, ctx);
                if (ctx.Extra.Count > 0)
                {
                    var merged = new Dictionary<string, double>(ctx.Extra);
                    if (result.Metrics is not null) foreach (var (k, v) in result.Metrics) merged[k] = v;
                    result = result with { Metrics = merged };
                }
                if (o.FiniteCheckEvery > 0 && (index + 1) % o.FiniteCheckEvery == 0)
                    bad = FindNonFinite(result, state);
            }
            catch (OperationCanceledException)
            {
                scope?.Dispose();
                scope = null;
                var ck = Save(name: "interrupted", partial: true, note: $"interrupted inside step {index}");
                var exact = checkpoints?.List().Where(c => c.Name.StartsWith("step-", StringComparison.Ordinal)).LastOrDefault();
                return Finish(TrainingStatus.Interrupted,
                    $"interrupted inside step {index}: checkpoint '{ck?.Name ?? "(none)"}' holds the state after {done} steps plus part of step {index}" +
                    (exact is null ? "" : $"; '{exact.Name}' is an exact earlier state"));
            }
            finally
            {
                scope?.Dispose();
            }

            if (bad is not null)
            {
                var good = lastCheckpoint is null ? "no checkpoint was saved yet" : $"the last good checkpoint is '{lastCheckpoint.Name}' (step {lastCheckpoint.Step})";
                return Finish(TrainingStatus.NonFinite,
                    $"non-finite value at step {index}: {bad.Value.Name} {bad.Value.What}; {good}. Resume from it with different settings (e.g. a lower learning rate).",
                    index, bad.Value.Name);
            }

            done = index + 1;
            if (o.LogEvery > 0 && done % o.LogEvery == 0)
            {
                if (group is not null) result = Averaged(group, result);
                if (result.Loss is { } loss) Record(done, "train/loss", loss);
                if (result.Metrics is not null) foreach (var (k, v) in result.Metrics) Record(done, k.Contains('/') ? k : "train/" + k, v);
                Record(done, "train/lr", o.LearningRate(index));
            }
            foreach (var c in Callbacks) c.OnStep(done, o.MaxSteps, result);

            bool isBest = false, stop = false;
            if (evaluate is not null && ((o.EvalEvery > 0 && done % o.EvalEvery == 0) || done == o.MaxSteps))
            {
                IReadOnlyDictionary<string, double> metrics;
                using (NewScope())
                using (NoGrad())
                    metrics = evaluate(done);
                var named = metrics.ToDictionary(kv => kv.Key.Contains('/') ? kv.Key : "eval/" + kv.Key, kv => kv.Value);
                if (group is not null) named = group.Average(named);   // the same values, hence the same decisions, on every rank
                foreach (var (k, v) in named) Record(done, k, v);
                foreach (var c in Callbacks) c.OnEvaluate(done, named);
                if (o.Monitor is { } m && named.TryGetValue(m, out var value))
                {
                    bool better = best is null || (o.MonitorMode == MonitorMode.Min ? value < best - o.MinDelta : value > best + o.MinDelta);
                    if (better) { best = value; bestStep = done; stale = 0; isBest = true; }
                    else stale++;
                    stop = o.Patience is { } patience && stale >= patience;
                }
            }

            bool periodic = o.CheckpointEvery > 0 && done % o.CheckpointEvery == 0;
            if (periodic || isBest || done == o.MaxSteps || stop)
                Save(name: periodic || done == o.MaxSteps || stop ? null : "latest", isBest: isBest);

            if (stop)
                return Finish(TrainingStatus.EarlyStopped, $"{o.Monitor} did not improve for {stale} evaluations; best {best:G6} at step {bestStep}");
        }
        return Finish(TrainingStatus.Completed, string.Create(CultureInfo.InvariantCulture, $"{done} steps in {clock.Elapsed.TotalSeconds:F1} s"));
    }

    /// <summary>Trains with a step function that makes or fetches its own data (use <see cref="StepContext.Step"/>).</summary>
    public TrainingResult Fit(IStateful state, Func<StepContext, StepResult> step, Func<long, IReadOnlyDictionary<string, double>>? evaluate = null,
        Run? run = null, CheckpointStore? checkpoints = null, LoadedCheckpoint? resume = null) =>
        Fit(state, new FuncBatches<int>(_ => 0), (_, ctx) => step(ctx), evaluate, run, checkpoints, resume);

    /// <summary>Copies rank 0's state to every rank and hooks the trainable tensors' gradients for averaging.</summary>
    private static DistributedDataParallel StartDataParallel(ProcessGroup group, IStateful state, Run? run)
    {
        using var scope = NewScope();
        var tensors = state.StateDict().Values.ToArray();
        var trainable = tensors.Where(t => t.RequiresGrad && t.IsLeaf).ToArray();
        var parallel = new DistributedDataParallel(group, trainable, tensors.Where(t => !trainable.Contains(t)));
        run?.Log($"data-parallel: rank {group.Rank} of {group.Size} ({group.Backend}), {trainable.Length} trainable tensors");
        return parallel;
    }

    /// <summary>The step's loss and metrics averaged over the ranks.</summary>
    private static StepResult Averaged(ProcessGroup group, StepResult result)
    {
        var values = new Dictionary<string, double>(result.Metrics ?? new Dictionary<string, double>());
        if (result.Loss is { } loss) values["\0loss"] = loss;
        var mean = group.Average(values);
        mean.Remove("\0loss", out var averagedLoss);
        return new StepResult(result.Loss is null ? null : averagedLoss, result.Metrics is null ? null : mean);
    }

    /// <summary>Describes the first NaN/Inf in the step's loss or metrics, then in the state's gradients and values; null if all finite.</summary>
    private static (string Name, string What)? FindNonFinite(StepResult result, IStateful state)
    {
        if (result.Loss is { } loss && !double.IsFinite(loss)) return ("loss", $"is {loss}");
        if (result.Metrics is not null)
            foreach (var (k, v) in result.Metrics)
                if (!double.IsFinite(v)) return (k, $"is {v}");
        using var scope = NewScope();
        var candidates = new List<(string Name, Tensor Tensor)>();
        var tensors = state.StateDict();
        foreach (var (name, t) in tensors)
            if (t.Grad is { } g) candidates.Add(($"grad of {name}", g));
        foreach (var (name, t) in tensors) candidates.Add((name, t));
        candidates.RemoveAll(c => !c.Tensor.DType.IsFloatingPoint() && !c.Tensor.DType.IsComplex());
        if (candidates.Count == 0) return null;
        // One synchronisation for the common, all-finite case.
        if (Tensor.Stack(candidates.Select(c => c.Tensor.IsFinite().All()).ToArray()).All().Item<bool>()) return null;
        foreach (var (name, t) in candidates)
            if (Describe(t) is { } what) return (name, $"has {what}");
        return null;
    }

    private static string? Describe(Tensor t)
    {
        if (!t.DType.IsFloatingPoint() && !t.DType.IsComplex()) return null;
        using var finite = t.IsFinite();
        using var all = finite.All();
        if (all.Item<bool>()) return null;
        using var nan = t.IsNan();
        using var nanCount = nan.Sum();
        using var ok = finite.Sum();
        long total = t.NumEl, n = nanCount.Item<long>(), inf = total - ok.Item<long>() - n;
        return string.Create(CultureInfo.InvariantCulture, $"{n} NaN and {inf} Inf of {total} values");
    }
}
