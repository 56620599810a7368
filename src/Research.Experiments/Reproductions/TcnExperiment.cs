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
/// <param name="LearningRate">Adam learning rate (constant), the same for both networks.</param>
/// <param name="ClipNorm">Gradient-norm limit, the same for both networks.</param>
/// <param name="EvalBatch">Held-out sequences of the evaluations.</param>
/// <param name="MaxTcnLossRatio">The TCN's held-out loss must be at most this fraction of the trivial baseline.</param>
/// <param name="MinTcnRecall">The TCN must recall at least this fraction of the copied digits.</param>
/// <param name="MinLstmLossRatio">The LSTM's held-out loss must stay at least this fraction of the trivial baseline.</param>
public sealed record TcnSettings(int Delay, int Channels, int KernelSize, double Dropout, int Steps, int Batch, double LearningRate, double ClipNorm,
    int EvalBatch, double MaxTcnLossRatio, double MinTcnRecall, double MinLstmLossRatio)
{
    /// <summary>Random digits to remember (10 in the paper).</summary>
    public const int Digits = 10;

    /// <summary>Digit values 1 … 8 (0 is the blank, 9 the marker).</summary>
    public const int Symbols = 8;

    /// <summary>Tokens in and classes out: blank, 8 digits, marker.</summary>
    public const int Vocabulary = Symbols + 2;

    /// <summary>Sequence length T + 20: the digits, T blanks, the marker and the recall phase of 10 steps.</summary>
    public int Length => Delay + 2 * Digits;

    /// <summary>TCN blocks: the fewest whose receptive field 1 + 2(k−1)(2^L − 1) covers the whole sequence.</summary>
    public int Levels => TemporalConvNet.LevelsFor(Length, KernelSize);

    /// <summary>Receptive field of the TCN.</summary>
    public int ReceptiveField => TemporalConvNet.ReceptiveFieldOf(KernelSize, Levels);

    /// <summary>
    /// The settings of <paramref name="scale"/>: T = 50 and k = 3 (5 blocks, RF 125) at smoke; T = 200 and k = 4 (6 blocks,
    /// RF 379) otherwise (gpu uses the cpu sizes). 24 channels per block, batches of 16, Adam at 2e-3, gradient norm ≤ 1.
    /// </summary>
    public static TcnSettings For(Scale scale) => scale == Scale.Smoke
        ? new(Delay: 50, Channels: 24, KernelSize: 3, Dropout: 0.0, Steps: 400, Batch: 16, LearningRate: 2e-3, ClipNorm: 1.0,
            EvalBatch: 256, MaxTcnLossRatio: 0.5, MinTcnRecall: 0.6, MinLstmLossRatio: 0.8)
        : new(Delay: 200, Channels: 24, KernelSize: 4, Dropout: 0.0, Steps: 700, Batch: 16, LearningRate: 2e-3, ClipNorm: 1.0,
            EvalBatch: 256, MaxTcnLossRatio: 0.1, MinTcnRecall: 0.95, MinLstmLossRatio: 0.8);
}

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
/// same optimiser. Metrics per step: <c>tcn/loss</c>, <c>lstm/loss</c>; evaluations on held-out sequences:
/// <c>eval/tcn_loss</c>, <c>eval/lstm_loss</c>, <c>eval/tcn_recall</c>, <c>eval/lstm_recall</c>; at the end the TCN's
/// receptive field measured by input gradients and its causality.
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
    public string Claim => "on copy memory (T = 200, sequences of T + 20) a TCN drives the held-out loss below a tenth of the trivial baseline " +
                           "10·ln 8/(T + 20) and recalls ≥ 95 % of the copied digits, while an LSTM with about as many parameters, the same optimiser and " +
                           "steps stays at ≥ 0.8 × the baseline; the TCN's receptive field measured by input gradients equals 1 + 2(k−1)(2^L − 1) and it " +
                           "never depends on future inputs (smoke: T = 50, TCN loss ≤ 0.5 × baseline, recall ≥ 60 %)";

    /// <summary>
    /// The loss of the best predictor that remembers nothing: the blank with certainty for the first T + 10 steps
    /// (0 nats each), uniform over the 8 digits for the last 10 (ln 8 each), averaged over all T + 20 steps.
    /// </summary>
    public static double BaselineLoss(int delay) => TcnSettings.Digits * Math.Log(TcnSettings.Symbols) / (delay + 2 * TcnSettings.Digits);

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
    public static Tensor CopyLoss(Tensor logits, Tensor targets)
    {
        using var scope = NewScope();
        return scope.Keep(F.CrossEntropy(logits.Reshape(-1, logits.Size(2)), targets.Reshape(-1)));
    }

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

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = TcnSettings.For(context.Scale);
        var device = context.Device;
        double baseline = BaselineLoss(s.Delay);

        ManualSeed(context.Seed);
        using var tcn = CreateTcn(s, device: device);
        using var lstm = CreateLstm(tcn.ParameterCount(), device: device);
        context.Run.AddHyperparameters(new
        {
            delay = s.Delay, length = s.Length, digits = TcnSettings.Digits, symbols = TcnSettings.Symbols, s.Steps, s.Batch, lr = s.LearningRate,
            clip_norm = s.ClipNorm, eval_batch = s.EvalBatch, tcn_channels = s.Channels, tcn_levels = s.Levels, kernel_size = s.KernelSize, s.Dropout,
            receptive_field = s.ReceptiveField, tcn_parameters = tcn.ParameterCount(), lstm_hidden = lstm.Lstm.HiddenSize, lstm_parameters = lstm.ParameterCount(),
            baseline_loss = baseline, max_tcn_loss_ratio = s.MaxTcnLossRatio, min_tcn_recall = s.MinTcnRecall, min_lstm_loss_ratio = s.MinLstmLossRatio,
        });
        context.Run.Log(string.Create(CultureInfo.InvariantCulture,
            $"TCN: {s.Levels} blocks x {s.Channels} channels, k = {s.KernelSize}, receptive field {s.ReceptiveField}, {tcn.ParameterCount()} parameters; " +
            $"LSTM: hidden {lstm.Lstm.HiddenSize}, {lstm.ParameterCount()} parameters; trivial baseline {baseline:F4} nats/step"));

        using var adamTcn = new Adam(tcn.Parameters(), lr: s.LearningRate);
        using var adamLstm = new Adam(lstm.Parameters(), lr: s.LearningRate);
        var networks = new (string Name, SequenceTagger Net, Adam Optimizer)[] { ("tcn", tcn, adamTcn), ("lstm", lstm, adamLstm) };
        var state = new TensorState { { "tcn", new ModuleState(tcn, adamTcn) }, { "lstm", new ModuleState(lstm, adamLstm) } };
        using var held = CopyBatch(s.EvalBatch, s.Delay, EvalSeed, device);

        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = s.Steps,
            LearningRate = LearningRates.Constant(s.LearningRate),
            EvalEvery = Math.Max(1, s.Steps / 10),
            Monitor = "eval/tcn_loss",
            MonitorMode = MonitorMode.Min,
        });
        var result = trainer.Fit(state, ctx =>
        {
            using var batch = CopyBatch(s.Batch, s.Delay, BatchSeed(context.Seed, ctx.Step), device);
            var metrics = new Dictionary<string, double>();
            foreach (var (name, net, optimizer) in networks)
            {
                ctx.ApplyLearningRate(optimizer);
                var loss = CopyLoss(net.Forward(batch.Inputs), batch.Targets);
                optimizer.ZeroGrad();
                loss.Backward();
                GradClip.ClipGradNorm(net.Parameters(), s.ClipNorm);
                optimizer.Step();
                metrics[$"{name}/loss"] = loss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ =>
        {
            var (t, l) = (Score(tcn, held), Score(lstm, held));
            return new Dictionary<string, double> { ["tcn_loss"] = t.Loss, ["lstm_loss"] = l.Loss, ["tcn_recall"] = t.Recall, ["lstm_recall"] = l.Recall };
        }, run: context.Run);

        var (tcnScore, lstmScore) = (Score(tcn, held), Score(lstm, held));
        int probeLength = s.ReceptiveField + 40, probeStep = s.ReceptiveField + 19;       // 20 steps after t, and more than RF before it
        var profile = GradientProfile(tcn, probeLength, probeStep, seed: (int)context.Seed);
        int measured = profile.MeasuredReceptiveField;
        bool exact = profile.IsExactly(s.ReceptiveField), causal = profile.Causal;

        double tcnRatio = tcnScore.Loss / baseline, lstmRatio = lstmScore.Loss / baseline;
        var metricsOut = new Dictionary<string, double>
        {
            ["baseline_loss"] = baseline, ["tcn_loss"] = tcnScore.Loss, ["lstm_loss"] = lstmScore.Loss,
            ["tcn_loss_ratio"] = tcnRatio, ["lstm_loss_ratio"] = lstmRatio, ["tcn_recall"] = tcnScore.Recall, ["lstm_recall"] = lstmScore.Recall,
            ["tcn_parameters"] = tcn.ParameterCount(), ["lstm_parameters"] = lstm.ParameterCount(),
            ["receptive_field"] = measured, ["designed_receptive_field"] = s.ReceptiveField, ["causal"] = causal ? 1 : 0,
        };
        foreach (var (k, v) in metricsOut) context.Run.Record(result.Steps, $"final/{k}", v);
        bool tcnSolves = tcnRatio <= s.MaxTcnLossRatio && tcnScore.Recall >= s.MinTcnRecall;
        bool lstmStays = lstmRatio >= s.MinLstmLossRatio;
        bool holds = tcnSolves && lstmStays && exact && causal;
        return new ExperimentResult(holds,
            string.Create(CultureInfo.InvariantCulture,
                $"copy memory T = {s.Delay} after {result.Steps} steps (trivial baseline {baseline:F4} nats/step): " +
                $"TCN loss {tcnScore.Loss:G3} = {tcnRatio:G3} x baseline ({(tcnRatio <= s.MaxTcnLossRatio ? "≤" : ">")} {s.MaxTcnLossRatio}), " +
                $"recall {tcnScore.Recall:P1} ({(tcnScore.Recall >= s.MinTcnRecall ? "≥" : "<")} {s.MinTcnRecall:P0}); " +
                $"LSTM loss {lstmScore.Loss:G3} = {lstmRatio:G3} x baseline ({(lstmStays ? "≥" : "<")} {s.MinLstmLossRatio}), recall {lstmScore.Recall:P1}; " +
                $"{tcn.ParameterCount()} vs {lstm.ParameterCount()} parameters; receptive field measured {measured} {(exact ? "=" : "≠")} 1 + 2(k−1)(2^L − 1) = {s.ReceptiveField}, " +
                $"{(causal ? "causal" : "NOT causal")} ({result.Status})"),
            metricsOut, result);
    }
}
