using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Speech;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the Tacotron 2 experiment at one scale.</summary>
/// <param name="Phrases">espeak-ng phrases in all.</param>
/// <param name="HeldOut">Held-out phrases (unseen word combinations): the test set of the claim.</param>
/// <param name="Validation">Further phrases (unseen word combinations, none held out) whose teacher-forced loss picks the learning rates.</param>
/// <param name="Seeds">Seeds (initialisation, pre-net dropout and batch order); the learning rate is tuned on the first.</param>
/// <param name="Steps">Adam steps of each model.</param>
/// <param name="Batch">Phrases per step.</param>
/// <param name="EvalEvery">Steps between held-out evaluations (and alignment snapshots).</param>
/// <param name="LearningRates">Adam learning rates swept for both attentions on the first seed; each is then trained at its own best.</param>
/// <param name="CheckClaim">Whether the full claim is checked (not at smoke scale).</param>
/// <param name="Model">The model's sizes (the content-based control sets Location = false).</param>
/// <param name="MelBands">Mel bands of the corpus.</param>
public sealed record Tacotron2Settings(int Phrases, int HeldOut, int Validation, int Seeds, int Steps, int Batch, int EvalEvery,
    double[] LearningRates, bool CheckClaim, Tacotron2Config Model, int MelBands = 40)
{
    /// <summary>Diagonality: the held-out teacher-forced guided-attention cost at most this …</summary>
    public const double GuidedThreshold = 0.2;

    /// <summary>… and the focus at least this.</summary>
    public const double FocusThreshold = 0.5;

    /// <summary>Held-out teacher-forced log-mel L1 at most this fraction of the mean-frame predictor's.</summary>
    public const double TeacherForcedRatio = 0.6;

    /// <summary>Held-out free-running log-mel L1 at most this fraction of the mean-frame predictor's.</summary>
    public const double FreeRunningRatio = 0.9;

    /// <summary>Sample rate, hop and FFT size of the corpus.</summary>
    public const int SampleRate = 16000, Hop = 256, NFft = 1024;

    /// <summary>
    /// Smoke: 24 phrases, 1 seed, 8 steps of 4 at lr 2e-3, no sweep (the teacher-forced loss must fall and the scores be valid).
    /// cpu: 240 phrases (16 held out) and 16 validation phrases, 5 seeds, 500 steps of 12, lr swept over {2e-3, 5e-3, 1e-2},
    /// r = 4, ≈ 0.34 M parameters; every (model, lr) of a seed trains in its own thread. gpu (not run): 2000 phrases, 80 bands,
    /// r = 2, paper-like widths (256 encoder, 2 × 256 pre-net, 512 LSTMs, attention 128 with 32 filters of kernel 31),
    /// 20 000 steps of 32, lr swept over {5e-4, 1e-3, 2e-3}.
    /// </summary>
    public static Tacotron2Settings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(24, 4, 0, 1, 8, 4, 4, [2e-3], CheckClaim: false, new Tacotron2Config()),
        Scale.Cpu => new(240, 16, 16, 5, 500, 12, 50, [2e-3, 5e-3, 1e-2], CheckClaim: true, new Tacotron2Config()),
        _ => new(2000, 64, 64, 3, 20000, 32, 500, [5e-4, 1e-3, 2e-3], CheckClaim: true, new Tacotron2Config(MelBands: 80, FramesPerStep: 2, Embedding: 256,
            EncoderConvolutions: 3, EncoderWidth: 256, PreNet: 256, AttentionRnn: 512, DecoderRnn: 512, Attention: 128, LocationFilters: 32,
            LocationKernel: 31, PostNetChannels: 256, PostNetLayers: 5), MelBands: 80),
    };
}

/// <summary>The attention of the fixed held-out phrase at one evaluation of a model trained at one learning rate: weights [decoder step][character].</summary>
public sealed record AlignmentSnapshot(string Model, double LearningRate, int Seed, long Step, double[][] Weights, string Text);

/// <summary>One held-out evaluation: alignment scores (teacher-forced and free-running) and log-mel L1 in nats.</summary>
public sealed record Tacotron2Evaluation(long Step, double Guided, double Focus, double TeacherForcedL1, double FreeGuided, double FreeFocus,
    double FreeRunningL1);

/// <summary>
/// What the Tacotron 2 experiment measured: per model the chosen learning rate and the first seed's validation loss at every
/// rate swept, then at the chosen rates the final held-out scores over seeds, the steps to diagonality, seed 0's evaluation
/// curves and alignment snapshots, the mean-frame baseline, and seed 0's mels and audio of the fixed held-out phrase (target
/// speech, Griffin-Lim of the target mel and of the location model's free-running mel).
/// </summary>
public sealed record Tacotron2Outcome(IReadOnlyDictionary<string, double> Chosen, IReadOnlyDictionary<string, IReadOnlyDictionary<double, double>> Sweep,
    IReadOnlyDictionary<string, SeedSummary> Guided, IReadOnlyDictionary<string, SeedSummary> Focus,
    IReadOnlyDictionary<string, SeedSummary> TeacherForcedL1, IReadOnlyDictionary<string, SeedSummary> FreeRunningL1,
    IReadOnlyDictionary<string, SeedSummary> FreeGuided, IReadOnlyDictionary<string, SeedSummary> StepsToDiagonal,
    IReadOnlyDictionary<string, Tacotron2Evaluation[]> Curves, IReadOnlyList<AlignmentSnapshot> Snapshots, double MeanFrameL1,
    IReadOnlyDictionary<string, long> Parameters, string Phrase, double[][] TargetMel, double[][] TeacherForcedMel, double[][] FreeRunningMel,
    float[] TargetWave, float[] GriffinLimTarget, float[] GriffinLimFreeRunning, int SampleRate, double Seconds);

/// <summary>
/// Shen et al. (2018), "Natural TTS Synthesis by Conditioning WaveNet on Mel Spectrogram Predictions" — the experiment of
/// notebooks/audio/tacotron2.ipynb. A toy Tacotron 2 (<see cref="Tacotron2"/>) with location-sensitive attention and the same
/// model with content-based attention (no location term) train teacher-forced on the same batches of espeak-ng phrases
/// (<see cref="PhraseCorpus"/>, one voice, 40 log-mel bands, standardised), with the same steps and the same learning-rate
/// sweep: on the first seed each attention trains at every rate and keeps the one with the lowest teacher-forced loss on the
/// validation phrases; the other seeds train each at its chosen rate. Held-out phrases (the test set) are unseen word
/// combinations and play no part in the choice. Loss: MSE of the mel before and after the post-net plus the stop-token BCE,
/// on valid frames. Metrics: <c>seed{n}/{model@lr}/loss</c>, <c>…/heldout_guided</c>, <c>…/heldout_focus</c>,
/// <c>…/heldout_l1</c>, <c>…/heldout_free_l1</c>, <c>…/validation_loss</c>. <see cref="OnAlignment"/> sees every alignment
/// snapshot of seed 0 (every rate swept) as it is taken (the notebook's live view).
/// </summary>
public sealed class Tacotron2Experiment : IExperiment
{
    /// <summary>The two attentions, with their metric names.</summary>
    public static readonly (string Name, bool Location)[] Models = [("location", true), ("content", false)];

    /// <summary>Called with each alignment snapshot of seed 0 as it is taken (both models, every learning rate; from several threads).</summary>
    public Action<AlignmentSnapshot>? OnAlignment { get; init; }

    /// <inheritdoc />
    public string Id => "tacotron2";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "Tacotron 2: characters → mel with location-sensitive attention, against content-based attention (Shen et al., 2018)";

    /// <inheritdoc />
    public string? Narrower => "espeak-ng phrases in one voice, 40 mel bands, r = 4, ≈ 0.34 M parameters, Griffin-Lim instead of WaveNet, " +
        "mel distances and alignment scores instead of listening tests";

    /// <inheritdoc />
    public string Claim => string.Create(CultureInfo.InvariantCulture,
        $"with location-sensitive attention the attention on held-out phrases becomes diagonal (teacher-forced guided-attention cost ≤ {Tacotron2Settings.GuidedThreshold} ") +
        string.Create(CultureInfo.InvariantCulture, $"and focus ≥ {Tacotron2Settings.FocusThreshold}) and the held-out log-mel L1 is ≤ {Tacotron2Settings.TeacherForcedRatio}× ") +
        string.Create(CultureInfo.InvariantCulture, $"(teacher-forced) and ≤ {Tacotron2Settings.FreeRunningRatio}× (free-running) the mean-frame predictor's, mean and every one of 5 seeds; ") +
        "against content-based attention (same model without the location term, same steps, batches and learning-rate sweep) it reaches that diagonality " +
        "in fewer steps and has a lower held-out free-running L1, on average and in ≥ 4 of 5 seeds (smoke: the training loss falls, scores are valid)";

    /// <summary>A model of the experiment's shape.</summary>
    public static Tacotron2 Create(Tacotron2Settings s, bool location, Device? device = null) =>
        new(s.Model with { Location = location, MelBands = s.MelBands }, device: device);

    /// <summary>The corpus of a scale (rendered once per machine, then cached).</summary>
    public static PhraseCorpus Corpus(Tacotron2Settings s) =>
        new(s.Phrases, s.HeldOut, seed: 0, sampleRate: Tacotron2Settings.SampleRate, hop: Tacotron2Settings.Hop, nFft: Tacotron2Settings.NFft, melBands: s.MelBands,
            validation: s.Validation);

    /// <summary>The training loss on a standardised batch: MSE of the mel before and after the post-net plus the stop BCE, on valid frames and steps.</summary>
    public static Tensor Loss(Tacotron2 model, PhraseBatch batch, Tensor mel)
    {
        using var scope = NewScope();
        using var o = model.Forward(batch.Text, batch.TextLengths, mel);
        long t = mel.Size(1);
        int r = model.Config.FramesPerStep;
        var valid = (Tensor.Arange(t, DType.Int64, mel.Device).Unsqueeze(0) < batch.MelLengths.Unsqueeze(1)).To(mel.DType).Unsqueeze(2);   // [B, T, 1]
        var count = valid.Sum() * mel.Size(2);
        Tensor Mse(Tensor x) => ((x.Narrow(1, 0, t) - mel).Pow(2) * valid).Sum() / count;
        long steps = o.Stop.Size(1);
        var stepLengths = StepLengths(batch.MelLengths, r);
        var stepIndex = Tensor.Arange(steps, DType.Int64, mel.Device).Unsqueeze(0);
        var stepValid = (stepIndex < stepLengths.Unsqueeze(1)).To(mel.DType);
        var stopTarget = (stepIndex >= (stepLengths - 1).Unsqueeze(1)).To(mel.DType);
        var stop = (F.BinaryCrossEntropyWithLogits(o.Stop, stopTarget, reduction: Reduction.None) * stepValid).Sum() / stepValid.Sum();
        return scope.Keep(Mse(o.Mel) + Mse(o.PostMel) + stop);
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = Tacotron2Settings.For(context.Scale);
        var seeds = context.Seeds(s.Seeds);
        var device = context.Device;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var corpus = Corpus(s);
        var (mean, std) = corpus.Statistics();
        var parameters = Models.ToDictionary(m => m.Name, m => { using var model = Create(s, m.Location); return model.ParameterCount(); });
        context.Run.AddHyperparameters(new
        {
            phrases = s.Phrases, held_out = s.HeldOut, validation = s.Validation, seeds = s.Seeds, steps = s.Steps, batch = s.Batch, eval_every = s.EvalEvery,
            learning_rates = string.Join(",", s.LearningRates.Select(lr => lr.ToString(CultureInfo.InvariantCulture))), frames_per_step = s.Model.FramesPerStep, mel_bands = s.MelBands,
            location_parameters = parameters["location"], content_parameters = parameters["content"],
        });
        context.Run.Log($"{corpus.Train.Count} training and {corpus.HeldOut.Count} held-out phrases; log-mel mean {mean:F3}, std {std:F3}; " +
            $"parameters: location {parameters["location"]}, content {parameters["content"]}");
        double meanFrameL1 = MeanFrameL1(corpus);
        using var held = PhraseCorpus.Batch(corpus.HeldOut, device);
        using var heldMel = ((held.Mel - mean) / std).DetachFromScope();

        using var validation = s.Validation > 0 ? PhraseCorpus.Batch(corpus.Validation, device) : null;
        using var validationMel = validation is null ? null : ((validation.Mel - mean) / std).DetachFromScope();
        var names = Models.Select(m => m.Name).ToArray();
        var gate = new object();
        ConfigRun[] TrainAll((int Seed, int Model, double LearningRate)[] jobs)
        {
            var done = new ConfigRun[jobs.Length];
            Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs.Length) }, i =>
            {
                using var perThread = ThreadLimit.ForSmallModels();
                var (k, m, lr) = jobs[i];
                done[i] = TrainConfig(context, s, corpus, held, heldMel, validation, validationMel, mean, std, k, seeds[k], m, lr, gate,
                    k == 0 ? OnAlignment : null);
            });
            return done;
        }

        // The sweep: seed 0, both attentions at every rate; each keeps the rate of lowest validation loss.
        var sweepRuns = TrainAll([.. Models.SelectMany((_, m) => s.LearningRates.Select(lr => (0, m, lr)))]);
        var sweep = names.ToDictionary(n => n, n => (IReadOnlyDictionary<double, double>)sweepRuns.Where(r => r.Model == n)
            .ToDictionary(r => r.LearningRate, r => r.ValidationLoss));
        var chosen = names.ToDictionary(n => n, n => sweep[n].Where(kv => double.IsFinite(kv.Value)).ToArray() is { Length: > 0 } scored
            ? scored.MinBy(kv => kv.Value).Key : s.LearningRates[0]);
        foreach (var n in names)
        {
            var tried = string.Join(", ", sweep[n].Select(kv => string.Create(CultureInfo.InvariantCulture, $"lr {kv.Key:G3} {kv.Value:F4}")));
            context.Run.Log(string.Create(CultureInfo.InvariantCulture, $"{n}: validation loss after {s.Steps} steps, seed 0: {tried}; chosen lr {chosen[n]:G3}"));
        }
        var later = TrainAll([.. Enumerable.Range(1, seeds.Count - 1).SelectMany(k => Models.Select((x, m) => (k, m, chosen[x.Name])))]);
        var runs = Enumerable.Range(0, seeds.Count).Select(k => names.ToDictionary(n => n, n =>
            (k == 0 ? sweepRuns : later).Single(r => r.Seed == k && r.Model == n && r.LearningRate == chosen[n]))).ToArray();
        var curves = names.ToDictionary(n => n, n => runs.Select(r => r[n].Curve).ToList());
        var snapshots = names.SelectMany(n => runs[0][n].Snapshots).OrderBy(a => a.Step).ThenBy(a => Array.IndexOf(names, a.Model)).ToList();
        var (tfMel, frMel) = (runs[0]["location"].TeacherForcedMel!, runs[0]["location"].FreeRunningMel!);
        var check = new ClaimCheck();
        SeedSummary Final(string model, Func<Tacotron2Evaluation, double> pick) => new(curves[model].Select(c => pick(c[^1])));
        double Reached(Tacotron2Evaluation[] c) => c.FirstOrDefault(e => e.Guided <= Tacotron2Settings.GuidedThreshold && e.Focus >= Tacotron2Settings.FocusThreshold)
            ?.Step ?? s.Steps + s.EvalEvery;
        var guided = names.ToDictionary(n => n, n => Final(n, e => e.Guided));
        var focus = names.ToDictionary(n => n, n => Final(n, e => e.Focus));
        var tfL1 = names.ToDictionary(n => n, n => Final(n, e => e.TeacherForcedL1));
        var frL1 = names.ToDictionary(n => n, n => Final(n, e => e.FreeRunningL1));
        var frGuided = names.ToDictionary(n => n, n => Final(n, e => e.FreeGuided));
        var reached = names.ToDictionary(n => n, n => new SeedSummary(curves[n].Select(Reached)));
        if (s.CheckClaim)
        {
            int third = Math.Max(1, (int)Math.Ceiling(2 * seeds.Count / 3.0));
            check.AtMost("location: held-out guided-attention cost", guided["location"], Tacotron2Settings.GuidedThreshold, format: "F3");
            check.AtLeast("location: held-out attention focus", focus["location"], Tacotron2Settings.FocusThreshold, format: "F3");
            check.AtMost("location: held-out teacher-forced L1 / mean-frame L1", new SeedSummary(tfL1["location"].Values.Select(v => v / meanFrameL1)),
                Tacotron2Settings.TeacherForcedRatio, format: "F3");
            check.AtMost("location: held-out free-running L1 / mean-frame L1", new SeedSummary(frL1["location"].Values.Select(v => v / meanFrameL1)),
                Tacotron2Settings.FreeRunningRatio, format: "F3");
            check.AtMost("steps to diagonality: location − content", reached["location"].Minus(reached["content"]), -1, minSeeds: third, format: "F0");
            check.AtMost("held-out free-running L1: location − content", frL1["location"].Minus(frL1["content"]), 0, minSeeds: third, format: "F3");
        }
        else
        {
            foreach (var n in names)
                check.AtMost($"{n}: final / first training loss", runs[0][n].FinalLoss / runs[0][n].InitialLoss, 0.95, "F3");
            check.That("alignment scores are valid (guided cost and focus in [0, 1])", names.All(n => curves[n].All(c => c.All(e =>
                e.Guided is >= 0 and <= 1 && e.Focus is >= 0 and <= 1))), string.Join(", ", names.Select(n => $"{n} guided {guided[n].Mean:F3}, focus {focus[n].Mean:F3}")));
        }

        var shown = corpus.HeldOut[0];
        float[] GriffinLimOf(double[][] logMel)
        {
            using var scope = NewScope();
            var values = new float[logMel.Length * s.MelBands];
            for (int f = 0; f < logMel.Length; f++)
                for (int b = 0; b < s.MelBands; b++) values[b * logMel.Length + f] = (float)logMel[f][b];
            var wave = GriffinLim.FromLogMel(Tensor.From(values, s.MelBands, logMel.Length), Tacotron2Settings.SampleRate, Tacotron2Settings.NFft,
                Tacotron2Settings.Hop, shown.Wave.Length, iterations: 32);
            return wave.ToArray<float>();
        }
        var targetMel = shown.LogMel.Select(f => f.Select(v => (double)v).ToArray()).ToArray();
        var metrics = new Dictionary<string, double> { ["mean_frame_l1"] = meanFrameL1, ["seconds"] = clock.Elapsed.TotalSeconds };
        foreach (var n in names)
        {
            metrics[$"{n}_guided"] = guided[n].Mean;
            metrics[$"{n}_focus"] = focus[n].Mean;
            metrics[$"{n}_teacher_forced_l1"] = tfL1[n].Mean;
            metrics[$"{n}_free_running_l1"] = frL1[n].Mean;
            metrics[$"{n}_free_guided"] = frGuided[n].Mean;
            metrics[$"{n}_steps_to_diagonal"] = reached[n].Mean;
            metrics[$"{n}_parameters"] = parameters[n];
            metrics[$"{n}_learning_rate"] = chosen[n];
            foreach (var (lr, loss) in sweep[n]) metrics[string.Create(CultureInfo.InvariantCulture, $"{n}_validation_loss@{lr:G3}")] = loss;
        }
        var outcome = new Tacotron2Outcome(chosen, sweep, guided, focus, tfL1, frL1, frGuided, reached, curves.ToDictionary(kv => kv.Key, kv => kv.Value[0]),
            snapshots, meanFrameL1, parameters, shown.Text, targetMel, tfMel, frMel, shown.Wave, GriffinLimOf(targetMel), GriffinLimOf(frMel),
            Tacotron2Settings.SampleRate, clock.Elapsed.TotalSeconds);
        return check.Result(metrics, outcome: outcome);
    }

    private sealed record ConfigRun(int Seed, string Model, double LearningRate, Tacotron2Evaluation[] Curve, List<AlignmentSnapshot> Snapshots,
        double InitialLoss, double FinalLoss, double ValidationLoss, double[][]? TeacherForcedMel, double[][]? FreeRunningMel);

    /// <summary>
    /// One attention (<paramref name="m"/> of <see cref="Models"/>) at one learning rate and seed: initialised under
    /// <paramref name="gate"/> (libtorch's generator is global; the same initialisation at every rate), trained on the seed's
    /// batches (the same for every model and rate); held-out evaluations every <see cref="Tacotron2Settings.EvalEvery"/> steps;
    /// at the end the teacher-forced loss on the validation phrases (NaN without them) and, for the location model, the first
    /// held-out phrase's mels.
    /// </summary>
    private static ConfigRun TrainConfig(ExperimentContext context, Tacotron2Settings s, PhraseCorpus corpus, PhraseBatch held, Tensor heldMel,
        PhraseBatch? validation, Tensor? validationMel, double mean, double std, int k, ulong seed, int m, double lr, object gate,
        Action<AlignmentSnapshot>? onAlignment)
    {
        var (name, location) = Models[m];
        Tacotron2 model;
        lock (gate)
        {
            ManualSeed(seed);
            model = Create(s, location, context.Device);
        }
        using var owned = model;
        var optimizer = new Adam(model.Parameters(), lr: lr);
        var evaluations = new List<Tacotron2Evaluation>();
        var snapshots = new List<AlignmentSnapshot>();
        double initialLoss = double.NaN, finalLoss = double.NaN;
        var random = new Random((int)(seed % int.MaxValue));
        string prefix = $"seed{k}/{SideBySideTraining.ConfigName(name, lr)}";
        void Evaluate(long step)
        {
            var (e, alignment) = Evaluation(model, held, heldMel, mean, std, step);
            evaluations.Add(e);
            context.Run.Record(step, $"{prefix}/heldout_guided", e.Guided);
            context.Run.Record(step, $"{prefix}/heldout_focus", e.Focus);
            context.Run.Record(step, $"{prefix}/heldout_l1", e.TeacherForcedL1);
            context.Run.Record(step, $"{prefix}/heldout_free_l1", e.FreeRunningL1);
            var snapshot = new AlignmentSnapshot(name, lr, k, step, alignment, corpus.HeldOut[0].Text);
            snapshots.Add(snapshot);
            onAlignment?.Invoke(snapshot);
        }
        Evaluate(0);
        for (int step = 1; step <= s.Steps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var phrases = Enumerable.Range(0, s.Batch).Select(_ => corpus.Train[random.Next(corpus.Train.Count)]).ToArray();
            using var batch = PhraseCorpus.Batch(phrases, context.Device);
            using var scope = NewScope();
            var loss = Loss(model, batch, (batch.Mel - mean) / std);
            optimizer.ZeroGrad();
            loss.Backward();
            GradClip.ClipGradNorm(model.Parameters(), 1.0);
            optimizer.Step();
            double value = loss.Item<float>();
            if (step == 1) initialLoss = value;
            if (step == s.Steps) finalLoss = value;
            if (step % 5 == 0 || step == 1) context.Run.Record(step, $"{prefix}/loss", value);
            if (step % s.EvalEvery == 0 || step == s.Steps) Evaluate(step);
        }
        double validationLoss = double.NaN;
        double[][]? tfMel = null, frMel = null;
        using (var scope = NewScope())
        using (NoGrad())
        {
            if (validation is not null && validationMel is not null)
            {
                validationLoss = Loss(model, validation, validationMel).Item<float>();
                context.Run.Record(s.Steps, $"{prefix}/validation_loss", validationLoss);
            }
            if (location)
            {
                using var phrase = PhraseCorpus.Batch([corpus.HeldOut[0]], context.Device);
                var mel = (phrase.Mel - mean) / std;
                int r = s.Model.FramesPerStep;
                var tf = model.Forward(phrase.Text, phrase.TextLengths, mel);
                var fr = model.Generate(phrase.Text, phrase.TextLengths, (mel.Size(1) + r - 1) / r);
                tfMel = Frames(tf.PostMel.Narrow(1, 0, mel.Size(1)) * std + mean);
                frMel = Frames(fr.PostMel.Narrow(1, 0, mel.Size(1)) * std + mean);
            }
        }
        return new ConfigRun(k, name, lr, [.. evaluations], snapshots, initialLoss, finalLoss, validationLoss, tfMel, frMel);
    }

    /// <summary>Mean absolute log-mel error (nats) of predicting every held-out frame by the mean training frame.</summary>
    public static double MeanFrameL1(PhraseCorpus corpus)
    {
        int m = corpus.MelBands;
        var frames = corpus.Train.SelectMany(p => p.LogMel).ToArray();
        var meanFrame = Enumerable.Range(0, m).Select(b => frames.Average(f => (double)f[b])).ToArray();
        return corpus.HeldOut.SelectMany(p => p.LogMel).Average(f => Enumerable.Range(0, m).Average(b => Math.Abs(f[b] - meanFrame[b])));
    }

    /// <summary>
    /// Held-out scores of <paramref name="model"/> (no gradients; the pre-net dropout stays on, as in the paper): teacher-forced guided cost and focus of
    /// the attention over each phrase's ⌈T / r⌉ decoder steps, teacher-forced and free-running (as many steps as the target)
    /// post-net log-mel L1 in nats on valid frames; and the first phrase's teacher-forced attention [step][character].
    /// </summary>
    public static (Tacotron2Evaluation Evaluation, double[][] Alignment) Evaluation(Tacotron2 model, PhraseBatch held, Tensor mel, double mean,
        double std, long step)
    {
        using var scope = NewScope();
        using var g = NoGrad();
        int r = model.Config.FramesPerStep;
        long t = mel.Size(1), steps = (t + r - 1) / r;
        var stepLengths = StepLengths(held.MelLengths, r);
        var valid = (Tensor.Arange(t, DType.Int64, mel.Device).Unsqueeze(0) < held.MelLengths.Unsqueeze(1)).To(mel.DType).Unsqueeze(2);
        double L1(Tensor predicted) => (((predicted.Narrow(1, 0, t) - mel).Abs() * valid).Sum() * std / (valid.Sum() * mel.Size(2))).Item<float>();
        var tf = model.Forward(held.Text, held.TextLengths, mel);
        var fr = model.Generate(held.Text, held.TextLengths, steps);
        var e = new Tacotron2Evaluation(step,
            AttentionAlignment.GuidedCost(tf.Alignment, held.TextLengths, stepLengths).Item<float>(),
            AttentionAlignment.Focus(tf.Alignment, held.TextLengths, stepLengths).Item<float>(), L1(tf.PostMel),
            AttentionAlignment.GuidedCost(fr.Alignment, held.TextLengths, stepLengths).Item<float>(),
            AttentionAlignment.Focus(fr.Alignment, held.TextLengths, stepLengths).Item<float>(), L1(fr.PostMel));
        long s0 = stepLengths[0].Item<long>(), n0 = held.TextLengths[0].Item<long>();
        var first = tf.Alignment[0].Narrow(0, 0, s0).Narrow(1, 0, n0).Double().Contiguous().ToArray<double>();
        return (e, Enumerable.Range(0, (int)s0).Select(i => first.AsSpan(i * (int)n0, (int)n0).ToArray()).ToArray());
    }

    /// <summary>Decoder steps ⌈T_b / r⌉ of each item, int64 [B] on the lengths' device.</summary>
    public static Tensor StepLengths(Tensor melLengths, int r)
    {
        var steps = melLengths.Cpu().ToArray<long>().Select(t => (t + r - 1) / r).ToArray();
        using var cpu = Tensor.From(steps, steps.Length);
        return cpu.To(melLengths.Device);
    }

    private static double[][] Frames(Tensor mel)
    {
        var x = mel[0].Double().Contiguous();
        var values = x.ToArray<double>();
        int frames = (int)x.Size(0), bands = (int)x.Size(1);
        return Enumerable.Range(0, frames).Select(f => values.AsSpan(f * bands, bands).ToArray()).ToArray();
    }
}
