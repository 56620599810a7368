using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the ConvS5 experiment at one scale.</summary>
/// <param name="Seeds">Seeds of the comparison (the learning rate is tuned on the first).</param>
/// <param name="Steps">Adam steps of every predictor.</param>
/// <param name="LearningRates">The sweep both models get.</param>
/// <param name="Width">Channels between encoder and decoder (ConvLSTM's hidden channels).</param>
/// <param name="Layers">Recurrent layers of each predictor.</param>
/// <param name="TestVideos">Held-out test videos.</param>
/// <param name="TimingFrames">The long sequence length at which training steps are timed.</param>
/// <param name="TimingRounds">Alternating timed rounds (median).</param>
/// <param name="CheckClaim">Whether the paper's conditions are checked (not at smoke scale).</param>
public sealed record ConvS5Settings(int Seeds, int Steps, double[] LearningRates, int Width, int Layers, int TestVideos,
    int TimingFrames, int TimingRounds, bool CheckClaim)
{
    /// <summary>Canvas side (pixels) and digits per video.</summary>
    public const int Canvas = 16, Digits = 2;

    /// <summary>Context frames k, and the training horizon (frames predicted after the context).</summary>
    public const int Context = 8, Horizon = 8;

    /// <summary>The long rollout at test: 3× the training horizon.</summary>
    public const int LongHorizon = 3 * Horizon;

    /// <summary>Videos per training step, and in a timed step.</summary>
    public const int Batch = 8, TimingBatch = 4;

    /// <summary>Validation videos (learning-rate choice).</summary>
    public const int ValidationVideos = 32;

    /// <summary>ConvS5's test MSE (horizon 1–8) may be at most this many times ConvLSTM's ("matches"), on average and in most seeds.</summary>
    public const double MseRatio = 1.1;

    /// <summary>ConvS5's MSE at 2–3× the training horizon (frames 17–24) may be at most this many times ConvLSTM's ("stable longer rollouts").</summary>
    public const double LongMseRatio = 1.1;

    /// <summary>A ConvS5 training step (forward + backward) at the long length must be at least this many times faster than ConvLSTM's.</summary>
    public const double RequiredSpeedup = 1.5;

    /// <summary>
    /// Smoke: 1 seed, 30 steps, lr 3e-3, width 8, 1 layer; checked only that ConvS5 beats predicting blank frames.
    /// cpu: 5 seeds (a first run with 3 left the frames 1–8 margin, 0.005, far below twice the seed spread), 400 steps,
    /// sweep {1e-3, 3e-3, 1e-2}, width 8, 2 layers, timing at 64 frames (sized for a shared, heavily loaded 2-core machine). gpu: 5 seeds, 5000 steps, width 32, 3 layers, timing at 256 frames.
    /// </summary>
    public static ConvS5Settings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(1, 30, [3e-3], 8, 1, 16, 16, 1, CheckClaim: false),
        Scale.Cpu => new(5, 400, [1e-3, 3e-3, 1e-2], 8, 2, 64, 64, 5, CheckClaim: true),
        _ => new(5, 5000, [1e-3, 3e-3, 1e-2], 32, 3, 256, 256, 9, CheckClaim: true),
    };
}

/// <summary>Step times (ms, medians) of one predictor: forward alone, and forward + backward + Adam, at the training and the long length.</summary>
public sealed record FrameStepTimes(double ForwardMs, double TrainMs, double LongForwardMs, double LongTrainMs);

/// <summary>
/// What the ConvS5 experiment measured: the tuning outcome over the training horizon and the long-horizon MSE per seed,
/// the per-frame test MSE of each model (mean over seeds) and of copying the last context frame, example test videos and
/// the first seed's rollouts, the step times and parameter counts.
/// </summary>
public sealed record ConvS5Outcome(TuningOutcome Tuning, IReadOnlyDictionary<string, SeedSummary> LongMse,
    IReadOnlyDictionary<string, double[]> PerFrameMse, double[] CopyLastPerFrameMse, double[][][] TruthFrames,
    IReadOnlyDictionary<string, double[][][]> PredictedFrames, IReadOnlyDictionary<string, FrameStepTimes> Timing,
    IReadOnlyDictionary<string, long> Parameters, int Threads);

/// <summary>
/// Smith et al. (2023), "Convolutional State Space Models for Long-Range Spatiotemporal Modeling" — the experiment of
/// notebooks/sequence/convs5.ipynb. A ConvS5 and a ConvLSTM next-frame predictor with the same parameters (±10 %), steps,
/// batches and learning-rate sweep (tuned on the first seed's validation videos) learn moving-digits videos (two sklearn
/// digits bouncing on a 16×16 canvas) by teacher forcing; at test they read 8 frames of videos with held-out digits and
/// roll out 24 frames on their own. Claim: ConvS5's test MSE over the 8 frames of the training horizon ≤ 1.1× ConvLSTM's
/// and over frames 17–24 (2–3× the horizon) ≤ 1.1× ConvLSTM's, each on average and in most seeds; a ConvS5 training step
/// at 64 frames ≥ 1.5× faster than ConvLSTM's. Control: both beat copying the last context frame. Metrics:
/// <c>seed{n}/moving_digits/{model@lr}/loss</c>, <c>…/validation_mse</c>; <c>timing/…</c>.
/// </summary>
public sealed class ConvS5Experiment : IExperiment
{
    /// <summary>The two predictors, with their metric names.</summary>
    public static readonly (string Name, FrameRecurrence Kind)[] Models = [("convs5", FrameRecurrence.ConvS5), ("convlstm", FrameRecurrence.ConvLstm)];

    private const string Task = "moving_digits";

    /// <inheritdoc />
    public string Id => "convs5";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "ConvS5: a convolutional state space model against a ConvLSTM on moving digits (Smith et al., 2023)";

    /// <inheritdoc />
    public string? Narrower =>
        "two sklearn digits bouncing on a 16×16 canvas (not Moving MNIST 64×64, no long-range 3-D environments), 8 → 8 frames " +
        "trained, 24 rolled out; real diagonal Λ (S4D-Real init) instead of S5's complex HiPPO-N; CPU step times";

    /// <inheritdoc />
    public string Claim =>
        FormattableString.Invariant($"a ConvS5 frame predictor has at most {ConvS5Settings.MseRatio}× the test MSE of a ConvLSTM with the same ") +
        "parameters (±10 %), steps and learning-rate sweep over the 8 predicted frames it was trained for, and at most " +
        FormattableString.Invariant($"{ConvS5Settings.LongMseRatio}× over frames 17–24 of a 24-frame rollout, on average and in most seeds (3 of 5 at cpu scale) ") +
        "(held-out digits); both beat copying the last frame; a ConvS5 training step at 64 frames is ≥ " +
        FormattableString.Invariant($"{ConvS5Settings.RequiredSpeedup}× faster (smoke: ConvS5 beats predicting blank frames, nothing else checked)");

    /// <summary>A predictor of the experiment's shape at <paramref name="s"/>: ConvS5's state channels match a ConvLSTM layer's parameters.</summary>
    public static FramePredictor Create(FrameRecurrence kind, ConvS5Settings s, Device? device = null) =>
        new(kind, 1, s.Width, s.Layers, FramePredictor.MatchedState(s.Width), device: device);

    /// <summary>Teacher-forced training loss: the MSE of predicting frames 2..T from frames 1..T−1.</summary>
    public static Tensor TeacherForcedLoss(FramePredictor model, Tensor videos)
    {
        using var scope = NewScope();
        long time = videos.Size(1);
        return scope.Keep(F.MseLoss(model.Forward(videos.Narrow(1, 0, time - 1)), videos.Narrow(1, 1, time - 1)));
    }

    /// <summary>
    /// MSE per rolled-out frame [horizon] of <paramref name="model"/> on <paramref name="videos"/> [n, k + horizon, 1, h, w]:
    /// the first <see cref="ConvS5Settings.Context"/> frames are read, the rest predicted (no gradients).
    /// </summary>
    public static double[] RolloutMse(FramePredictor model, Tensor videos)
    {
        using var scope = NewScope();
        using var g = NoGrad();
        int horizon = (int)videos.Size(1) - ConvS5Settings.Context;
        var predicted = model.Rollout(videos.Narrow(1, 0, ConvS5Settings.Context), horizon);
        var truth = videos.Narrow(1, ConvS5Settings.Context, horizon);
        return (predicted - truth).Square().Mean([0, 2, 3, 4]).Double().ToArray<double>();
    }

    /// <summary>MSE per frame [horizon] of the control that repeats the last context frame.</summary>
    public static double[] CopyLastMse(Tensor videos)
    {
        using var scope = NewScope();
        int horizon = (int)videos.Size(1) - ConvS5Settings.Context;
        var last = videos.Narrow(1, ConvS5Settings.Context - 1, 1);
        return (videos.Narrow(1, ConvS5Settings.Context, horizon) - last).Square().Mean([0, 2, 3, 4]).Double().ToArray<double>();
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = ConvS5Settings.For(context.Scale);
        var seeds = context.Seeds(s.Seeds);
        var device = context.Device;
        var data = MovingDigits.Create(ConvS5Settings.Canvas, ConvS5Settings.Digits, seed: (int)context.Seed);
        long state = FramePredictor.MatchedState(s.Width);
        context.Run.AddHyperparameters(new
        {
            seeds = s.Seeds, steps = s.Steps, learning_rates = s.LearningRates, batch = ConvS5Settings.Batch, width = s.Width,
            layers = s.Layers, convs5_state = state, canvas = ConvS5Settings.Canvas, context = ConvS5Settings.Context,
            horizon = ConvS5Settings.Horizon, long_horizon = ConvS5Settings.LongHorizon, timing_frames = s.TimingFrames,
        });
        var parameters = Models.ToDictionary(m => m.Name, m => { using var p = Create(m.Kind, s); return p.ParameterCount(); });

        var timing = Time(context, s, data, device);
        foreach (var (name, t) in timing)
            context.Run.Log(FormattableString.Invariant(
                $"{name}: forward {t.ForwardMs:F1} ms, training step {t.TrainMs:F1} ms ({ConvS5Settings.Context + ConvS5Settings.Horizon - 1} frames); ") +
                FormattableString.Invariant($"forward {t.LongForwardMs:F1} ms, training step {t.LongTrainMs:F1} ms ({s.TimingFrames} frames), batch {ConvS5Settings.TimingBatch}, {NumThreads} thread(s)"));

        using var validation = data.Videos(DigitSplit.Validation, ConvS5Settings.ValidationVideos, ConvS5Settings.Context + ConvS5Settings.Horizon, 1, device);
        using var test = data.Videos(DigitSplit.Test, s.TestVideos, ConvS5Settings.Context + ConvS5Settings.LongHorizon, 2, device);
        double Validation(FramePredictor m) => RolloutMse(m, validation).Average();
        var perFrame = new Dictionary<(ulong Seed, string Model, double Lr), double[]>();
        var kept = new Dictionary<string, FramePredictor>();
        var tuning = LearningRateTuning.Run(Models.Select(m => m.Name).ToArray(), s.LearningRates, seeds, (seed, configs) =>
        {
            var curves = new List<double[]>();
            var scores = SideBySideTraining.Train(context, seed, configs, Task, s.Steps, Math.Max(1, s.Steps / 6),
                name => Create(Models.First(m => m.Name == name).Kind, s, device),
                (_, bits) => { var v = data.Videos(DigitSplit.Train, ConvS5Settings.Batch, ConvS5Settings.Context + ConvS5Settings.Horizon, bits, device); return new TaskBatch(v, v); },
                (m, b) => TeacherForcedLoss(m, b.Inputs),
                m => ("validation_mse", Validation(m)),
                m =>
                {
                    var mse = RolloutMse(m, test);
                    curves.Add(mse);
                    return (Validation(m), mse[..ConvS5Settings.Horizon].Average());
                }, keep: seed == seeds[0] ? kept : null);
            for (int i = 0; i < configs.Count; i++) perFrame[(seed, configs[i].Model, configs[i].LearningRate)] = curves[i];
            return scores;
        }, higherIsBetter: false);

        double[] Curve(ulong seed, string model) => perFrame[(seed, model, tuning.Chosen[model])];
        var longMse = Models.ToDictionary(m => m.Name, m => new SeedSummary(seeds.Select(seed =>
            Curve(seed, m.Name)[(2 * ConvS5Settings.Horizon)..ConvS5Settings.LongHorizon].Average())));
        var meanCurves = Models.ToDictionary(m => m.Name, m => Enumerable.Range(0, ConvS5Settings.LongHorizon)
            .Select(t => seeds.Average(seed => Curve(seed, m.Name)[t])).ToArray());
        var copyLast = CopyLastMse(test);

        // the first seed's rollouts of two test videos (frames of the context's end and of the rollout)
        var shown = new long[] { 0, 1 };
        double[][][] Frames(Tensor videos) => shown.SelectMany(v => Enumerable.Range(0, (int)videos.Size(1))
            .Select(t => { using var sc = NewScope(); var f = videos[v, t, 0].Double(); return Enumerable.Range(0, ConvS5Settings.Canvas)
                .Select(r => f[r].ToArray<double>()).ToArray(); })).ToArray();
        var truth = Frames(test.Narrow(0, 0, shown.Length));
        var predicted = Models.ToDictionary(m => m.Name, m =>
        {
            using var sc = NewScope();
            using var g = NoGrad();
            var model = kept[SideBySideTraining.ConfigName(m.Name, tuning.Chosen[m.Name])];
            return Frames(model.Rollout(test.Narrow(0, 0, shown.Length).Narrow(1, 0, ConvS5Settings.Context), ConvS5Settings.LongHorizon));
        });
        foreach (var model in kept.Values) model.Dispose();

        var check = new ClaimCheck();
        var ratio = new SeedSummary(tuning.Test["convs5"].Values.Zip(tuning.Test["convlstm"].Values, (a, b) => a / b));
        var longRatio = new SeedSummary(longMse["convs5"].Values.Zip(longMse["convlstm"].Values, (a, b) => a / b));
        double copyShort = copyLast[..ConvS5Settings.Horizon].Average();
        double speedup = timing["convlstm"].LongTrainMs / timing["convs5"].LongTrainMs;
        int most = seeds.Count / 2 + 1;
        if (s.CheckClaim)
        {
            check.AtMost("ConvS5 / ConvLSTM test MSE, frames 1–8", ratio, ConvS5Settings.MseRatio, minSeeds: most, format: "F3");
            check.AtMost("ConvS5 / ConvLSTM test MSE, frames 17–24", longRatio, ConvS5Settings.LongMseRatio, minSeeds: most, format: "F3");
            foreach (var (m, _) in Models)
                check.AtMost($"{m} test MSE, frames 1–8 (copying the last frame: {copyShort:F4})", tuning.Test[m], copyShort, format: "F4");
            check.AtLeast($"ConvLSTM / ConvS5 time per training step at {s.TimingFrames} frames", speedup, ConvS5Settings.RequiredSpeedup, "F2");
        }
        else
        {
            double blank = test.Narrow(1, ConvS5Settings.Context, ConvS5Settings.Horizon).Square().Mean().Item<float>();
            check.AtMost(FormattableString.Invariant($"ConvS5 test MSE, frames 1–8 (blank frames: {blank:F4})"), tuning.Test["convs5"], blank, format: "F4");
        }
        var metrics = new Dictionary<string, double>
        {
            ["mse_ratio"] = ratio.Mean, ["long_mse_ratio"] = longRatio.Mean, ["copy_last_mse"] = copyShort, ["train_speedup"] = speedup,
            ["forward_speedup"] = timing["convlstm"].LongForwardMs / timing["convs5"].LongForwardMs,
        };
        foreach (var (m, _) in Models)
        {
            metrics[$"{m}_test_mse"] = tuning.Test[m].Mean;
            metrics[$"{m}_long_mse"] = longMse[m].Mean;
            metrics[$"{m}_lr"] = tuning.Chosen[m];
            metrics[$"{m}_parameters"] = parameters[m];
            metrics[$"{m}_train_ms"] = timing[m].LongTrainMs;
            metrics[$"{m}_forward_ms"] = timing[m].LongForwardMs;
        }
        return check.Result(metrics, outcome: new ConvS5Outcome(tuning, longMse, meanCurves, copyLast, truth, predicted, timing, parameters, NumThreads));
    }

    // Forward and forward + backward + Adam of each predictor on the same videos, at the training length and at the long one, sides alternating.
    private static Dictionary<string, FrameStepTimes> Time(ExperimentContext context, ConvS5Settings s, MovingDigits data, Device device)
    {
        using var scope = NewScope();
        ManualSeed(context.Seed);
        var models = Models.Select(m => Create(m.Kind, s, device)).ToArray();
        var optimizers = models.Select(m => new Adam(m.Parameters(), lr: 1e-3)).ToArray();
        try
        {
            double[] Measure(int frames, bool train)
            {
                using var videos = data.Videos(DigitSplit.Train, ConvS5Settings.TimingBatch, frames + 1, 7, device);
                var sides = models.Select((model, i) => (Action)(() =>
                {
                    using var step = NewScope();
                    if (!train)
                    {
                        using var g = NoGrad();
                        model.Forward(videos.Narrow(1, 0, frames)).Sum().Item<float>();
                        return;
                    }
                    var loss = TeacherForcedLoss(model, videos);
                    optimizers[i].ZeroGrad();
                    loss.Backward();
                    optimizers[i].Step();
                })).ToArray();
                return AlternatingTimer.MedianMilliseconds(sides, s.TimingRounds);
            }
            int shortFrames = ConvS5Settings.Context + ConvS5Settings.Horizon - 1;
            var (f, t, lf, lt) = (Measure(shortFrames, false), Measure(shortFrames, true), Measure(s.TimingFrames, false), Measure(s.TimingFrames, true));
            var times = Models.Select((m, i) => (m.Name, new FrameStepTimes(f[i], t[i], lf[i], lt[i]))).ToDictionary(x => x.Name, x => x.Item2);
            foreach (var (name, time) in times)
            {
                context.Run.Record(0, $"timing/{name}_train_ms", time.LongTrainMs);
                context.Run.Record(0, $"timing/{name}_forward_ms", time.LongForwardMs);
            }
            return times;
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
            foreach (var m in models) m.Dispose();
        }
    }
}
