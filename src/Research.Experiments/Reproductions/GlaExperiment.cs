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
/// <param name="TimingRepeats">Alternating timed rounds (median) per measurement.</param>
/// <param name="Seeds">Seeds of both training tasks.</param>
/// <param name="LearningRates">The learning-rate sweep every model gets (tuned on the first seed's validation score).</param>
/// <param name="RecallModels">The models trained on recall (smoke: GLA only).</param>
/// <param name="RecallSteps">Adam steps of every recall model.</param>
/// <param name="RecallBatch">Sequences per recall training step.</param>
/// <param name="EvalEvery">Steps between validation evaluations (both tasks).</param>
/// <param name="RequiredAccuracy">The recall accuracy GLA must reach (every seed).</param>
/// <param name="LmSteps">Adam steps of every character-level language model.</param>
/// <param name="LmBatch">Windows per language-model training step.</param>
/// <param name="LmContext">Characters per window.</param>
/// <param name="CheckLanguageModel">Whether the language-model conditions are part of the claim (not at smoke scale).</param>
public sealed record GlaSettings(int[] TimingLengths, int TimingRepeats, int Seeds, double[] LearningRates, string[] RecallModels, int RecallSteps, int RecallBatch,
    int EvalEvery, double RequiredAccuracy, int LmSteps, int LmBatch, int LmContext, bool CheckLanguageModel)
{
    /// <summary>Length of the float64/float32 agreement check (a multiple of none of the chunk sizes but 1).</summary>
    public const int AgreementLength = 203;

    /// <summary>Chunk sizes of the agreement check (256 &gt; T: one chunk, the fully parallel form).</summary>
    public static readonly int[] AgreementChunks = [1, 7, 16, 64, 256];

    /// <summary>Chunk sizes of the wall-time measurement.</summary>
    public static readonly int[] TimingChunks = [8, 16, 32, 64, 128, 256];

    /// <summary>The chunk size the speed claim is checked at.</summary>
    public const int ClaimChunk = 64;

    /// <summary>How many times faster than the loop the chunked training step must be.</summary>
    public const double RequiredSpeedup = 2;

    /// <summary>GLA's recall accuracy may be at most this far below the tuned softmax Transformer's ("competitive").</summary>
    public const double SoftmaxAccuracyTolerance = 0.02;

    /// <summary>GLA's held-out perplexity may be at most this many times the softmax Transformer's ("competitive").</summary>
    public const double PerplexityRatio = 1.05;

    /// <summary>Distinct keys of the recall task.</summary>
    public const int Keys = 8;

    /// <summary>Distinct values of the recall task.</summary>
    public const int Values = 8;

    /// <summary>Key-value writes per sequence (16 writes of 8 keys: most keys are overwritten).</summary>
    public const int Writes = 16;

    /// <summary>Queries per sequence.</summary>
    public const int Queries = 4;

    /// <summary>Sequences in the fixed test batch of the recall task.</summary>
    public const int EvalSequences = 1024;

    /// <summary>Sequences in the fixed validation batch of the recall task (learning-rate choice).</summary>
    public const int ValidationSequences = 512;

    /// <summary>Model width of both tasks' models.</summary>
    public const int Width = 64;

    /// <summary>Heads of both tasks' models.</summary>
    public const int Heads = 2;

    /// <summary>Blocks of the recall models (one: the ungated model is then provably order-blind).</summary>
    public const int Layers = 1;

    /// <summary>Blocks of the language models.</summary>
    public const int LmLayers = 2;

    /// <summary>Chunk length of the recall models' GLA layers.</summary>
    public const int Chunk = 8;

    /// <summary>Chunk length of the language models' GLA layers.</summary>
    public const int LmChunk = 32;

    /// <summary>
    /// Smoke: timing at T = 512, one seed, one learning rate, 200 recall steps of GLA alone (≥ 0.8), a few language-model steps of GLA alone
    /// (not checked). cpu: T = 1024, 4096; 3 seeds; sweep {1e-3, 3e-3, 1e-2} for every model; 400 recall steps, GLA ≥ 0.9;
    /// 250 language-model steps of 16 × 64 characters. gpu: T up to 16384, 5 seeds, 1500 language-model steps of 32 × 128.
    /// </summary>
    public static GlaSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new([512], 3, Seeds: 1, [3e-3], ["gla"], RecallSteps: 200, RecallBatch: 32, EvalEvery: 100, RequiredAccuracy: 0.8,
            LmSteps: 5, LmBatch: 4, LmContext: 32, CheckLanguageModel: false),
        Scale.Cpu => new([1024, 4096], 3, Seeds: 3, [1e-3, 3e-3, 1e-2], ["gla", "linear", "softmax"], RecallSteps: 400, RecallBatch: 64, EvalEvery: 50,
            RequiredAccuracy: 0.9, LmSteps: 250, LmBatch: 16, LmContext: 64, CheckLanguageModel: true),
        _ => new([1024, 4096, 16384], 5, Seeds: 5, [1e-3, 3e-3, 1e-2], ["gla", "linear", "softmax"], RecallSteps: 600, RecallBatch: 64, EvalEvery: 30,
            RequiredAccuracy: 0.9, LmSteps: 1500, LmBatch: 32, LmContext: 128, CheckLanguageModel: true),
    };
}

/// <summary>Max relative |form − recurrent| of the fully parallel and chunked forms, in float64 and float32 (chunk → error).</summary>
public sealed record GlaAgreement(double Parallel64, double Parallel32, IReadOnlyDictionary<int, double> Chunked64, IReadOnlyDictionary<int, double> Chunked32);

/// <summary>Median wall times (ms, alternating rounds) of one forward + backward pass at length <paramref name="T"/>: the loop and the chunked form per chunk size.</summary>
public sealed record GlaTiming(int T, double LoopMs, IReadOnlyDictionary<int, double> ChunkedMs);

/// <summary>Recall accuracy on the evaluation batch: all queries, queries whose key was written once, and overwritten keys.</summary>
public sealed record RecallAccuracy(double All, double WrittenOnce, double Overwritten);

/// <summary>
/// What the GLA experiment measured, for the notebook to draw: the agreement of the forms, wall times, both tasks' tuning
/// outcomes (recall: test accuracy; language model: held-out nats per character), parameter counts, the order-blind ceiling
/// of the recall test batch, and the first seed's tuned recall GLA (for its gates).
/// </summary>
public sealed record GlaOutcome(GlaAgreement Agreement, IReadOnlyList<GlaTiming> Timing, TuningOutcome Recall, double OrderBlindCeiling,
    IReadOnlyDictionary<string, long> RecallParameters, TuningOutcome LanguageModel, IReadOnlyDictionary<string, long> LmParameters,
    GlaLanguageModel RecallGla);

/// <summary>
/// Yang, Wang, Shen, Panda, Kim (ICML 2024), "Gated Linear Attention Transformers with Hardware-Efficient Training" — the
/// experiment of notebooks/sequence/gla.ipynb. The paper claims GLA Transformers are competitive with a (LLaMA-style)
/// softmax Transformer, better than other linear-attention variants, and efficiently trainable through a chunk-wise form.
/// At toy scale: (1) the recurrent, fully parallel and chunk-wise forms agree (recorded; pinned by unit tests); (2) a
/// forward + backward pass through the chunk-wise form is faster than through the recurrent loop (alternating medians);
/// (3) multi-query associative recall with overwrites: GLA vs a softmax Transformer with the same learning-rate sweep
/// (ungated linear attention, provably capped by <see cref="OrderBlindCeiling"/>, is a marker); (4) a character-level
/// language model on Debian's licence texts (<see cref="LicenseText"/>): GLA vs ungated linear attention vs softmax
/// attention at equal parameters (within 10 %), equal steps and the same sweep, by held-out perplexity.
/// Metrics: <c>agreement/*</c>; <c>timing/loop_ms</c>, <c>timing/speedup</c> (step = T), <c>timing/chunked_ms_T{T}</c> (step
/// = chunk); per seed n and configuration m@lr: <c>seed{n}/recall/{m@lr}/loss</c>, <c>seed{n}/recall/{m@lr}/accuracy</c>
/// (validation), <c>seed{n}/lm/{m@lr}/loss</c>, <c>seed{n}/lm/{m@lr}/validation_nats</c>.
/// </summary>
public sealed class GlaExperiment : IExperiment
{
    /// <summary>The models of both tasks, with their metric names.</summary>
    public static readonly (string Name, SequenceMixer Mixer)[] Models =
        [("gla", SequenceMixer.GatedLinearAttention), ("linear", SequenceMixer.LinearAttention), ("softmax", SequenceMixer.SoftmaxAttention)];

    /// <summary>The largest relative |form − recurrent| expected in float64 (pinned by unit tests; recorded here).</summary>
    public const double Float64Tolerance = 1e-10;

    /// <summary>The largest relative |form − recurrent| expected in float32.</summary>
    public const double Float32Tolerance = 1e-4;

    /// <summary>The generator seed of the fixed recall test batch.</summary>
    public const int EvalSeed = 20231211;

    /// <summary>The generator seed of the fixed recall validation batch.</summary>
    public const int ValidationSeed = 20231212;

    /// <inheritdoc />
    public string Id => "gla";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "Gated linear attention vs softmax and linear attention: recall, a character-level language model, and the chunk-wise form's speed (Yang et al., 2024)";

    /// <inheritdoc />
    public string? Narrower => "about 100 k parameters on CPU: recall with overwrites and a character-level language model of Debian licence text instead of large-scale language modelling; speed compared on CPU only";

    /// <inheritdoc />
    public string Claim =>
        FormattableString.Invariant($"a forward + backward pass through GLA's chunk-wise form (C = {GlaSettings.ClaimChunk}) is ≥ {GlaSettings.RequiredSpeedup}× faster than through ") +
        FormattableString.Invariant($"the recurrent loop at T = 4096 (smoke 512); on associative recall with overwrites a one-block GLA reaches ≥ 0.9 accuracy (smoke 0.8) in ") +
        FormattableString.Invariant($"every seed and is within {GlaSettings.SoftmaxAccuracyTolerance} of a softmax Transformer given the same learning-rate sweep; and as a ") +
        FormattableString.Invariant($"character-level language model on held-out Debian licence text, at equal parameters (±10 %) and steps, GLA has a lower perplexity than ") +
        FormattableString.Invariant($"ungated linear attention and at most {GlaSettings.PerplexityRatio}× the softmax Transformer's, in every seed (cpu: 3 seeds; smoke checks ") +
        "speed and recall only)";

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
    /// Median wall times over <paramref name="repeats"/> alternating rounds (<see cref="AlternatingTimer"/>) of one forward +
    /// backward pass through the GLA recurrence of one layer (batch 1, 2 heads, d_k = 16 and d_v = 32 per head, float32, gates
    /// as in the layer) at length <paramref name="length"/>: the recurrent loop and the chunk-wise form for every chunk size.
    /// </summary>
    public static GlaTiming Timing(int length, int[] chunks, int repeats, ulong seed)
    {
        using var scope = NewScope();
        ManualSeed(seed);
        var q = (Tensor.RandN(1, 2, length, 16) * 0.25).RequiresGrad_();
        var k = Tensor.RandN(1, 2, length, 16).RequiresGrad_();
        var v = Tensor.RandN(1, 2, length, 32).RequiresGrad_();
        var z = (Tensor.RandN(1, 2, length, 16) * 2).RequiresGrad_();
        Action Pass(Func<Tensor, (Tensor Output, Tensor State)> form) => () =>
        {
            using var s = NewScope();
            form(z.LogSigmoid() / 16).Output.Square().Mean().Backward();
        };
        var sides = new List<Action> { Pass(a => GatedLinearAttention.Recurrent(q, k, v, a)) };
        sides.AddRange(chunks.Select(c => Pass(a => GatedLinearAttention.Chunked(q, k, v, a, chunk: c))));
        var ms = AlternatingTimer.MedianMilliseconds(sides, repeats);
        return new GlaTiming(length, ms[0], chunks.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => ms[x.i + 1]));
    }

    /// <summary>A recall model of the experiment's size with the given token mixer (draws from the current libtorch seed).</summary>
    public static GlaLanguageModel CreateModel(SequenceMixer mixer, Device? device = null) =>
        new(new GlaModelConfig(SyntheticTasks.RecallVocabulary(GlaSettings.Keys, GlaSettings.Values), GlaSettings.Width, GlaSettings.Layers, GlaSettings.Heads, mixer,
            Chunk: GlaSettings.Chunk, MaxLength: GlaSettings.Writes + GlaSettings.Queries), device: device);

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

    /// <summary>The fixed validation batch of the recall task (<see cref="GlaSettings.ValidationSequences"/> sequences).</summary>
    public static TaskBatch ValidationBatch(Device? device = null) => MakeBatch(GlaSettings.ValidationSequences, ValidationSeed, device);

    /// <summary>A character-level language model of the experiment's size with the given token mixer (draws from the current libtorch seed).</summary>
    public static GlaLanguageModel CreateLanguageModel(SequenceMixer mixer, int context, Device? device = null) =>
        new(new GlaModelConfig(LicenseText.Vocabulary, GlaSettings.Width, GlaSettings.LmLayers, GlaSettings.Heads, mixer,
            Chunk: GlaSettings.LmChunk, MaxLength: context), device: device);

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = GlaSettings.For(context.Scale);
        var device = context.Device;
        var seeds = Enumerable.Range(0, s.Seeds).Select(i => context.Seed + (ulong)i).ToArray();
        context.Run.AddHyperparameters(new
        {
            agreement_length = GlaSettings.AgreementLength, agreement_chunks = GlaSettings.AgreementChunks, timing_lengths = s.TimingLengths,
            timing_chunks = GlaSettings.TimingChunks, timing_rounds = s.TimingRepeats, timing_threads = 1, claim_chunk = GlaSettings.ClaimChunk,
            seeds = s.Seeds, learning_rates = s.LearningRates, keys = GlaSettings.Keys, values = GlaSettings.Values, writes = GlaSettings.Writes,
            queries = GlaSettings.Queries, width = GlaSettings.Width, heads = GlaSettings.Heads, recall_layers = GlaSettings.Layers,
            recall_chunk = GlaSettings.Chunk, recall_steps = s.RecallSteps, recall_batch = s.RecallBatch, eval_every = s.EvalEvery,
            lm_layers = GlaSettings.LmLayers, lm_chunk = GlaSettings.LmChunk, lm_steps = s.LmSteps, lm_batch = s.LmBatch, lm_context = s.LmContext,
        });

        // (1) three forms agree (an identity, pinned by unit tests; recorded for the notebook)
        var agreement = Agreement(context.Seed);
        context.Run.Record(0, "agreement/parallel_float64", agreement.Parallel64);
        context.Run.Record(0, "agreement/parallel_float32", agreement.Parallel32);
        foreach (var (chunk, error) in agreement.Chunked64) context.Run.Record(chunk, "agreement/chunked_float64", error);
        foreach (var (chunk, error) in agreement.Chunked32) context.Run.Record(chunk, "agreement/chunked_float32", error);
        double worst64 = Math.Max(agreement.Parallel64, agreement.Chunked64.Values.Max());
        double worst32 = Math.Max(agreement.Parallel32, agreement.Chunked32.Values.Max());
        context.Run.Log(string.Create(CultureInfo.InvariantCulture, $"agreement with the loop: float64 ≤ {worst64:0.0E+0}, float32 ≤ {worst32:0.0E+0}"));

        // (2) wall time against chunk size, one thread, sides alternating
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
                    $"T={length} (threads {NumThreads}): loop {t.LoopMs:F1} ms; chunked {string.Join(", ", t.ChunkedMs.Select(kv => string.Create(CultureInfo.InvariantCulture, $"C={kv.Key} {kv.Value:F1} ms")))}"));
            }

        var names = Models.Select(m => m.Name).ToArray();
        var mixers = Models.ToDictionary(m => m.Name, m => m.Mixer);

        // (3) recall: every model gets the same sweep; the first seed's models are kept for the gates picture
        using var validation = ValidationBatch(device);
        using var test = EvaluationBatch(device);
        var counts = WriteCounts(test);
        var validationCounts = WriteCounts(validation);
        double ceiling = OrderBlindCeiling(test);
        var kept = new Dictionary<string, GlaLanguageModel>();
        var recallParameters = new Dictionary<string, long>();
        var recall = LearningRateTuning.Run(s.RecallModels, s.LearningRates, seeds, (seed, configs) => SideBySideTraining.Train(context, seed, configs, "recall", s.RecallSteps, s.EvalEvery,
            name => { var m = CreateModel(mixers[name], device); recallParameters[name] = m.ParameterCount(); return m; },
            (step, seedBits) => RecallBatch(s.RecallBatch, seedBits, device), Loss,
            m => ("accuracy", Accuracy(m, validation, validationCounts).All),
            m => (Accuracy(m, validation, validationCounts).All, Accuracy(m, test, counts).All), seed == seeds[0] ? kept : null), higherIsBetter: true);
        var recallGla = kept[SideBySideTraining.ConfigName("gla", recall.Chosen["gla"])];
        foreach (var model in kept.Values) if (model != recallGla) model.Dispose();

        // (4) character-level language model on held-out licence text
        var text = LicenseText.Load();
        using var lmValidation = LicenseText.EvaluationWindows(text.Validation, s.LmContext, device);
        using var lmTest = LicenseText.EvaluationWindows(text.Test, s.LmContext, device);
        var lmParameters = new Dictionary<string, long>();
        var lmNames = s.CheckLanguageModel ? names : s.RecallModels;   // unchecked (smoke): the recall models only
        var lm = LearningRateTuning.Run(lmNames, s.LearningRates, seeds, (seed, configs) => SideBySideTraining.Train(context, seed, configs, "lm", s.LmSteps, s.EvalEvery,
            name => { var m = CreateLanguageModel(mixers[name], s.LmContext, device); lmParameters[name] = m.ParameterCount(); return m; },
            (step, seedBits) => text.TrainBatch(s.LmBatch, s.LmContext, seedBits, device), SideBySideTraining.NextTokenLoss,
            m => ("validation_nats", SideBySideTraining.NatsPerToken(m, lmValidation)),
            m => (SideBySideTraining.NatsPerToken(m, lmValidation), SideBySideTraining.NatsPerToken(m, lmTest)), null), higherIsBetter: false);

        // the claim
        var last = timing[^1];
        double speedup = last.LoopMs / last.ChunkedMs[GlaSettings.ClaimChunk];
        var check = new ClaimCheck()
            .AtLeast($"forward+backward speed-up of the chunk-wise form (C = {GlaSettings.ClaimChunk}) over the loop at T = {last.T}", speedup, GlaSettings.RequiredSpeedup, "F1")
            .AtLeast("GLA recall accuracy (test batch)", recall.Test["gla"], s.RequiredAccuracy, format: "F3");
        if (recall.Test.TryGetValue("softmax", out var softmaxRecall))
            check.AtLeast("GLA − tuned softmax Transformer recall accuracy", recall.Test["gla"].Minus(softmaxRecall), -GlaSettings.SoftmaxAccuracyTolerance, format: "F3");
        var lmPerplexity = lm.Test.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value.Values.Select(Math.Exp)));
        SeedSummary? ratio = lm.Test.TryGetValue("softmax", out var softmaxNats)
            ? new SeedSummary(lm.Test["gla"].Values.Zip(softmaxNats.Values, (g, m) => Math.Exp(g - m))) : null;
        if (s.CheckLanguageModel && ratio is not null)
            check.AtMost("GLA − linear attention held-out nats/char", lm.Test["gla"].Minus(lm.Test["linear"]), 0, format: "F3")
                 .AtMost("GLA / softmax Transformer held-out perplexity", ratio, GlaSettings.PerplexityRatio, format: "F3");

        var metrics = new Dictionary<string, double>
        {
            ["float64_relative_error"] = worst64,
            ["float32_relative_error"] = worst32,
            ["loop_ms"] = last.LoopMs,
            ["chunked_ms"] = last.ChunkedMs[GlaSettings.ClaimChunk],
            ["speedup"] = speedup,
            ["order_blind_ceiling"] = ceiling,
        };
        if (ratio is not null) metrics["lm_softmax_ratio"] = ratio.Mean;
        foreach (var name in names)
        {
            if (recall.Test.TryGetValue(name, out var accuracy))
            {
                metrics[$"{name}_accuracy"] = accuracy.Mean;
                metrics[$"{name}_accuracy_spread"] = accuracy.Spread;
                metrics[$"{name}_recall_lr"] = recall.Chosen[name];
            }
            if (!lmPerplexity.TryGetValue(name, out var perplexity)) continue;
            metrics[$"{name}_perplexity"] = perplexity.Mean;
            metrics[$"{name}_perplexity_spread"] = perplexity.Spread;
            metrics[$"{name}_lm_lr"] = lm.Chosen[name];
        }
        foreach (var (mixer, count) in lmParameters) metrics[$"lm_parameters_{mixer}"] = count;
        context.Run.Log("recall parameters: " + string.Join(", ", recallParameters.Select(kv => $"{kv.Key} {kv.Value}")) +
                        "; language-model parameters: " + string.Join(", ", lmParameters.Select(kv => $"{kv.Key} {kv.Value}")));
        var outcome = new GlaOutcome(agreement, timing, recall, ceiling, recallParameters, lm, lmParameters, recallGla);
        return check.Result(metrics, outcome: outcome);
    }
}
