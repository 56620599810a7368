using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the wrnn experiment at one scale.</summary>
/// <param name="Seeds">Seeds; each trains the three networks of both tasks at their selected learning rates.</param>
/// <param name="LearningRates">Adam learning rates swept for every network on the first seed (selected on held-out data of its own).</param>
/// <param name="Delay">Blanks between the 10 copied digits and the marker; copy sequences are Delay + 20 long.</param>
/// <param name="CopyRing">Units per ring of the copy wRNN (≥ the sequence length: the wave holds the whole sequence).</param>
/// <param name="CopySteps">Adam steps on the copy task.</param>
/// <param name="DigitSteps">Adam steps on sequential digits (one pixel per step, 64 steps).</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="EvalEvery">Steps between held-out evaluations (the learning curves).</param>
/// <param name="MaxWaveLossRatio">The wRNN's held-out copy loss must be at most this fraction of the trivial baseline.</param>
/// <param name="MinDigitGain">The wRNN's sequential-digit test accuracy must exceed the IRNN's by at least this (fraction).</param>
public sealed record WaveRnnSettings(int Seeds, double[] LearningRates, int Delay, int CopyRing, int CopySteps, int DigitSteps, int Batch,
    int EvalEvery, double MaxWaveLossRatio, double MinDigitGain)
{
    /// <summary>Copied digits (10, as in the paper).</summary>
    public const int Digits = CopyMemory.Digits;

    /// <summary>Digit values 1 … 8; 0 is the blank and 9 the marker.</summary>
    public const int Symbols = CopyMemory.Symbols;

    /// <summary>Tokens in and classes out on the copy task.</summary>
    public const int Vocabulary = Symbols + 2;

    /// <summary>Rings (channels) of both wRNNs.</summary>
    public const int Channels = 4;

    /// <summary>Units per ring of the sequential-digit wRNN: one per pixel.</summary>
    public const int DigitRing = 64;

    /// <summary>Gradient-norm limit, the same for every network.</summary>
    public const double ClipNorm = 1.0;

    /// <summary>The wRNN's held-out copy loss must be at most this fraction of each wave-free network's.</summary>
    public const double MaxLossFraction = 0.5;

    /// <summary>Copy sequence length: the digits, the delay, the marker and the recall phase.</summary>
    public int Length => Delay + 2 * Digits;

    /// <summary>
    /// Smoke: 1 seed, lr 3e-3, delay 5 (ring 32), 100 copy and 30 digit steps, wRNN ≤ 0.5 × baseline, any digit gain ≥ 0.
    /// Otherwise delay 20 (ring 40), 600 copy and 400 digit steps, lr ∈ {1e-3, 3e-3, 1e-2} swept for all three networks,
    /// 3 seeds (gpu 5), wRNN ≤ 0.1 × baseline, digit gain ≥ 2 points.
    /// </summary>
    public static WaveRnnSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Seeds: 1, LearningRates: [3e-3], Delay: 5, CopyRing: 32, CopySteps: 100, DigitSteps: 30, Batch: 32, EvalEvery: 25,
            MaxWaveLossRatio: 0.5, MinDigitGain: 0.0)
        : new(Seeds: scale == Scale.Cpu ? 3 : 5, LearningRates: [1e-3, 3e-3, 1e-2], Delay: 20, CopyRing: 40, CopySteps: 600, DigitSteps: 400,
            Batch: 64, EvalEvery: 30, MaxWaveLossRatio: 0.1, MinDigitGain: 0.02);
}

/// <summary>What the wrnn notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Baseline">The copy task's trivial baseline 10·ln 8/(T + 20) (nats per step).</param>
/// <param name="Parameters">Parameter counts per task ("copy", "digits") and network.</param>
/// <param name="Tuning">The learning-rate sweep and the per-seed test scores per task.</param>
/// <param name="CopyCurves">Held-out copy loss / baseline per network, seed and evaluation (at the selected rate).</param>
/// <param name="CopyHalfway">Held-out copy loss / baseline after half the steps, per network over seeds.</param>
/// <param name="CopyRecall">Fraction of the copied digits recalled per network over seeds.</param>
/// <param name="SpaceTime">First seed, one held-out copy sequence: hidden activity [unit][time] per network (first ring of a wRNN).</param>
/// <param name="Example">That sequence's tokens.</param>
public sealed record WaveRnnOutcome(WaveRnnSettings Settings, double Baseline, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Parameters,
    IReadOnlyDictionary<string, TuningOutcome> Tuning, IReadOnlyDictionary<string, double[][]> CopyCurves,
    IReadOnlyDictionary<string, SeedSummary> CopyHalfway, IReadOnlyDictionary<string, SeedSummary> CopyRecall,
    IReadOnlyDictionary<string, double[][]> SpaceTime, long[] Example);

/// <summary>
/// Keller, Muller, Sejnowski &amp; Welling (2023), "Traveling Waves Encode the Recent Past and Enhance Sequence Learning" —
/// the experiment of notebooks/sequence/wrnn.ipynb. Three ReLU RNNs on the same batches: the <see cref="WaveRnn"/> (recurrence
/// a circular shift over rings of units), the same network with its kernel started as the identity (wave-free control, the
/// same parameters) and a dense <see cref="IdentityRnn"/> with as many parameters (±10 %), each at its best of the same
/// learning-rate sweep, on copy memory and on sequential digits (8×8 digits as 64 one-pixel steps). Metrics:
/// <c>seed{n}/{copy|digits}/{net@lr}/loss</c> per step and <c>…/eval_loss</c> (copy, held-out loss / baseline) or
/// <c>…/eval_accuracy</c> (digits, validation) every <see cref="WaveRnnSettings.EvalEvery"/> steps. The outcome is a
/// <see cref="WaveRnnOutcome"/>.
/// </summary>
public sealed class WaveRnnExperiment : IExperiment
{
    /// <summary>The networks compared: the wRNN, the wave-free ring (control) and the parameter-matched IRNN.</summary>
    public static readonly string[] Networks = ["wrnn", "ring-identity", "irnn"];

    /// <summary>The seed of the held-out copy sequences of the claim (never a training seed).</summary>
    public const int EvalSeed = int.MaxValue;

    /// <summary>The seed of the held-out copy sequences the learning rate is selected on.</summary>
    public const int SelectionSeed = int.MaxValue - 1;

    /// <inheritdoc />
    public string Id => "wrnn";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "Wave-RNN: travelling waves encode the recent past (Keller et al., 2023)";

    /// <inheritdoc />
    public string? Narrower => "about 3.4 k parameters, copy memory at T = 20 and 8×8 digits pixel by pixel, 600 / 400 steps instead of the paper's 60 k";

    /// <inheritdoc />
    public string Claim =>
        "with the same learning-rate sweep (1e-3, 3e-3, 1e-2), steps and parameters (±10 %), a ReLU RNN whose recurrence is a circular shift " +
        "over rings of units (wRNN) drives held-out copy loss (T = 20) below 0.1 × the trivial baseline and below ½ of both an IRNN and the " +
        "same ring started at the identity (no wave), and after half the steps is already below the wave-free networks at the end; on " +
        "sequential 8×8 digits its test accuracy is ≥ 2 points above the IRNN's; mean and every one of 3 seeds " +
        "(smoke: T = 5, 1 seed, lr 3e-3, wRNN ≤ 0.5 × baseline and below both, digits not worse)";

    /// <summary>The best predictor that remembers nothing: ln 8 nats on each of the 10 recall steps, 0 elsewhere, per step.</summary>
    public static double BaselineLoss(int delay) => CopyMemory.BaselineLoss(delay);

    /// <summary>Copy-memory batch: one-hot inputs float32 [batch, T + 20, 10] and targets int64 [batch, T + 20].</summary>
    public static TaskBatch CopyBatch(int batch, int delay, int seed, Device? device = null)
    {
        using var scope = NewScope();
        using var raw = SyntheticTasks.Copy(batch, WaveRnnSettings.Digits, WaveRnnSettings.Symbols, delay, seed);
        var target = device ?? Device.CPU;
        var x = F.OneHot(raw.Inputs, WaveRnnSettings.Vocabulary).Float().To(target);
        return new TaskBatch(scope.Keep(x).DetachFromScope(), raw.Targets.To(target).DetachFromScope());
    }

    /// <summary>Mean cross-entropy over every step: logits [batch, time, classes], targets [batch, time].</summary>
    public static Tensor CopyLoss(Tensor logits, Tensor targets)
        => CopyMemory.Loss(logits, targets);

    /// <summary>Digits as sequences: images [n, 1, 8, 8] → [n, 64, 1], one pixel per step in raster order.</summary>
    public static Tensor PixelSequences(Tensor images) => images.Reshape(images.Size(0), -1, 1);

    /// <summary>The class logits of a network read at the last step of a pixel sequence: [batch, 64, 1] → [batch, 10].</summary>
    public static Tensor LastStepLogits(Module<Tensor, Tensor> net, Tensor sequences)
    {
        using var scope = NewScope();
        return scope.Keep(net.Forward(sequences).Select(1, -1));
    }

    /// <summary>
    /// The three networks of a task with <paramref name="inputs"/> and <paramref name="outputs"/> per step: the wRNN and the
    /// wave-free ring with <paramref name="ring"/> units per ring, and the IRNN with the hidden size closest in parameters.
    /// </summary>
    public static Module<Tensor, Tensor> Create(string network, int inputs, int outputs, int ring, Device? device = null) => network switch
    {
        "wrnn" => new WaveRnn(inputs, outputs, ring, WaveRnnSettings.Channels, init: RingInit.Shift, device: device),
        "ring-identity" => new WaveRnn(inputs, outputs, ring, WaveRnnSettings.Channels, init: RingInit.Identity, device: device),
        "irnn" => new IdentityRnn(inputs, outputs, IdentityRnn.HiddenSizeFor(inputs, outputs, WaveParameters(inputs, outputs, ring)), device: device),
        _ => throw new ArgumentException($"unknown network '{network}'; expected one of {string.Join(", ", Networks)}", nameof(network)),
    };

    private static long WaveParameters(int inputs, int outputs, int ring)
    {
        using var probe = new WaveRnn(inputs, outputs, ring, WaveRnnSettings.Channels);
        return probe.ParameterCount();
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = WaveRnnSettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        double baseline = BaselineLoss(s.Delay);
        using var held = CopyBatch(256, s.Delay, EvalSeed, device);
        using var selection = CopyBatch(256, s.Delay, SelectionSeed, device);
        using var digits = DigitImages.Create(DigitImages.SourceSize, seed: 0, device: device);
        int fit = digits.TrainRows * 4 / 5;                                   // the last fifth of the training split selects the rate
        using var trainX = PixelSequences(digits.TrainX.Narrow(0, 0, fit));
        using var trainY = digits.TrainY.Narrow(0, 0, fit);
        using var validX = PixelSequences(digits.TrainX.Narrow(0, fit, digits.TrainRows - fit));
        using var validY = digits.TrainY.Narrow(0, fit, digits.TrainRows - fit);
        using var testX = PixelSequences(digits.TestX);

        var parameters = new Dictionary<string, IReadOnlyDictionary<string, long>>
        {
            ["copy"] = Networks.ToDictionary(n => n, n => { using var m = Create(n, WaveRnnSettings.Vocabulary, WaveRnnSettings.Vocabulary, s.CopyRing); return m.ParameterCount(); }),
            ["digits"] = Networks.ToDictionary(n => n, n => { using var m = Create(n, 1, digits.Classes, WaveRnnSettings.DigitRing); return m.ParameterCount(); }),
        };
        context.Run.AddHyperparameters(new
        {
            seeds = seeds.Count, learning_rates = s.LearningRates, delay = s.Delay, length = s.Length, copy_ring = s.CopyRing, channels = WaveRnnSettings.Channels,
            copy_steps = s.CopySteps, digit_steps = s.DigitSteps, s.Batch, clip_norm = WaveRnnSettings.ClipNorm, baseline_loss = baseline,
            copy_parameters = parameters["copy"], digit_parameters = parameters["digits"],
        });

        // Copy memory: selection on other held-out sequences, the claim on the evaluation sequences.
        var curves = Networks.ToDictionary(n => n, _ => new List<double[]>());
        var halfway = Networks.ToDictionary(n => n, _ => new List<double>());
        var recall = Networks.ToDictionary(n => n, _ => new List<double>());
        var kept = new Dictionary<string, Module<Tensor, Tensor>>();
        var copyCurves = new Dictionary<string, (long Step, double Value)[]>();
        TrainingResult? last = null;
        try
        {
            var copy = LearningRateTuning.Run(Networks, s.LearningRates, seeds, (seed, configs) =>
            {
                var keep = seed == seeds[0] ? new Dictionary<string, Module<Tensor, Tensor>>() : null;
                var (scores, training) = SideBySide(context, s, seed, configs, "copy", s.CopySteps,
                    n => Create(n, WaveRnnSettings.Vocabulary, WaveRnnSettings.Vocabulary, s.CopyRing, device),
                    (step, stepSeed) => CopyBatch(s.Batch, s.Delay, BatchSeed(stepSeed), device),
                    (net, b) => CopyLoss(net.Forward(b.Inputs), b.Targets),
                    net => ("eval_loss", HeldOutLoss(net, held) / baseline),
                    net => (HeldOutLoss(net, selection) / baseline, HeldOutLoss(net, held) / baseline), keep, copyCurves);
                last = training;
                if (keep is not null)
                    foreach (var (name, net) in keep) kept[name] = net;
                return scores;
            }, higherIsBetter: false);
            foreach (var (n, lr) in copy.Chosen)
            {
                for (int k = 0; k < seeds.Count; k++)
                {
                    var c = copyCurves[CurveKey(k, n, lr)];
                    curves[n].Add(c.Select(p => p.Value).ToArray());
                    halfway[n].Add(c.Single(p => p.Step == s.CopySteps / 2).Value);
                }
            }
            var spaceTime = new Dictionary<string, double[][]>();
            using var one = CopyBatch(1, s.Delay, EvalSeed, device);
            foreach (var n in Networks)
            {
                var net = kept[SideBySideTraining.ConfigName(n, copy.Chosen[n])];
                recall[n].Add(Recall(net, held));
                spaceTime[n] = Activity(net, one.Inputs);
            }
            using (var raw = SyntheticTasks.Copy(1, WaveRnnSettings.Digits, WaveRnnSettings.Symbols, s.Delay, EvalSeed))
            {
                var example = raw.Inputs.ToArray<long>();
                // Sequential digits: selection on the validation fifth, the claim on the test split.
                var digitTuning = LearningRateTuning.Run(Networks, s.LearningRates, seeds, (seed, configs) =>
                {
                    var (scores, training) = SideBySide(context, s, seed, configs, "digits", s.DigitSteps,
                        n => Create(n, 1, digits.Classes, WaveRnnSettings.DigitRing, device),
                        (step, stepSeed) => DigitBatch(trainX, trainY, s.Batch, stepSeed),
                        (net, b) => F.CrossEntropy(LastStepLogits(net, b.Inputs), b.Targets),
                        net => ("eval_accuracy", Accuracy(net, validX, validY)),
                        net => (Accuracy(net, validX, validY), Accuracy(net, testX, digits.TestY)), keep: null, curves: null);
                    last = training;
                    return scores;
                }, higherIsBetter: true);

                var loss = copy.Test;
                var half = halfway.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value));
                var digitGain = digitTuning.Test["wrnn"].Minus(digitTuning.Test["irnn"]);
                var check = new ClaimCheck()
                    .AtMost("wRNN held-out copy loss / baseline", loss["wrnn"], s.MaxWaveLossRatio, format: "F3")
                    .AtMost("wRNN / IRNN held-out copy loss", Ratio(loss["wrnn"], loss["irnn"]), WaveRnnSettings.MaxLossFraction, format: "F3")
                    .AtMost("wRNN / wave-free ring held-out copy loss", Ratio(loss["wrnn"], loss["ring-identity"]), WaveRnnSettings.MaxLossFraction, format: "F3");
                if (context.Scale != Scale.Smoke)
                    check.AtMost("wRNN at half the steps − IRNN at the end (copy loss / baseline)", half["wrnn"].Minus(loss["irnn"]), 0, format: "F3")
                        .AtMost("wRNN at half the steps − wave-free ring at the end", half["wrnn"].Minus(loss["ring-identity"]), 0, format: "F3");
                check.AtLeast("sequential digits: wRNN − IRNN test accuracy", digitGain, s.MinDigitGain, format: "F3");
                var metrics = new Dictionary<string, double>
                {
                    ["baseline_loss"] = baseline, ["copy_wrnn_ratio"] = loss["wrnn"].Mean, ["copy_irnn_ratio"] = loss["irnn"].Mean,
                    ["copy_ring_identity_ratio"] = loss["ring-identity"].Mean, ["digits_wrnn_accuracy"] = digitTuning.Test["wrnn"].Mean,
                    ["digits_irnn_accuracy"] = digitTuning.Test["irnn"].Mean, ["digits_ring_identity_accuracy"] = digitTuning.Test["ring-identity"].Mean,
                };
                return check.Result(metrics, last, new WaveRnnOutcome(s, baseline, parameters,
                    new Dictionary<string, TuningOutcome> { ["copy"] = copy, ["digits"] = digitTuning },
                    curves.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), half,
                    recall.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value)), spaceTime, example));
            }
        }
        finally
        {
            foreach (var net in kept.Values) net.Dispose();
        }
    }

    private static SeedSummary Ratio(SeedSummary a, SeedSummary b) => new(a.Values.Zip(b.Values, (x, y) => x / y));

    private static int BatchSeed(ulong stepSeed) => (int)(stepSeed % int.MaxValue);

    private static string CurveKey(int k, string network, double lr) => $"{k}/{SideBySideTraining.ConfigName(network, lr)}";

    /// <summary>Held-out copy cross-entropy (nats per step) without gradients.</summary>
    public static double HeldOutLoss(Module<Tensor, Tensor> net, TaskBatch data)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return CopyLoss(net.Forward(data.Inputs), data.Targets).Item<float>();
    }

    /// <summary>Fraction of the copied digits (the last 10 steps) predicted right by argmax.</summary>
    public static double Recall(Module<Tensor, Tensor> net, TaskBatch data)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var logits = net.Forward(data.Inputs);
        long time = logits.Size(1);
        var recalled = logits.Narrow(1, time - WaveRnnSettings.Digits, WaveRnnSettings.Digits).ArgMax(2);
        return recalled.Eq(data.Targets.Narrow(1, time - WaveRnnSettings.Digits, WaveRnnSettings.Digits)).Double().Mean().Item<double>();
    }

    /// <summary>Test (or validation) accuracy of the last-step class logits on pixel sequences.</summary>
    public static double Accuracy(Module<Tensor, Tensor> net, Tensor sequences, Tensor labels)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return LastStepLogits(net, sequences).ArgMax(-1).Eq(labels).Double().Mean().Item<double>();
    }

    /// <summary>Hidden activity of one sequence [1, time, inputs] as [unit][time]: the first ring of a wRNN, all units of an IRNN.</summary>
    public static double[][] Activity(Module<Tensor, Tensor> net, Tensor sequence)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var h = net switch
        {
            WaveRnn wave => wave.States(sequence).Select(0, 0).Select(1, 0),          // [time, ring]
            IdentityRnn irnn => irnn.States(sequence).Select(0, 0),                   // [time, hidden]
            _ => throw new ArgumentException($"no hidden states for {net.GetType().Name}", nameof(net)),
        };
        var values = h.T.Cpu().Double().ToArray2D<double>();                        // [unit, time]
        return Enumerable.Range(0, values.GetLength(0)).Select(u => Enumerable.Range(0, values.GetLength(1)).Select(t => values[u, t]).ToArray()).ToArray();
    }

    private static TaskBatch DigitBatch(Tensor x, Tensor y, int batch, ulong stepSeed)
    {
        using var scope = NewScope();
        var rows = Tensor.From(Enumerable.Range(0, batch).Select(i => (long)((stepSeed * 2_654_435_761UL + (ulong)i * 40_503UL) % (ulong)x.Size(0))).ToArray())
            .To(x.Device);
        return new TaskBatch(scope.Keep(x.IndexSelect(0, rows)).DetachFromScope(), scope.Keep(y.IndexSelect(0, rows)).DetachFromScope());
    }

    // Every (network, lr) of one seed trained side by side on the same batches with Adam and the same clipping; every network
    // starts from the same libtorch seed. Returns the (validation, test) scores in order and the last trainer result.
    private static (IReadOnlyList<ScoredRun> Scores, TrainingResult Training) SideBySide(ExperimentContext context, WaveRnnSettings s, ulong seed,
        IReadOnlyList<(string Model, double LearningRate)> configs, string task, int steps, Func<string, Module<Tensor, Tensor>> create,
        Func<long, ulong, TaskBatch> batchFor, Func<Module<Tensor, Tensor>, TaskBatch, Tensor> loss,
        Func<Module<Tensor, Tensor>, (string Name, double Value)> evaluate, Func<Module<Tensor, Tensor>, (double Validation, double Test)> score,
        Dictionary<string, Module<Tensor, Tensor>>? keep, Dictionary<string, (long Step, double Value)[]>? curves)
    {
        int k = (int)(seed - context.Seed);
        var runs = new List<(string Name, Module<Tensor, Tensor> Net, Adam Optimizer, List<(long Step, double Value)> Curve)>();
        var state = new TensorState();
        try
        {
            foreach (var (network, lr) in configs)
            {
                ManualSeed(seed + 1);
                var net = create(network);
                var adam = new Adam(net.Parameters(), lr: lr);
                var name = SideBySideTraining.ConfigName(network, lr);
                runs.Add((name, net, adam, []));
                state.Add(name, new ModuleState(net, adam));
            }
            var trainer = new Trainer(new TrainerOptions { MaxSteps = steps, EvalEvery = s.EvalEvery, Seed = seed, Cancellation = context.Cancellation });
            trainer.Callbacks.AddRange(context.Callbacks);
            var training = trainer.Fit(state, ctx =>
            {
                using var batch = batchFor(ctx.Step, ctx.Seed);
                var metrics = new Dictionary<string, double>();
                foreach (var (name, net, adam, _) in runs)
                {
                    var value = loss(net, batch);
                    adam.ZeroGrad();
                    value.Backward();
                    GradClip.ClipGradNorm(net.Parameters(), WaveRnnSettings.ClipNorm);
                    adam.Step();
                    metrics[$"seed{k}/{task}/{name}/loss"] = value.Item<float>();
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: done =>
            {
                var values = new Dictionary<string, double>();
                foreach (var r in runs)
                {
                    var (metric, value) = evaluate(r.Net);
                    values[$"seed{k}/{task}/{r.Name}/{metric}"] = value;
                    r.Curve.Add((done, value));
                }
                return values;
            }, run: context.Run);
            var scores = runs.Select(r => { var (v, t) = score(r.Net); return new ScoredRun(v, t); }).ToArray();
            if (curves is not null)
                foreach (var r in runs) curves[$"{k}/{r.Name}"] = r.Curve.ToArray();
            context.Run.Log($"{task}, seed {seed}: " + string.Join(", ", runs.Select((r, i) =>
                string.Create(CultureInfo.InvariantCulture, $"{r.Name} validation {scores[i].Validation:F3} test {scores[i].Test:F3}"))));
            return (scores, training);
        }
        finally
        {
            foreach (var (name, net, adam, _) in runs)
            {
                adam.Dispose();
                if (keep is not null) keep[name] = net;
                else net.Dispose();
            }
        }
    }
}
