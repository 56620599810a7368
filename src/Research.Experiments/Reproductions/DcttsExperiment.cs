using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Speech;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the DCTTS experiment at one scale.</summary>
/// <param name="Model">The Text2Mel network.</param>
/// <param name="Phrases">Phrases rendered by espeak-ng (training + held out).</param>
/// <param name="HeldOut">Held-out (test) phrases: word combinations never trained on; the claim reads only these.</param>
/// <param name="Validation">Validation phrases, drawn after the others (<see cref="PhraseCorpus"/>'s <c>validation</c>: unseen word
/// combinations of trained words, never test phrases); they only choose the learning rates.</param>
/// <param name="Steps">Adam steps of every variant.</param>
/// <param name="Batch">Training phrases per step (the same phrases for every variant).</param>
/// <param name="LearningRates">Adam's learning rates swept for every variant on the first seed (<see cref="LearningRateTuning"/>:
/// lowest final validation mel L1); gradients clipped to norm 1.</param>
/// <param name="Seeds">Seeds (initialisation and batch order; the corpus stays the same).</param>
/// <param name="EvalEvery">Steps between held-out evaluations (and at step 0 and the end).</param>
/// <param name="FullClaim">Whether the full claim is checked (cpu, gpu) or the smoke form.</param>
/// <param name="GriffinLimIterations">Griffin-Lim iterations of the audio examples.</param>
public sealed record DcttsSettings(Text2MelConfig Model, int Phrases, int HeldOut, int Validation, int Steps, int Batch, double[] LearningRates,
    int Seeds, int EvalEvery, bool FullClaim, int GriffinLimIterations)
{
    /// <summary>Weight λ of the guided-attention loss (0 for the unguided variant).</summary>
    public const double GuidedWeight = 1.0;

    /// <summary>Held-out guided cost (g = 0.2) at or below which an attention counts as diagonal…</summary>
    public const double MaxCost = 0.2;

    /// <summary>…together with a held-out focus at or above this.</summary>
    public const double MinFocus = 0.5;

    /// <summary>The unguided variant must need at least this many times the guided variant's steps to reach the diagonal ("far fewer").</summary>
    public const double MinStepRatio = 2.0;

    /// <summary>Seed of the phrase draw (the corpus is the same for every seed and scale).</summary>
    public const int CorpusSeed = 7;

    /// <summary>
    /// smoke: 24 phrases, e = d = 16, 20 steps of 4 phrases at lr 2e-3 (no sweep), one seed; cpu: 400 phrases + 16 validation
    /// phrases, e = d = 32, r = 2, 40 bands, 300 steps of 16 phrases, sweep {1e-3, 2e-3, 4e-3, 8e-3}, 5 seeds (3 left margins
    /// below twice the seed-to-seed spread); gpu: 2000 phrases + 32 validation, the paper's e = 128, d = 256, r = 4 (80 bands would need a
    /// corpus re-render; 40 kept), 5000 steps, sweep {3e-4, 1e-3, 3e-3}, 5 seeds.
    /// </summary>
    public static DcttsSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new Text2MelConfig(Embedding: 16, Channels: 16, Reduction: 2), 24, 4, Validation: 0, Steps: 20, Batch: 4,
            LearningRates: [2e-3], Seeds: 1, EvalEvery: 10, FullClaim: false, GriffinLimIterations: 2),
        Scale.Cpu => new(new Text2MelConfig(Embedding: 32, Channels: 32, Reduction: 2), 400, 16, Validation: 16, Steps: 300, Batch: 16,
            LearningRates: [1e-3, 2e-3, 4e-3, 8e-3], Seeds: 5, EvalEvery: 20, FullClaim: true, GriffinLimIterations: 32),
        _ => new(new Text2MelConfig(Embedding: 128, Channels: 256, Reduction: 4), 2000, 32, Validation: 32, Steps: 5000, Batch: 32,
            LearningRates: [3e-4, 1e-3, 3e-3], Seeds: 5, EvalEvery: 100, FullClaim: true, GriffinLimIterations: 64),
    };
}

/// <summary>One held-out evaluation (teacher-forced): guided cost and focus of the attention, masked L1 of the standardised log-mel.</summary>
public sealed record DcttsEvaluation(long Step, double Cost, double Focus, double L1)
{
    /// <summary>Whether the attention counts as diagonal (<see cref="DcttsSettings.MaxCost"/>, <see cref="DcttsSettings.MinFocus"/>).</summary>
    public bool Diagonal => Cost <= DcttsSettings.MaxCost && Focus >= DcttsSettings.MinFocus;
}

/// <summary>What the DCTTS notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">Text2Mel's parameters (the same for every variant).</param>
/// <param name="Tuning">The learning rate chosen per variant, the first seed's validation mel L1 at every swept rate, and the held-out
/// mel L1 of every seed at the chosen rate.</param>
/// <param name="Curves">Per variant (at its chosen learning rate), per seed, the held-out evaluations in order (step 0 first).</param>
/// <param name="StepsToDiagonal">Per variant, the first evaluated step with a diagonal held-out attention, per seed (not reached: steps + eval interval, a lower bound).</param>
/// <param name="Reached">Per variant, the seeds that reached the diagonal.</param>
/// <param name="FinalL1">Per variant, held-out teacher-forced mel L1 (standardised log-mel) at the end, per seed.</param>
/// <param name="Text">Seed 0's example: the first held-out phrase.</param>
/// <param name="Snapshots">Per variant, seed 0's attention on the example at every evaluation, rows = characters (a heatmap's y): [evaluation][character][decoder step].</param>
/// <param name="TargetMel">The example's log-mel [frames][bands].</param>
/// <param name="TeacherForcedMel">Per variant, seed 0's teacher-forced prediction of the example's log-mel [frames][bands].</param>
/// <param name="FreeRunningMel">Per variant, seed 0's free-running synthesis of the example's log-mel [frames][bands].</param>
/// <param name="FreeRunningAttention">Per variant, seed 0's free-running attention on the example [character][decoder step].</param>
/// <param name="Waves">The example: espeak-ng's audio ("espeak"), Griffin-Lim of its mel ("target mel"), and per variant of the predictions ("{variant}, teacher-forced", "{variant}, free-running").</param>
/// <param name="SampleRate">Sample rate of the waves.</param>
public sealed record DcttsOutcome(DcttsSettings Settings, long Parameters, TuningOutcome Tuning, IReadOnlyDictionary<string, DcttsEvaluation[][]> Curves,
    IReadOnlyDictionary<string, SeedSummary> StepsToDiagonal, IReadOnlyDictionary<string, int> Reached, IReadOnlyDictionary<string, SeedSummary> FinalL1,
    string Text, IReadOnlyDictionary<string, double[][][]> Snapshots, double[][] TargetMel, IReadOnlyDictionary<string, double[][]> TeacherForcedMel,
    IReadOnlyDictionary<string, double[][]> FreeRunningMel, IReadOnlyDictionary<string, double[][]> FreeRunningAttention,
    IReadOnlyDictionary<string, float[]> Waves, int SampleRate)
{
    /// <summary>Steps to the diagonal, unguided ÷ guided, per seed (a lower bound where the unguided model never got there).</summary>
    public SeedSummary StepRatio => new(StepsToDiagonal["unguided"].Values.Zip(StepsToDiagonal["guided"].Values, (u, g) => u / g));
}

/// <summary>
/// Tachibana, Uenoyama &amp; Aihara (2018), "Efficiently Trainable Text-to-Speech System Based on Deep Convolutional Networks with
/// Guided Attention" — the experiment of notebooks/audio/dctts.ipynb. The same <see cref="Text2Mel"/> (same initialisation per
/// seed, same batches, same learning-rate sweep) is trained teacher-forced on espeak-ng phrases (<see cref="PhraseCorpus"/>) three
/// ways: <c>guided</c> (L1 + λ·guided-attention cost, λ = 1), <c>unguided</c> (λ = 0) and the control <c>shuffled</c> (guided,
/// but every phrase is paired with another phrase's text, so the attention can be pushed to the diagonal without the text
/// telling anything). Every variant's learning rate is chosen by <see cref="LearningRateTuning"/>: on the first seed every
/// rate of <see cref="DcttsSettings.LearningRates"/> is trained and the one with the lowest final mel L1 on the validation phrases
/// (unseen word combinations, disjoint from the test phrases) is kept; every seed then trains at the chosen rates. Every
/// <see cref="DcttsSettings.EvalEvery"/> steps the held-out (test) phrases are run teacher-forced and the attention scored
/// (<see cref="AttentionAlignment"/>). Claim: the guided variant's held-out attention becomes diagonal (cost ≤ 0.2, focus ≥ 0.5)
/// in every seed, in ≥ 2× fewer steps than the unguided one's (not reached counts as the budget, a lower bound), and its final
/// held-out mel L1 is lower than the unguided variant's and than the shuffled-text control's. The configurations of a seed train
/// on two threads (each thread draws the same batches). Metrics: <c>seed{n}/{variant@lr}/loss</c>, <c>…/l1</c>,
/// <c>…/guided_cost</c> per step; <c>…/heldout_cost</c>, <c>…/heldout_focus</c>, <c>…/heldout_l1</c> at the evaluations;
/// <c>…/validation_l1</c> at the end.
/// </summary>
public sealed class DcttsExperiment : IExperiment
{
    /// <summary>The variants: guided, unguided, and the shuffled-text control.</summary>
    public static readonly string[] Variants = ["guided", "unguided", "shuffled"];

    /// <inheritdoc />
    public string Id => "dctts";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "DCTTS: fully convolutional text-to-mel with guided attention (Tachibana, Uenoyama & Aihara, 2018)";

    /// <inheritdoc />
    public string? Narrower => "espeak-ng phrases from a small grammar (one voice, 40 mel bands) instead of LJSpeech; Text2Mel only (no SSRN: " +
        "Griffin-Lim from the mel); e = d = 32, r = 2, 300 steps; L1 on standardised log-mels without the binary divergence; alignment measured " +
        "teacher-forced on held-out phrases; at cpu scale (5 seeds, each variant at its tuned rate, every chosen rate inside the sweep) " +
        "the alignment holds (diagonal at step 40–60 in 5/5 seeds, never without guidance: 7.5× fewer steps) but the held-out mel L1 " +
        "conditions fail (the unguided model's teacher-forced L1 is lower in 5/5 seeds; the shuffled-text control's in 2/5)";

    /// <inheritdoc />
    public string Claim => FormattableString.Invariant(
        $"with the guided-attention loss (λ = {DcttsSettings.GuidedWeight}, g = 0.2) Text2Mel's teacher-forced attention on held-out phrases ") +
        FormattableString.Invariant($"becomes diagonal (guided cost ≤ {DcttsSettings.MaxCost}, focus ≥ {DcttsSettings.MinFocus}) in every seed, ") +
        FormattableString.Invariant($"in ≥ {DcttsSettings.MinStepRatio}× fewer steps than the same model trained without it (same data, ") +
        "steps and learning-rate sweep; not reached counts as the budget), and its held-out mel L1 at the end is below the unguided model's " +
        "(mean, all but one seed) and below a guided model trained on mismatched text (every seed); each of the three variants gets the " +
        $"same sweep ({string.Join(", ", DcttsSettings.For(Scale.Cpu).LearningRates.Select(lr => lr.ToString("G3", CultureInfo.InvariantCulture)))}), " +
        $"its rate chosen on the first seed by the lowest mel L1 on {DcttsSettings.For(Scale.Cpu).Validation} validation phrases " +
        "(unseen word combinations, disjoint from the test phrases); " +
        "5 seeds (smoke: one seed, 20 steps, no sweep; the guided model's held-out guided cost ends below the unguided one's and its " +
        "held-out mel L1 falls)";

    /// <summary>The corpus of a scale: training and held-out (test) phrases, and the validation phrases drawn after them
    /// (<see cref="PhraseCorpus"/>'s <c>validation</c>); rendered once per machine, then cached.</summary>
    public static PhraseCorpus Corpus(DcttsSettings s) =>
        new(s.Phrases, s.HeldOut, DcttsSettings.CorpusSeed, melBands: s.Model.MelBands, validation: s.Validation);

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = DcttsSettings.For(context.Scale);
        var corpus = Corpus(s);
        var (mean, std) = corpus.Statistics();
        var seeds = context.Seeds(s.Seeds);
        long parameters;
        using (var probe = new Text2Mel(s.Model)) parameters = probe.ParameterCount();
        using var validation = new EvalSet(corpus.Validation.ToArray(), s.Model.Reduction, mean, std, context.Device);
        using var test = new EvalSet(corpus.HeldOut.ToArray(), s.Model.Reduction, mean, std, context.Device);
        context.Run.AddHyperparameters(new
        {
            model = s.Model.ToString(), parameters, s.Phrases, s.HeldOut, s.Steps, s.Batch,
            learning_rates = string.Join(",", s.LearningRates.Select(lr => lr.ToString(CultureInfo.InvariantCulture))), s.Seeds, s.EvalEvery,
            guided_weight = DcttsSettings.GuidedWeight, max_cost = DcttsSettings.MaxCost, min_focus = DcttsSettings.MinFocus,
            mel_mean = mean, mel_std = std, train = corpus.Train.Count, held_out = test.Count, validation = validation.Count,
        });
        context.Run.Log(string.Create(CultureInfo.InvariantCulture,
            $"Text2Mel: {parameters} parameters; {corpus.Train.Count} training, {validation.Count} validation and {test.Count} held-out phrases; log-mel mean {mean:F2}, std {std:F2}"));

        var runs = new Dictionary<(int Seed, string Config), ConfigRun>();
        var kept = new Dictionary<string, Text2Mel>();
        try
        {
            var tuning = LearningRateTuning.Run(Variants, s.LearningRates, seeds, (seed, configs) =>
            {
                int index = seeds.ToList().IndexOf(seed);
                var trained = TrainSeed(context, s, corpus, mean, std, test, validation, index, seed, configs);
                for (int i = 0; i < configs.Count; i++)
                {
                    var name = SideBySideTraining.ConfigName(configs[i].Model, configs[i].LearningRate);
                    runs[(index, name)] = trained[i];
                    if (index == 0) kept[name] = trained[i].Net;
                    else trained[i].Net.Dispose();
                }
                return trained.Select(r => new ScoredRun(r.ValidationL1, r.Curve[^1].L1)).ToArray();
            }, higherIsBetter: false);
            var chosen = Variants.ToDictionary(v => v, v => SideBySideTraining.ConfigName(v, tuning.Chosen[v]));
            context.Run.Log("chosen on seed 0's validation mel L1: " + string.Join("; ", Variants.Select(v => $"{chosen[v]} (" +
                string.Join(", ", tuning.Sweep[v].Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key:G3}: {kv.Value:F3}"))) + ")")));
            return Finish(s, corpus, test, mean, std, parameters, seeds.Count, tuning,
                Variants.ToDictionary(v => v, v => Enumerable.Range(0, seeds.Count).Select(i => runs[(i, chosen[v])]).ToArray()),
                Variants.ToDictionary(v => v, v => kept[chosen[v]]));
        }
        finally
        {
            foreach (var net in kept.Values) net.Dispose();
        }
    }

    private static ExperimentResult Finish(DcttsSettings s, PhraseCorpus corpus, EvalSet test, double mean, double std, long parameters, int seeds,
        TuningOutcome tuning, Dictionary<string, ConfigRun[]> chosen, Dictionary<string, Text2Mel> firstSeed)
    {
        var curves = Variants.ToDictionary(v => v, v => chosen[v].Select(r => r.Curve).ToArray());
        var stepsTo = Variants.ToDictionary(v => v, v => new SeedSummary(curves[v].Select(c =>
            (double)(c.FirstOrDefault(e => e.Diagonal)?.Step ?? s.Steps + s.EvalEvery))));
        var reached = Variants.ToDictionary(v => v, v => curves[v].Count(c => c.Any(e => e.Diagonal)));
        var finalL1 = Variants.ToDictionary(v => v, v => new SeedSummary(curves[v].Select(c => c[^1].L1)));
        var finalCost = Variants.ToDictionary(v => v, v => new SeedSummary(curves[v].Select(c => c[^1].Cost)));

        var check = new ClaimCheck();
        if (s.FullClaim)
        {
            check.That($"guided: held-out attention diagonal (cost ≤ {DcttsSettings.MaxCost}, focus ≥ {DcttsSettings.MinFocus}) in every seed",
                    reached["guided"] == seeds, $"{reached["guided"]}/{seeds} seeds")
                .AtLeast("steps to the diagonal, unguided ÷ guided", new SeedSummary(stepsTo["unguided"].Values.Zip(stepsTo["guided"].Values,
                    (u, g) => u / g)), DcttsSettings.MinStepRatio, format: "F2")
                .AtMost("held-out mel L1, guided − unguided", finalL1["guided"].Minus(finalL1["unguided"]), 0,
                    minSeeds: Math.Max(1, seeds - 1), format: "F3")
                .AtMost("held-out mel L1, guided − shuffled-text control", finalL1["guided"].Minus(finalL1["shuffled"]), 0, format: "F3");
        }
        else
        {
            check.AtMost("held-out guided cost at the end, guided − unguided", finalCost["guided"].Minus(finalCost["unguided"]), 0, format: "F3")
                .AtMost("held-out mel L1 of the guided model, end ÷ step 0", new SeedSummary(curves["guided"].Select(c => c[^1].L1 / c[0].L1)), 1,
                    format: "F3");
        }
        var metrics = new Dictionary<string, double> { ["parameters"] = parameters };
        foreach (var v in Variants)
        {
            metrics[$"{v}_lr"] = tuning.Chosen[v];
            metrics[$"{v}_steps_to_diagonal"] = stepsTo[v].Mean;
            metrics[$"{v}_reached"] = reached[v];
            metrics[$"{v}_heldout_l1"] = finalL1[v].Mean;
            metrics[$"{v}_heldout_cost"] = finalCost[v].Mean;
            metrics[$"{v}_heldout_focus"] = curves[v].Average(c => c[^1].Focus);
        }
        var example = Synthesise(s, test, mean, std, firstSeed, Variants.ToDictionary(v => v, v => chosen[v][0].Snapshots!));
        return check.Result(metrics, outcome: new DcttsOutcome(s, parameters, tuning, curves, stepsTo, reached, finalL1, test.Phrases[0].Text,
            example.Snapshots, example.Target, example.TeacherForced, example.FreeRunning, example.FreeRunningAttention,
            Waves(s, corpus, test.Phrases[0], example), corpus.SampleRate));
    }

    /// <summary>Training-side tensors of a batch: text [B, N] and its lengths, targets and teacher-forcing input [B, S, r·F], decoder steps [B].</summary>
    public sealed record StepBatch(Tensor Text, Tensor TextLengths, Tensor Targets, Tensor Input, Tensor Steps);

    /// <summary>
    /// Standardises <paramref name="batch"/>'s log-mel with (<paramref name="mean"/>, <paramref name="std"/>), stacks r frames per
    /// decoder step (<see cref="Text2Mel.Stack"/>; padding steps hold the standardised floor) and shifts it for teacher forcing;
    /// decoder steps per item = ⌈frames / r⌉. The tensors belong to the caller's scope.
    /// </summary>
    public static StepBatch Prepare(PhraseBatch batch, int reduction, double mean, double std)
    {
        var targets = Text2Mel.Stack((batch.Mel - mean) / std, reduction, (Math.Log(PhraseCorpus.Floor) - mean) / std);
        var steps = (batch.MelLengths + (reduction - 1)).Div(Tensor.Full([1], reduction, DType.Int64, batch.MelLengths.Device), roundingMode: "floor");
        return new StepBatch(batch.Text, batch.TextLengths, targets, Text2Mel.Shifted(targets), steps);
    }

    /// <summary>Mean |Y − Y*| over the valid decoder steps and all channels.</summary>
    public static Tensor MaskedL1(Tensor predicted, Tensor targets, Tensor steps)
    {
        using var scope = NewScope();
        var valid = (Tensor.Arange(predicted.Size(1), device: predicted.Device).Unsqueeze(0) < steps.Unsqueeze(1)).To(predicted.DType).Unsqueeze(2);
        return scope.Keep(((predicted - targets).Abs() * valid).Sum() / (valid.Sum() * predicted.Size(2)));
    }

    /// <summary>A fixed set of phrases prepared once for teacher-forced evaluation (read by every training thread).</summary>
    private sealed class EvalSet : IDisposable
    {
        private readonly PhraseBatch? _raw;

        public EvalSet(SpokenPhrase[] phrases, int reduction, double mean, double std, Device device)
        {
            Phrases = phrases;
            if (phrases.Length == 0) return;
            _raw = PhraseCorpus.Batch(phrases, device);
            using var scope = NewScope();
            var b = Prepare(_raw, reduction, mean, std);
            Prepared = b with { Targets = b.Targets.DetachFromScope(), Input = b.Input.DetachFromScope(), Steps = b.Steps.DetachFromScope() };
        }

        public SpokenPhrase[] Phrases { get; }

        public int Count => Phrases.Length;

        public StepBatch? Prepared { get; }

        public PhraseBatch Raw => _raw ?? throw new InvalidOperationException("the evaluation set is empty");

        public StepBatch Batch => Prepared ?? throw new InvalidOperationException("the evaluation set is empty");

        public void Dispose()
        {
            Prepared?.Targets.Dispose();
            Prepared?.Input.Dispose();
            Prepared?.Steps.Dispose();
            _raw?.Dispose();
        }
    }

    private sealed record Example(IReadOnlyDictionary<string, double[][][]> Snapshots, double[][] Target, IReadOnlyDictionary<string, double[][]> TeacherForced,
        IReadOnlyDictionary<string, double[][]> FreeRunning, IReadOnlyDictionary<string, double[][]> FreeRunningAttention);

    /// <summary>One trained configuration of one seed: held-out curve, final validation mel L1 (NaN without validation phrases),
    /// seed 0's attention snapshots, and the network (the caller disposes it).</summary>
    private sealed record ConfigRun(DcttsEvaluation[] Curve, double ValidationL1, double[][][]? Snapshots, Text2Mel Net);

    /// <summary>
    /// Trains the (variant, learning rate) configurations of one seed: every network starts from the same initialisation
    /// (libtorch seed + 1); the configurations are split over two threads, each drawing the same batch sequence from <paramref name="seed"/>.
    /// </summary>
    private static ConfigRun[] TrainSeed(ExperimentContext context, DcttsSettings s, PhraseCorpus corpus, double mean, double std, EvalSet test,
        EvalSet validation, int index, ulong seed, IReadOnlyList<(string Model, double LearningRate)> configs)
    {
        var nets = configs.Select(_ => { ManualSeed(seed + 1); return new Text2Mel(s.Model, device: context.Device); }).ToArray();
        var results = new ConfigRun[configs.Count];
        try
        {
            int threads = Math.Min(2, Environment.ProcessorCount);
            var groups = Enumerable.Range(0, threads).Select(t => Enumerable.Range(0, configs.Count).Where(i => i % threads == t).ToArray())
                .Where(g => g.Length > 0).ToArray();
            Parallel.ForEach(groups, new ParallelOptions { MaxDegreeOfParallelism = threads }, group =>
            {
                using var perThread = ThreadLimit.ForSmallModels();
                var trained = TrainSideBySide(context, s, corpus, mean, std, test, validation, index, seed,
                    group.Select(i => (configs[i].Model, configs[i].LearningRate, nets[i])).ToArray());
                for (int j = 0; j < group.Length; j++) results[group[j]] = trained[j];
            });
            return results;
        }
        catch
        {
            foreach (var n in nets) n.Dispose();
            throw;
        }
    }

    private static ConfigRun[] TrainSideBySide(ExperimentContext context, DcttsSettings s, PhraseCorpus corpus, double mean, double std,
        EvalSet test, EvalSet validation, int index, ulong seed, (string Variant, double LearningRate, Text2Mel Net)[] runs)
    {
        var names = runs.Select(r => SideBySideTraining.ConfigName(r.Variant, r.LearningRate)).ToArray();
        var optimizers = runs.Select(r => new Adam(r.Net.Parameters(), lr: r.LearningRate)).ToArray();
        var curves = runs.Select(_ => new List<DcttsEvaluation>()).ToArray();
        var snapshots = runs.Select(_ => new List<double[][]>()).ToArray();
        var held = test.Batch;
        var random = new Random((int)(seed % int.MaxValue));
        try
        {
            void Evaluate(long step)
            {
                using var scope = NewScope();
                using var noGrad = NoGrad();
                for (int k = 0; k < runs.Length; k++)
                {
                    using var output = runs[k].Net.Forward(held.Text, held.Input);
                    var e = new DcttsEvaluation(step, AttentionAlignment.GuidedCost(output.Attention, held.TextLengths, held.Steps).Item<float>(),
                        AttentionAlignment.Focus(output.Attention, held.TextLengths, held.Steps).Item<float>(),
                        MaskedL1(output.Mel, held.Targets, held.Steps).Item<float>());
                    curves[k].Add(e);
                    context.Run.Record(step, $"seed{index}/{names[k]}/heldout_cost", e.Cost);
                    context.Run.Record(step, $"seed{index}/{names[k]}/heldout_focus", e.Focus);
                    context.Run.Record(step, $"seed{index}/{names[k]}/heldout_l1", e.L1);
                    if (index == 0) snapshots[k].Add(Matrix(output.Attention[0], held.Steps[0].Item<long>(), held.TextLengths[0].Item<long>()));
                }
            }

            Evaluate(0);
            for (int step = 1; step <= s.Steps; step++)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                using var scope = NewScope();
                var phrases = Enumerable.Range(0, s.Batch).Select(_ => corpus.Train[random.Next(corpus.Train.Count)]).ToArray();
                using var raw = PhraseCorpus.Batch(phrases, context.Device);
                var b = Prepare(raw, s.Model.Reduction, mean, std);
                for (int k = 0; k < runs.Length; k++)
                {
                    var (text, textLengths) = runs[k].Variant == "shuffled" ? (b.Text.Roll(1, 0), b.TextLengths.Roll(1, 0)) : (b.Text, b.TextLengths);
                    using var output = runs[k].Net.Forward(text, b.Input);
                    var l1 = MaskedL1(output.Mel, b.Targets, b.Steps);
                    var guided = AttentionAlignment.GuidedCost(output.Attention, textLengths, b.Steps);
                    var loss = runs[k].Variant == "unguided" ? l1 : l1 + guided * DcttsSettings.GuidedWeight;
                    optimizers[k].ZeroGrad();
                    loss.Backward();
                    GradClip.ClipGradNorm(runs[k].Net.Parameters(), 1.0);
                    optimizers[k].Step();
                    context.Run.Record(step, $"seed{index}/{names[k]}/loss", loss.Item<float>());
                    context.Run.Record(step, $"seed{index}/{names[k]}/l1", l1.Item<float>());
                    context.Run.Record(step, $"seed{index}/{names[k]}/guided_cost", guided.Item<float>());
                }
                if (step % s.EvalEvery == 0 || step == s.Steps) Evaluate(step);
            }
            return runs.Select((r, k) =>
            {
                double validationL1 = ValidationL1(r.Net, validation);
                context.Run.Record(s.Steps, $"seed{index}/{names[k]}/validation_l1", validationL1);
                var last = curves[k][^1];
                var first = curves[k].FirstOrDefault(e => e.Diagonal);
                context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"seed {index}, {names[k]}: diagonal at {(first is null ? "never" : first.Step.ToString(CultureInfo.InvariantCulture))}, final cost {last.Cost:F3} focus {last.Focus:F3} L1 {last.L1:F3}, validation L1 {validationL1:F3}"));
                return new ConfigRun(curves[k].ToArray(), validationL1, index == 0 ? snapshots[k].ToArray() : null, r.Net);
            }).ToArray();
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
        }
    }

    /// <summary>Teacher-forced mel L1 on the validation phrases (NaN when there are none).</summary>
    private static double ValidationL1(Text2Mel net, EvalSet validation)
    {
        if (validation.Prepared is not { } v) return double.NaN;
        using var scope = NewScope();
        using var noGrad = NoGrad();
        using var output = net.Forward(v.Text, v.Input);
        return MaskedL1(output.Mel, v.Targets, v.Steps).Item<float>();
    }

    /// <summary>Seed 0's example on the first test phrase: target, teacher-forced and free-running mels and attention.</summary>
    private static Example Synthesise(DcttsSettings s, EvalSet test, double mean, double std, IReadOnlyDictionary<string, Text2Mel> nets,
        IReadOnlyDictionary<string, double[][][]> snapshots)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var held = test.Batch;
        long steps = held.Steps[0].Item<long>(), frames = test.Raw.MelLengths[0].Item<long>();
        var text = held.Text.Narrow(0, 0, 1).Narrow(1, 0, held.TextLengths[0].Item<long>());
        double[][] Mel(Tensor y) => Rows(Text2Mel.Unstack(y.Narrow(1, 0, steps), s.Model.Reduction)[0].Narrow(0, 0, frames) * std + mean);
        var teacher = nets.ToDictionary(kv => kv.Key, kv => Mel(kv.Value.Forward(text, held.Input.Narrow(0, 0, 1).Narrow(1, 0, steps)).Mel));
        var free = nets.ToDictionary(kv => kv.Key, kv => kv.Value.Synthesise(text, (int)steps));
        return new Example(snapshots, Rows(test.Raw.Mel[0].Narrow(0, 0, frames)), teacher, free.ToDictionary(kv => kv.Key, kv => Mel(kv.Value.Mel)),
            free.ToDictionary(kv => kv.Key, kv => Rows(kv.Value.Attention[0].T)));
    }

    /// <summary>The espeak-ng audio of the example and Griffin-Lim audio of its target and predicted log-mels.</summary>
    private static Dictionary<string, float[]> Waves(DcttsSettings s, PhraseCorpus corpus, SpokenPhrase phrase, Example example)
    {
        using var scope = NewScope();
        long length = (long)(phrase.Frames - 1) * corpus.Hop;
        float[] Vocode(double[][] logMel)
        {
            var mel = Tensor.From(logMel.SelectMany(r => r).ToArray(), logMel.Length, logMel[0].Length).T.Contiguous();   // [bands, frames]
            return GriffinLim.FromLogMel(mel.Double(), corpus.SampleRate, 1024, corpus.Hop, length, s.GriffinLimIterations).To(DType.Float32).ToArray<float>();
        }
        var waves = new Dictionary<string, float[]> { ["espeak"] = phrase.Wave, ["target mel"] = Vocode(example.Target) };
        foreach (var v in new[] { "guided", "unguided" })
        {
            waves[$"{v}, teacher-forced"] = Vocode(example.TeacherForced[v]);
            waves[$"{v}, free-running"] = Vocode(example.FreeRunning[v]);
        }
        return waves;
    }

    private static double[][] Matrix(Tensor attention, long steps, long characters) => Rows(attention.Narrow(0, 0, steps).Narrow(1, 0, characters).T);

    private static double[][] Rows(Tensor matrix)
    {
        var values = matrix.Double().Contiguous().ToArray<double>();
        int rows = (int)matrix.Size(0), columns = (int)matrix.Size(1);
        return Enumerable.Range(0, rows).Select(r => values.AsSpan(r * columns, columns).ToArray()).ToArray();
    }
}
