using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the TCN experiment at one scale.
/// </summary>
/// <param name="Delay">T of the copy-memory task: blanks between the digits and the marker; sequences are T + 20 long.</param>
/// <param name="Channels">Channels of every TCN block (the number of blocks L is chosen so the receptive field covers T + 20).</param>
/// <param name="KernelSize">Kernel k of the TCN's dilated convolutions.</param>
/// <param name="Dropout">Spatial dropout after every dilated convolution of the TCN.</param>
/// <param name="Steps">Adam steps for each network.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="LearningRates">The Adam learning rates swept for each network on every seed (the same sweep for both).</param>
/// <param name="Seeds">Seeds: each trains both networks at every learning rate of the sweep.</param>
/// <param name="ClipNorm">Gradient-norm limit, the same for both networks.</param>
/// <param name="EvalBatch">Held-out sequences of the evaluations (and, from another seed, of the learning-rate selection).</param>
/// <param name="MaxTcnLossRatio">The TCN's held-out loss must be at most this fraction of the trivial baseline.</param>
/// <param name="MinTcnRecall">The TCN must recall at least this fraction of the copied digits.</param>
/// <param name="MinLstmLossRatio">The LSTM's held-out loss must stay at least this fraction of the trivial baseline.</param>
public sealed record TcnSettings(int Delay, int Channels, int KernelSize, double Dropout, int Steps, int Batch, double[] LearningRates, int Seeds,
    double ClipNorm, int EvalBatch, double MaxTcnLossRatio, double MinTcnRecall, double MinLstmLossRatio)
{
    /// <summary>Random digits to remember (10 in the paper).</summary>
    public const int Digits = CopyMemory.Digits;

    /// <summary>Digit values 1 … 8 (0 is the blank, 9 the marker).</summary>
    public const int Symbols = CopyMemory.Symbols;

    /// <summary>Tokens in and classes out: blank, 8 digits, marker.</summary>
    public const int Vocabulary = Symbols + 2;

    /// <summary>Sequence length T + 20: the digits, T blanks, the marker and the recall phase of 10 steps.</summary>
    public int Length => Delay + 2 * Digits;

    /// <summary>TCN blocks: the fewest whose receptive field 1 + 2(k−1)(2^L − 1) covers the whole sequence.</summary>
    public int Levels => TemporalConvNet.LevelsFor(Length, KernelSize);

    /// <summary>Receptive field of the TCN.</summary>
    public int ReceptiveField => TemporalConvNet.ReceptiveFieldOf(KernelSize, Levels);

    /// <summary>
    /// The settings of <paramref name="scale"/>: smoke, T = 20 and k = 3 (4 blocks, RF 61), 250 steps at lr 5e-3, one seed,
    /// no sweep, 128 held-out sequences; otherwise T = 200 and k = 4 (6 blocks, RF 379), 700 steps, lr ∈ {1e-3, 3e-3, 1e-2} swept for both networks,
    /// 3 seeds (gpu: 5), 256 held-out sequences. 24 channels per block, batches of 16, gradient norm ≤ 1.
    /// </summary>
    public static TcnSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Delay: 20, Channels: 24, KernelSize: 3, Dropout: 0.0, Steps: 250, Batch: 16, LearningRates: [5e-3], Seeds: 1, ClipNorm: 1.0,
            EvalBatch: 128, MaxTcnLossRatio: 0.5, MinTcnRecall: 0.6, MinLstmLossRatio: 0.8)
        : new(Delay: 200, Channels: 24, KernelSize: 4, Dropout: 0.0, Steps: 700, Batch: 16, LearningRates: [1e-3, 3e-3, 1e-2],
            Seeds: scale == Scale.Cpu ? 3 : 5, ClipNorm: 1.0, EvalBatch: 256, MaxTcnLossRatio: 0.1, MinTcnRecall: 0.95, MinLstmLossRatio: 0.8);
}

/// <summary>What the TCN notebook draws: the sweep, the per-seed scores and, for the first seed, where the recalled digits are read from.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Baseline">The trivial baseline 10·ln 8/(T + 20) (nats per step).</param>
/// <param name="Parameters">Parameter counts by network ("tcn", "lstm").</param>
/// <param name="SweepLoss">Selection loss (held-out sequences of another seed) per network and learning rate, the mean over seeds.</param>
/// <param name="SelectedRate">The learning rate selected for each network.</param>
/// <param name="LossRatio">Held-out loss / baseline per network over seeds.</param>
/// <param name="Recall">Fraction of the copied digits recalled per network over seeds.</param>
/// <param name="Profiles">Input-gradient profile of each trained network of the first seed.</param>
/// <param name="Reads">Per network of the first seed: |∂ log p(digit r) / ∂ input s| for the 10 recall steps (rows) and every input step.</param>
/// <param name="Example">One held-out sequence: inputs (row 0) and targets (row 1).</param>
public sealed record TcnOutcome(TcnSettings Settings, double Baseline, IReadOnlyDictionary<string, long> Parameters,
    IReadOnlyDictionary<string, double[]> SweepLoss, IReadOnlyDictionary<string, double> SelectedRate, IReadOnlyDictionary<string, SeedSummary> LossRatio,
    IReadOnlyDictionary<string, SeedSummary> Recall, IReadOnlyDictionary<string, InputGradientProfile> Profiles,
    IReadOnlyDictionary<string, double[][]> Reads, long[][] Example);

/// <summary>Held-out cross-entropy (nats per step, over all T + 20 steps) and the fraction of copied digits recalled (argmax).</summary>
public sealed record CopyScore(double Loss, double Recall);

/// <summary>
/// Gradients of one output of a <see cref="SequenceTagger"/> with respect to its one-hot inputs, summed in absolute value
/// over the vocabulary and a batch of random sequences.
/// </summary>
/// <param name="ByLag">|∂ probe·y[t] / ∂ x[t − lag]| for lag = 0 … t.</param>
/// <param name="Future">|∂ probe·y[t] / ∂ x[t + 1 + j]| for the inputs after t (all zero for a causal network).</param>
public sealed record InputGradientProfile(double[] ByLag, double[] Future)
{
    /// <summary>1 + the largest lag with a non-zero gradient (0 when every gradient is zero).</summary>
    public int MeasuredReceptiveField => Array.FindLastIndex(ByLag, g => g != 0) + 1;

    /// <summary>No output depends on a later input: every gradient on the future is exactly zero.</summary>
    public bool Causal => Future.All(g => g == 0);

    /// <summary>The gradient is non-zero on every lag 0 … rf − 1 and exactly zero on every larger lag.</summary>
    public bool IsExactly(int rf) => ByLag.Length >= rf && ByLag.Take(rf).All(g => g != 0) && ByLag.Skip(rf).All(g => g == 0);
}

/// <summary>
/// Bai, Kolter &amp; Koltun (2018), "An Empirical Evaluation of Generic Convolutional and Recurrent Networks for Sequence
/// Modeling" — the experiment of notebooks/sequence/tcn.ipynb: a <see cref="TcnTagger"/> (weight-normalised dilated causal
/// residual blocks) and an <see cref="LstmTagger"/> with about as many parameters learn the copy-memory task
/// (<see cref="SyntheticTasks.Copy"/>: 10 digits, T blanks, a marker, then recall the digits) on the same batches with the
/// optimiser and the same learning-rate sweep, from several seeds. Metrics per step: <c>seed{k}/{tcn|lstm}@{lr}/loss</c>; on
/// held-out sequences: <c>seed{k}/{tcn|lstm}@{lr}/eval_loss</c> and <c>eval_recall</c>. The result's outcome is a <see cref="TcnOutcome"/>.
/// </summary>
public sealed class TcnExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "tcn";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "TCN: generic temporal convolutional networks vs LSTM on copy memory (Bai, Kolter & Koltun, 2018)";

    /// <inheritdoc />
    public string? Narrower => "one of the paper's tasks (copy memory at T = 200)";

    /// <inheritdoc />
    public string Claim => "on copy memory (T = 200, sequences of T + 20) a TCN drives the held-out loss below a tenth of the trivial baseline " +
                           "10·ln 8/(T + 20) and recalls ≥ 95 % of the copied digits, while an LSTM with about as many parameters, the same steps " +
                           "and the same learning-rate sweep (1e-3, 3e-3, 1e-2 on every seed, selected by the mean loss on other held-out sequences) stays at ≥ 0.8 × the baseline; " +
                           "mean and every one of 3 seeds (smoke: T = 20, 250 steps, one seed, lr 5e-3, TCN loss ≤ 0.5 × baseline, recall ≥ 60 %)";

    /// <summary>
    /// The loss of the best predictor that remembers nothing: the blank with certainty for the first T + 10 steps
    /// (0 nats each), uniform over the 8 digits for the last 10 (ln 8 each), averaged over all T + 20 steps.
    /// </summary>
    public static double BaselineLoss(int delay) => CopyMemory.BaselineLoss(delay);

    /// <summary>A batch of the copy-memory task of length T + 20: tokens and targets int64 [batch, T + 20].</summary>
    public static TaskBatch CopyBatch(int batch, int delay, int seed, Device? device = null)
    {
        using var cpu = SyntheticTasks.Copy(batch, TcnSettings.Digits, TcnSettings.Symbols, delay, seed);
        var target = device ?? Device.CPU;
        return new TaskBatch(cpu.Inputs.To(target).DetachFromScope(), cpu.Targets.To(target).DetachFromScope());
    }

    /// <summary>The seed of the training batch at <paramref name="step"/> (the held-out batch uses <see cref="EvalSeed"/>).</summary>
    public static int BatchSeed(ulong runSeed, long step) => (int)((runSeed * 1_000_003UL + (ulong)step) % int.MaxValue);

    /// <summary>The seed of the held-out sequences (never a training seed: those are taken modulo int.MaxValue).</summary>
    public const int EvalSeed = int.MaxValue;

    /// <summary>The TCN of <paramref name="s"/>: <see cref="TcnSettings.Levels"/> blocks of <see cref="TcnSettings.Channels"/>.</summary>
    public static TcnTagger CreateTcn(TcnSettings s, DType? dtype = null, Device? device = null) =>
        new(TcnSettings.Vocabulary, TcnSettings.Vocabulary, Enumerable.Repeat(s.Channels, s.Levels).ToArray(), s.KernelSize, s.Dropout, dtype: dtype, device: device);

    /// <summary>A one-layer LSTM tagger with the hidden size whose parameter count is closest to <paramref name="parameters"/>.</summary>
    public static LstmTagger CreateLstm(long parameters, DType? dtype = null, Device? device = null) =>
        new(TcnSettings.Vocabulary, TcnSettings.Vocabulary, LstmTagger.HiddenSizeFor(TcnSettings.Vocabulary, TcnSettings.Vocabulary, parameters), dtype: dtype, device: device);

    /// <summary>Mean cross-entropy over every step of every sequence: logits [batch, time, classes], targets [batch, time].</summary>
    public static Tensor CopyLoss(Tensor logits, Tensor targets) => CopyMemory.Loss(logits, targets);

    /// <summary>Held-out loss and recall of the last 10 steps (the copied digits), in evaluation mode and without gradients.</summary>
    public static CopyScore Score(SequenceTagger model, TaskBatch data)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        bool training = model.Training;
        model.Eval();
        try
        {
            var logits = model.Forward(data.Inputs);                                                   // [batch, T + 20, classes]
            double loss = CopyLoss(logits, data.Targets).Item<float>();
            long time = logits.Size(1);
            var recalled = logits.Narrow(1, time - TcnSettings.Digits, TcnSettings.Digits).ArgMax(2);   // [batch, 10]
            double recall = recalled.Eq(data.Targets.Narrow(1, time - TcnSettings.Digits, TcnSettings.Digits)).Double().Mean().Item<double>();
            return new CopyScore(loss, recall);
        }
        finally
        {
            model.Train(training);
        }
    }

    /// <summary>
    /// Input gradients of output step <paramref name="t"/> of <paramref name="model"/> on <paramref name="batch"/> random token
    /// sequences of <paramref name="length"/> steps (uniform over the vocabulary, from <paramref name="seed"/>), through a float64
    /// copy in evaluation mode, projected on a fixed random direction of the logits.
    /// </summary>
    public static InputGradientProfile GradientProfile(SequenceTagger model, int length, int t, int batch = 8, int seed = 0)
    {
        if (t < 0 || t >= length) throw new ArgumentOutOfRangeException(nameof(t), t, $"must be in [0, {length})");
        using var scope = NewScope();
        using var copy = DoubleCopy(model);
        copy.Eval();
        var random = new Random(seed);
        var tokens = Enumerable.Range(0, batch * length).Select(_ => (long)random.Next(model.Vocabulary)).ToArray();
        var probe = Enumerable.Range(0, model.Classes).Select(_ => random.NextDouble() - 0.5).ToArray();
        var device = ParameterDevice(model);
        var x = F.OneHot(Tensor.From(tokens, batch, length).To(device), model.Vocabulary).Double().RequiresGrad_();   // [batch, length, vocabulary]
        var y = copy.Forward(x).Select(1, t);                                                          // [batch, classes]
        (y * Tensor.From(probe).To(device)).Sum().Backward();
        var perStep = x.Grad!.Abs().Sum(dim: 2).Sum(dim: 0).ToArray<double>();                         // [length]
        return new InputGradientProfile(perStep.Take(t + 1).Reverse().ToArray(), perStep.Skip(t + 1).ToArray());
    }

    /// <summary>
    /// Which inputs each recalled digit is read from: row r holds |∂ log p(target[t] | x) / ∂ onehot(x[s])| summed over the
    /// vocabulary, for the r-th of the last 10 steps t and every input step s, of one sequence (<paramref name="tokens"/> and
    /// <paramref name="targets"/> int64 [1, T + 20]), through a float64 copy in evaluation mode.
    /// </summary>
    public static double[][] RecallGradients(SequenceTagger model, Tensor tokens, Tensor targets)
    {
        if (tokens.Dim != 2 || tokens.Size(0) != 1 || !tokens.Shape.SequenceEqual(targets.Shape) || tokens.Size(1) < TcnSettings.Digits)
            throw new ArgumentException($"expects one sequence: tokens and targets [1, time ≥ {TcnSettings.Digits}], got {tokens.ShapeString} and {targets.ShapeString}");
        using var scope = NewScope();
        using var copy = DoubleCopy(model);
        copy.Eval();
        long length = tokens.Size(1);
        var rows = new double[TcnSettings.Digits][];
        for (int r = 0; r < rows.Length; r++)
        {
            using var step = NewScope();
            long t = length - TcnSettings.Digits + r;
            var x = F.OneHot(tokens, model.Vocabulary).Double().RequiresGrad_();                      // [1, time, vocabulary]
            var logProb = copy.Forward(x).Select(1, t).LogSoftmax(1).Gather(1, targets.Narrow(1, t, 1));
            logProb.Sum().Backward();
            rows[r] = x.Grad!.Abs().Sum(dim: 2).Squeeze(0).ToArray<double>();                         // [time]
        }
        return rows;
    }

    /// <summary>A float64 copy of a <see cref="TcnTagger"/> or an <see cref="LstmTagger"/> with the same weights.</summary>
    public static SequenceTagger DoubleCopy(SequenceTagger model)
    {
        var device = ParameterDevice(model);
        SequenceTagger copy = model switch
        {
            TcnTagger tcn => new TcnTagger(tcn.Vocabulary, tcn.Classes, tcn.Tcn.Blocks.Select(b => b.OutChannels).ToArray(), tcn.Tcn.KernelSize,
                tcn.Tcn.Blocks[0].Dropout1.P, tcn.Tcn.Blocks[0].Conv1.HasWeightNorm, DType.Float64, device),
            LstmTagger lstm => new LstmTagger(lstm.Vocabulary, lstm.Classes, (int)lstm.Lstm.HiddenSize, lstm.Lstm.NumLayers, DType.Float64, device),
            _ => throw new ArgumentException($"no float64 copy for {model.GetType().Name}", nameof(model)),
        };
        using var scope = NewScope();
        copy.LoadStateDict(model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Double()));
        return copy;
    }

    private static Device ParameterDevice(Module model) => model.Parameters().First().Device;

    /// <summary>The networks compared, with their metric names.</summary>
    public static readonly string[] Networks = ["tcn", "lstm"];

    /// <summary>The seed of the held-out sequences the learning rate is selected on (not the evaluation set, not a training seed).</summary>
    public const int SelectionSeed = int.MaxValue - 1;

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = TcnSettings.For(context.Scale);
        var device = context.Device;
        double baseline = BaselineLoss(s.Delay);
        var seeds = context.Seeds(s.Seeds);
        using var held = CopyBatch(s.EvalBatch, s.Delay, EvalSeed, device);
        using var selection = CopyBatch(s.EvalBatch, s.Delay, SelectionSeed, device);
        var parameters = new Dictionary<string, long>();
        using (var probe = CreateTcn(s))
        {
            parameters["tcn"] = probe.ParameterCount();
            using var lstm = CreateLstm(parameters["tcn"]);
            parameters["lstm"] = lstm.ParameterCount();
            context.Run.AddHyperparameters(new
            {
                delay = s.Delay, length = s.Length, s.Steps, s.Batch, learning_rates = s.LearningRates, seeds = seeds.Count, clip_norm = s.ClipNorm,
                tcn_channels = s.Channels, tcn_levels = s.Levels, kernel_size = s.KernelSize, receptive_field = s.ReceptiveField,
                tcn_parameters = parameters["tcn"], lstm_hidden = lstm.Lstm.HiddenSize, lstm_parameters = parameters["lstm"], baseline_loss = baseline,
            });
        }

        // Every learning rate for both networks on every seed; each network's rate is the one with the lowest mean loss on
        // held-out sequences of another seed (selection), so no seed's luck decides it. The first seed's networks are kept.
        var sweep = Networks.ToDictionary(n => n, _ => new double[s.LearningRates.Length]);
        var all = Networks.ToDictionary(n => n, _ => new CopyScore[s.LearningRates.Length][]);
        var firstSeed = new Dictionary<(string, int), SequenceTagger>();
        TrainingResult? last = null;
        try
        {
            foreach (var name in Networks)
                for (int i = 0; i < s.LearningRates.Length; i++)
                {
                    all[name][i] = new CopyScore[seeds.Count];
                    for (int k = 0; k < seeds.Count; k++)
                    {
                        var (net, training) = Train(context, s, name, s.LearningRates[i], seeds[k], k, parameters["tcn"], held);
                        last = training;
                        sweep[name][i] += Score(net, selection).Loss / seeds.Count;
                        all[name][i][k] = Score(net, held);
                        if (k == 0) firstSeed[(name, i)] = net;
                        else net.Dispose();
                    }
                }
            var best = Networks.ToDictionary(n => n, n => Array.IndexOf(sweep[n], sweep[n].Min()));
            var selected = Networks.ToDictionary(n => n, n => s.LearningRates[best[n]]);
            var kept = Networks.ToDictionary(n => n, n => firstSeed[(n, best[n])]);
            var scores = Networks.ToDictionary(n => n, n => all[n][best[n]]);

            var ratio = Networks.ToDictionary(n => n, n => new SeedSummary(scores[n].Select(c => c.Loss / baseline)));
            var recall = Networks.ToDictionary(n => n, n => new SeedSummary(scores[n].Select(c => c.Recall)));
            int probeLength = s.ReceptiveField + 40, probeStep = s.ReceptiveField + 19;   // 20 steps after t, and more than RF before it
            var profiles = Networks.ToDictionary(n => n, n => GradientProfile(kept[n], probeLength, probeStep, seed: (int)context.Seed));
            using var one = CopyBatch(1, s.Delay, EvalSeed);
            var reads = Networks.ToDictionary(n => n, n => RecallGradients(kept[n], one.Inputs.To(device), one.Targets.To(device)));
            long[][] example = [one.Inputs.ToArray<long>(), one.Targets.ToArray<long>()];

            var check = new ClaimCheck()
                .AtMost("TCN held-out loss / trivial baseline", ratio["tcn"], s.MaxTcnLossRatio, format: "F3")
                .AtLeast("TCN digits recalled", recall["tcn"], s.MinTcnRecall, format: "F3")
                .AtLeast("LSTM held-out loss / trivial baseline (tuned lr)", ratio["lstm"], s.MinLstmLossRatio, format: "F3");
            var metrics = new Dictionary<string, double>
            {
                ["baseline_loss"] = baseline, ["tcn_parameters"] = parameters["tcn"], ["lstm_parameters"] = parameters["lstm"],
                ["tcn_lr"] = selected["tcn"], ["lstm_lr"] = selected["lstm"],
                ["tcn_loss_ratio"] = ratio["tcn"].Mean, ["lstm_loss_ratio"] = ratio["lstm"].Mean,
                ["tcn_recall"] = recall["tcn"].Mean, ["lstm_recall"] = recall["lstm"].Mean,
                ["receptive_field"] = profiles["tcn"].MeasuredReceptiveField, ["causal"] = profiles["tcn"].Causal ? 1 : 0,
            };
            return check.Result(metrics, last, new TcnOutcome(s, baseline, parameters, sweep, selected, ratio, recall, profiles, reads, example));
        }
        finally
        {
            foreach (var net in firstSeed.Values) net.Dispose();
        }
    }

    // One network trained from seed `seed` at `lr` on the batches of that seed; metrics under seed{k}/{name}@{lr}/.
    private static (SequenceTagger Net, TrainingResult Training) Train(ExperimentContext context, TcnSettings s, string name, double lr, ulong seed,
        int k, long tcnParameters, TaskBatch held)
    {
        var device = context.Device;
        ManualSeed(seed);
        SequenceTagger net = name == "tcn" ? CreateTcn(s, device: device) : CreateLstm(tcnParameters, device: device);
        using var adam = new Adam(net.Parameters(), lr: lr);
        string prefix = string.Create(CultureInfo.InvariantCulture, $"seed{k}/{name}@{lr:G3}");
        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = s.Steps,
            LearningRate = LearningRates.Constant(lr),
            EvalEvery = Math.Max(1, s.Steps / 10),
        });
        var training = trainer.Fit(new TensorState { { name, new ModuleState(net, adam) } }, ctx =>
        {
            using var batch = CopyBatch(s.Batch, s.Delay, BatchSeed(seed, ctx.Step), device);
            ctx.ApplyLearningRate(adam);
            var loss = CopyLoss(net.Forward(batch.Inputs), batch.Targets);
            adam.ZeroGrad();
            loss.Backward();
            GradClip.ClipGradNorm(net.Parameters(), s.ClipNorm);
            adam.Step();
            return new StepResult(Metrics: new Dictionary<string, double> { [$"{prefix}/loss"] = loss.Item<float>() });
        }, evaluate: _ =>
        {
            var score = Score(net, held);
            return new Dictionary<string, double> { [$"{prefix}/eval_loss"] = score.Loss, [$"{prefix}/eval_recall"] = score.Recall };
        }, run: context.Run);
        return (net, training);
    }
}
