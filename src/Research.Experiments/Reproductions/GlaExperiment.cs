using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the GLA experiment at one scale.</summary>
/// <param name="TimingLengths">Sequence lengths of the wall-time measurement; the speed claim is checked at the last.</param>
/// <param name="TimingRepeats">Timed repeats (best of) per measurement.</param>
/// <param name="Steps">Adam steps of every recall model.</param>
/// <param name="BatchSize">Sequences per training step.</param>
/// <param name="EvalEvery">Steps between recall evaluations.</param>
/// <param name="RequiredAccuracy">The recall accuracy GLA must reach.</param>
/// <param name="TrainSoftmax">Whether the softmax-attention reference is trained too.</param>
public sealed record GlaSettings(int[] TimingLengths, int TimingRepeats, int Steps, int BatchSize, int EvalEvery, double RequiredAccuracy, bool TrainSoftmax)
{
    /// <summary>Length of the float64/float32 agreement check (a multiple of none of the chunk sizes but 1).</summary>
    public const int AgreementLength = 203;

    /// <summary>Chunk sizes of the agreement check (256 &gt; T: one chunk, the fully parallel form).</summary>
    public static readonly int[] AgreementChunks = [1, 7, 16, 64, 256];

    /// <summary>Chunk sizes of the wall-time measurement.</summary>
    public static readonly int[] TimingChunks = [4, 8, 16, 32, 64, 128, 256];

    /// <summary>The chunk size the speed claim is checked at.</summary>
    public const int ClaimChunk = 64;

    /// <summary>How many times faster than the loop the chunked training step must be.</summary>
    public const double RequiredSpeedup = 2;

    /// <summary>Distinct keys of the recall task.</summary>
    public const int Keys = 8;

    /// <summary>Distinct values of the recall task.</summary>
    public const int Values = 8;

    /// <summary>Key-value writes per sequence (16 writes of 8 keys: most keys are overwritten).</summary>
    public const int Writes = 16;

    /// <summary>Queries per sequence.</summary>
    public const int Queries = 4;

    /// <summary>Sequences in the fixed evaluation batch.</summary>
    public const int EvalSequences = 1024;

    /// <summary>Model width of the recall models.</summary>
    public const int Width = 64;

    /// <summary>Heads of the recall models.</summary>
    public const int Heads = 2;

    /// <summary>Blocks of the recall models (one: the ungated model is then provably order-blind).</summary>
    public const int Layers = 1;

    /// <summary>Chunk length of the recall models' GLA layers.</summary>
    public const int Chunk = 8;

    /// <summary>Adam's learning rate for every model.</summary>
    public const double LearningRate = 3e-3;

    /// <summary>How much more accurate than ungated linear attention GLA must be.</summary>
    public const double RequiredGap = 0.2;

    /// <summary>
    /// Smoke: timing at T = 1024 only, 200 steps, GLA ≥ 0.8; cpu/gpu: T = 512, 2048, 4096, 600 steps, GLA ≥ 0.9, with the softmax reference.
    /// </summary>
    public static GlaSettings For(Scale scale) => scale == Scale.Smoke
        ? new([1024], TimingRepeats: 2, Steps: 200, BatchSize: 32, EvalEvery: 20, RequiredAccuracy: 0.8, TrainSoftmax: false)
        : new([512, 2048, 4096], TimingRepeats: 3, Steps: 600, BatchSize: 64, EvalEvery: 30, RequiredAccuracy: 0.9, TrainSoftmax: true);
}

/// <summary>Max relative |form − recurrent| of the fully parallel and chunked forms, in float64 and float32 (chunk → error).</summary>
public sealed record GlaAgreement(double Parallel64, double Parallel32, IReadOnlyDictionary<int, double> Chunked64, IReadOnlyDictionary<int, double> Chunked32);

/// <summary>Best-of wall times (ms) of one forward + backward pass at length <paramref name="T"/>: the loop and the chunked form per chunk size.</summary>
public sealed record GlaTiming(int T, double LoopMs, IReadOnlyDictionary<int, double> ChunkedMs);

/// <summary>Recall accuracy on the evaluation batch: all queries, queries whose key was written once, and overwritten keys.</summary>
public sealed record RecallAccuracy(double All, double WrittenOnce, double Overwritten);

/// <summary>
/// Yang, Wang, Shen, Panda, Kim (ICML 2024), "Gated Linear Attention Transformers with Hardware-Efficient Training" — the
/// experiment of notebooks/sequence/gla.ipynb. (1) The recurrent, fully parallel and chunk-wise forms of
/// <see cref="GatedLinearAttention"/> agree (float64 and float32); (2) a training step through the chunk-wise form is faster
/// than through the recurrent loop on a long sequence (wall time against chunk size); (3) on multi-query associative recall
/// with overwrites (<see cref="SyntheticTasks.MultiQueryAssociativeRecall"/>: 16 writes of 8 keys, the answer is a key's latest
/// value), a one-block GLA model beats the same model with α ≡ 1 (ungated linear attention), which cannot tell which write came
/// last and is bounded by the order-blind ceiling (<see cref="OrderBlindCeiling"/>); a same-size softmax Transformer is the
/// reference at cpu scale.
/// Metrics: <c>agreement/{parallel,chunked}_float{64,32}</c> (step = chunk size; parallel at step 0); <c>timing/loop_ms</c> and
/// <c>timing/speedup</c> (step = T), <c>timing/chunked_ms_T{T}</c> (step = chunk size); per step <c>{gla,linear,softmax}/loss</c>;
/// evaluations <c>eval/{name}_accuracy</c>.
/// </summary>
public sealed class GlaExperiment : IExperiment
{
    /// <summary>The recall models, with their metric names.</summary>
    public static readonly (string Name, SequenceMixer Mixer)[] Models =
        [("gla", SequenceMixer.GatedLinearAttention), ("linear", SequenceMixer.LinearAttention), ("softmax", SequenceMixer.SoftmaxAttention)];

    /// <summary>The largest relative |form − recurrent| allowed in float64.</summary>
    public const double Float64Tolerance = 1e-10;

    /// <summary>The largest relative |form − recurrent| allowed in float32.</summary>
    public const double Float32Tolerance = 1e-4;

    /// <inheritdoc />
    public string Id => "gla";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "Gated linear attention: recurrent, parallel and chunk-wise forms, and data-dependent forgetting for recall (Yang et al., 2024)";

    /// <inheritdoc />
    public string Claim => string.Create(CultureInfo.InvariantCulture,
        $"GLA's recurrent, fully parallel and chunk-wise forms agree (max relative difference < {Float64Tolerance:0E+0} in float64, < {Float32Tolerance:0E+0} in float32; " +
        $"T = {GlaSettings.AgreementLength}, chunks {string.Join("/", GlaSettings.AgreementChunks)}); a forward + backward pass through the chunk-wise form (C = {GlaSettings.ClaimChunk}) " +
        $"is ≥ {GlaSettings.RequiredSpeedup}× faster than through the loop at T = 4096 (smoke 1024); and on associative recall with overwrites " +
        $"({GlaSettings.Writes} writes of {GlaSettings.Keys} keys, answer = latest value) a one-block GLA reaches ≥ 0.9 accuracy (smoke ≥ 0.8) and beats " +
        $"the same model with α ≡ 1 (ungated linear attention, same steps) by ≥ {GlaSettings.RequiredGap}");

    /// <summary>The relative max |parallel − recurrent| and |chunked − recurrent| of a random GLA layer (d = 32, 2 heads) on a random [2, T, 32] input.</summary>
    public static GlaAgreement Agreement(ulong seed, int length = GlaSettings.AgreementLength, int[]? chunks = null)
    {
        chunks ??= GlaSettings.AgreementChunks;
        using var scope = NewScope();
        using var noGrad = NoGrad();
        ManualSeed(seed);
        using var layer = new GatedLinearAttentionLayer(32, 2, dtype: DType.Float64);
        var x = Tensor.RandN([2, length, 32], DType.Float64) * 2;
        var (q, k, v, logAlpha) = layer.Projections(x);
        var reference = GatedLinearAttention.Recurrent(q, k, v, logAlpha).Output;
        double scale = reference.Abs().Max().Item<double>();
        double Relative(Tensor o) => (o.Double() - reference).Abs().Max().Item<double>() / scale;
        var (q32, k32, v32, a32) = (q.Float(), k.Float(), v.Float(), logAlpha!.Float());
        return new GlaAgreement(
            Relative(GatedLinearAttention.Parallel(q, k, v, logAlpha).Output),
            Relative(GatedLinearAttention.Parallel(q32, k32, v32, a32).Output),
            chunks.ToDictionary(c => c, c => Relative(GatedLinearAttention.Chunked(q, k, v, logAlpha, chunk: c).Output)),
            chunks.ToDictionary(c => c, c => Relative(GatedLinearAttention.Chunked(q32, k32, v32, a32, chunk: c).Output)));
    }

    /// <summary>
    /// Best-of-<paramref name="repeats"/> wall times of one forward + backward pass through the GLA recurrence of one layer
    /// (batch 1, 2 heads, d_k = 16 and d_v = 32 per head, float32, gates as in the layer) at length <paramref name="length"/>:
    /// the recurrent loop and the chunk-wise form for every chunk size in <paramref name="chunks"/>.
    /// </summary>
    public static GlaTiming Timing(int length, int[] chunks, int repeats, ulong seed)
    {
        using var scope = NewScope();
        ManualSeed(seed);
        var q = (Tensor.RandN(1, 2, length, 16) * 0.25).RequiresGrad_();
        var k = Tensor.RandN(1, 2, length, 16).RequiresGrad_();
        var v = Tensor.RandN(1, 2, length, 32).RequiresGrad_();
        var z = (Tensor.RandN(1, 2, length, 16) * 2).RequiresGrad_();
        double Time(Func<Tensor, (Tensor Output, Tensor State)> form) => WallClock.BestMilliseconds(() =>
        {
            using var s = NewScope();
            form(z.LogSigmoid() / 16).Output.Square().Mean().Backward();
        }, repeats);
        double loop = Time(a => GatedLinearAttention.Recurrent(q, k, v, a));
        var chunked = chunks.ToDictionary(c => c, c => Time(a => GatedLinearAttention.Chunked(q, k, v, a, chunk: c)));
        return new GlaTiming(length, loop, chunked);
    }

    /// <summary>A recall model of the experiment's size with the given token mixer (draws from the current libtorch seed).</summary>
    public static GlaLanguageModel CreateModel(SequenceMixer mixer, Device? device = null) =>
        new(new GlaModelConfig(SyntheticTasks.RecallVocabulary(GlaSettings.Keys, GlaSettings.Values), GlaSettings.Width, GlaSettings.Layers, GlaSettings.Heads, mixer,
            Chunk: GlaSettings.Chunk, MaxLength: GlaSettings.Writes + GlaSettings.Queries), device: device);

    /// <summary>The generator seed of the fixed evaluation batch.</summary>
    public const int EvalSeed = 20231211;

    /// <summary>A training batch of the experiment's task for a trainer step seed (its top 31 bits seed the generator).</summary>
    public static TaskBatch RecallBatch(int batch, ulong stepSeed, Device? device = null) =>
        MakeBatch(batch, (int)(stepSeed >> 33), device);

    /// <summary>The fixed evaluation batch (<see cref="GlaSettings.EvalSequences"/> sequences from <see cref="EvalSeed"/>).</summary>
    public static TaskBatch EvaluationBatch(Device? device = null) => MakeBatch(GlaSettings.EvalSequences, EvalSeed, device);

    private static TaskBatch MakeBatch(int batch, int seed, Device? device)
    {
        var task = SyntheticTasks.MultiQueryAssociativeRecall(batch, GlaSettings.Writes, GlaSettings.Queries, GlaSettings.Keys, GlaSettings.Values, seed: seed);
        if (device is not { } d || d == Device.CPU) return task;
        using (task) return new TaskBatch(task.Inputs.To(d), task.Targets.To(d));
    }

    /// <summary>Mean cross-entropy of the answers (the context positions are ignored).</summary>
    public static Tensor Loss(GlaLanguageModel model, TaskBatch batch)
    {
        using var scope = NewScope();
        var logits = model.Forward(batch.Inputs);
        return scope.Keep(F.CrossEntropy(logits.Flatten(0, 1), batch.Targets.Flatten(), ignoreIndex: SyntheticTasks.IgnoreTarget));
    }

    /// <summary>
    /// How often each query key was written in its sequence's context: [batch, queries] (from the documented token layout of a
    /// recall batch with <paramref name="writes"/> writes of the experiment's keys and values).
    /// </summary>
    public static long[,] WriteCounts(TaskBatch batch, int writes = GlaSettings.Writes)
    {
        var x = batch.Inputs.Cpu().ToArray2D<long>();
        int rows = x.GetLength(0), keys = GlaSettings.Keys, values = GlaSettings.Values;
        var counts = new long[rows, x.GetLength(1) - writes];
        for (int b = 0; b < rows; b++)
        {
            var perKey = new long[keys];
            for (int i = 0; i < writes; i++) perKey[(x[b, i] - 1 - keys - values) / values]++;
            for (int j = writes; j < x.GetLength(1); j++) counts[b, j - writes] = perKey[x[b, j] - 1];
        }
        return counts;
    }

    /// <summary>
    /// The best accuracy any predictor can reach that sees the context only as an unordered multiset (as a one-block model
    /// with α ≡ 1 and no positions does): for a key written m times, P(latest value = v) = (times v was written) / m, so the
    /// best guess is the most frequent value and is right with probability max_v count_v / m. Averaged over the queries of a
    /// recall batch with <paramref name="writes"/> writes of the experiment's keys and values.
    /// </summary>
    public static double OrderBlindCeiling(TaskBatch batch, int writes = GlaSettings.Writes)
    {
        var x = batch.Inputs.Cpu().ToArray2D<long>();
        int rows = x.GetLength(0), keys = GlaSettings.Keys, values = GlaSettings.Values;
        double total = 0;
        int queries = 0;
        for (int b = 0; b < rows; b++)
        {
            var counts = new int[keys, values];
            for (int i = 0; i < writes; i++)
            {
                long pair = x[b, i] - 1 - keys - values;
                counts[pair / values, pair % values]++;
            }
            for (int j = writes; j < x.GetLength(1); j++)
            {
                long key = x[b, j] - 1;
                int m = 0, best = 0;
                for (int v = 0; v < values; v++) { m += counts[key, v]; best = Math.Max(best, counts[key, v]); }
                total += best / (double)m;
                queries++;
            }
        }
        return total / queries;
    }

    /// <summary>Accuracy of the answers on <paramref name="batch"/>: all queries, and split by whether the queried key was written once or more.</summary>
    public static RecallAccuracy Accuracy(GlaLanguageModel model, TaskBatch batch, long[,]? writeCounts = null)
    {
        writeCounts ??= WriteCounts(batch);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        int writes = GlaSettings.Writes;
        long queries = batch.Inputs.Size(1) - writes;
        var predicted = model.Forward(batch.Inputs).Narrow(1, writes, queries).ArgMax(-1);
        var correct = predicted.Eq(batch.Targets.Narrow(1, writes, queries)).Cpu().Long().ToArray2D<long>();
        int all = 0, once = 0, onceRight = 0, over = 0, overRight = 0;
        for (int b = 0; b < correct.GetLength(0); b++)
            for (int j = 0; j < correct.GetLength(1); j++)
            {
                bool right = correct[b, j] != 0;
                if (right) all++;
                if (writeCounts[b, j] == 1) { once++; if (right) onceRight++; }
                else { over++; if (right) overRight++; }
            }
        return new RecallAccuracy(all / (double)correct.Length, once == 0 ? double.NaN : onceRight / (double)once, over == 0 ? double.NaN : overRight / (double)over);
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = GlaSettings.For(context.Scale);
        var device = context.Device;
        context.Run.AddHyperparameters(new
        {
            agreement_length = GlaSettings.AgreementLength, agreement_chunks = GlaSettings.AgreementChunks, timing_lengths = s.TimingLengths,
            timing_chunks = GlaSettings.TimingChunks, timing_repeats = s.TimingRepeats, timing_threads = 1, claim_chunk = GlaSettings.ClaimChunk,
            keys = GlaSettings.Keys, values = GlaSettings.Values, writes = GlaSettings.Writes, queries = GlaSettings.Queries,
            width = GlaSettings.Width, heads = GlaSettings.Heads, layers = GlaSettings.Layers, chunk = GlaSettings.Chunk,
            steps = s.Steps, batch_size = s.BatchSize, lr = GlaSettings.LearningRate, eval_every = s.EvalEvery, softmax_reference = s.TrainSoftmax,
        });

        // (1) three forms agree
        var agreement = Agreement(context.Seed);
        context.Run.Record(0, "agreement/parallel_float64", agreement.Parallel64);
        context.Run.Record(0, "agreement/parallel_float32", agreement.Parallel32);
        foreach (var (chunk, error) in agreement.Chunked64) context.Run.Record(chunk, "agreement/chunked_float64", error);
        foreach (var (chunk, error) in agreement.Chunked32) context.Run.Record(chunk, "agreement/chunked_float32", error);
        double worst64 = Math.Max(agreement.Parallel64, agreement.Chunked64.Values.Max());
        double worst32 = Math.Max(agreement.Parallel32, agreement.Chunked32.Values.Max());
        context.Run.Log(string.Create(CultureInfo.InvariantCulture, $"agreement with the loop: float64 ≤ {worst64:0.0E+0}, float32 ≤ {worst32:0.0E+0}"));

        // (2) wall time against chunk size, one thread
        var timing = new List<GlaTiming>();
        using (ThreadLimit.To(1))
            foreach (var length in s.TimingLengths)
            {
                var t = Timing(length, GlaSettings.TimingChunks, s.TimingRepeats, context.Seed);
                timing.Add(t);
                context.Run.Record(length, "timing/loop_ms", t.LoopMs);
                context.Run.Record(length, "timing/speedup", t.LoopMs / t.ChunkedMs[GlaSettings.ClaimChunk]);
                foreach (var (chunk, ms) in t.ChunkedMs) context.Run.Record(chunk, $"timing/chunked_ms_T{length}", ms);
                context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"T={length}: loop {t.LoopMs:F1} ms; chunked {string.Join(", ", t.ChunkedMs.Select(kv => string.Create(CultureInfo.InvariantCulture, $"C={kv.Key} {kv.Value:F1} ms")))}"));
            }

        // (3) recall: the models train side by side on the same batches
        var names = Models.Where(m => s.TrainSoftmax || m.Mixer != SequenceMixer.SoftmaxAttention).ToArray();
        var models = new Dictionary<string, GlaLanguageModel>();
        var optimizers = new Dictionary<string, Adam>();
        var state = new TensorState();
        try
        {
            foreach (var (name, mixer) in names)
            {
                ManualSeed(context.Seed + 1);
                models[name] = CreateModel(mixer, device);
                optimizers[name] = new Adam(models[name].Parameters(), lr: GlaSettings.LearningRate);
                state.Add(name, new ModuleState(models[name], optimizers[name]));
                context.Run.Log($"{name}: {models[name].ParameterCount()} parameters");
            }
            using var evalBatch = EvaluationBatch(device: device);
            var counts = WriteCounts(evalBatch);
            double ceiling = OrderBlindCeiling(evalBatch);

            var trainer = context.CreateTrainer(new TrainerOptions
            {
                MaxSteps = s.Steps,
                LearningRate = LearningRates.Constant(GlaSettings.LearningRate),
                EvalEvery = s.EvalEvery,
            });
            var training = trainer.Fit(state, ctx =>
            {
                using var batch = RecallBatch(s.BatchSize, ctx.Seed, device: device);
                var metrics = new Dictionary<string, double>();
                foreach (var (name, _) in names)
                {
                    var optimizer = optimizers[name];
                    ctx.ApplyLearningRate(optimizer);
                    var loss = Loss(models[name], batch);
                    optimizer.ZeroGrad();
                    loss.Backward();
                    optimizer.Step();
                    metrics[$"{name}/loss"] = loss.Item<float>();
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: _ => names.ToDictionary(m => $"{m.Name}_accuracy", m => Accuracy(models[m.Name], evalBatch, counts).All), run: context.Run);

            var accuracy = names.ToDictionary(m => m.Name, m => Accuracy(models[m.Name], evalBatch, counts));
            var last = timing[^1];
            double speedup = last.LoopMs / last.ChunkedMs[GlaSettings.ClaimChunk];
            var best = last.ChunkedMs.MinBy(kv => kv.Value);
            double gla = accuracy["gla"].All, linear = accuracy["linear"].All;

            bool agrees = worst64 < Float64Tolerance && worst32 < Float32Tolerance;
            bool faster = speedup >= GlaSettings.RequiredSpeedup;
            bool recalls = gla >= s.RequiredAccuracy && gla - linear >= GlaSettings.RequiredGap;
            string softmaxText = accuracy.TryGetValue("softmax", out var sm) ? string.Create(CultureInfo.InvariantCulture, $"; softmax Transformer {sm.All:F3}") : "";
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"forms vs loop: float64 {worst64:0.0E+0} {(worst64 < Float64Tolerance ? "<" : "≥")} {Float64Tolerance:0E+0}, float32 {worst32:0.0E+0} {(worst32 < Float32Tolerance ? "<" : "≥")} {Float32Tolerance:0E+0}; " +
                $"forward+backward at T={last.T}: loop {last.LoopMs:F0} ms, chunked C={GlaSettings.ClaimChunk} {last.ChunkedMs[GlaSettings.ClaimChunk]:F0} ms = {speedup:F1}× {(faster ? "≥" : "<")} {GlaSettings.RequiredSpeedup}× (fastest C={best.Key}, {best.Value:F0} ms); " +
                $"recall accuracy: GLA {gla:F3} {(gla >= s.RequiredAccuracy ? "≥" : "<")} {s.RequiredAccuracy:F2} (overwritten keys {accuracy["gla"].Overwritten:F3}), " +
                $"ungated {linear:F3} (overwritten {accuracy["linear"].Overwritten:F3}; order-blind ceiling {ceiling:F3}), gap {gla - linear:F3} {(gla - linear >= GlaSettings.RequiredGap ? "≥" : "<")} {GlaSettings.RequiredGap}{softmaxText} ({training.Status})");
            var metrics = new Dictionary<string, double>
            {
                ["float64_relative_error"] = worst64,
                ["float32_relative_error"] = worst32,
                ["loop_ms"] = last.LoopMs,
                ["chunked_ms"] = last.ChunkedMs[GlaSettings.ClaimChunk],
                ["speedup"] = speedup,
                ["best_chunk"] = best.Key,
                ["gla_accuracy"] = gla,
                ["linear_accuracy"] = linear,
                ["gla_overwritten_accuracy"] = accuracy["gla"].Overwritten,
                ["linear_overwritten_accuracy"] = accuracy["linear"].Overwritten,
                ["order_blind_ceiling"] = ceiling,
            };
            if (accuracy.TryGetValue("softmax", out var softmax)) metrics["softmax_accuracy"] = softmax.All;
            return new ExperimentResult(agrees && faster && recalls, detail, metrics, training);
        }
        finally
        {
            foreach (var o in optimizers.Values) o.Dispose();
            foreach (var m in models.Values) m.Dispose();
        }
    }
}
