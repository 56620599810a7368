using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the ParaRNN experiment at one scale.</summary>
/// <param name="Embedding">Character embedding width (both models).</param>
/// <param name="GruWidth">Width of the full-GRU baseline; the ParaGRU's width matches its parameters (<see cref="ParaRnnSettings.ParaWidth"/>).</param>
/// <param name="Context">Characters per training window.</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Steps">Adam steps of every language model.</param>
/// <param name="Seeds">Seeds of the comparison.</param>
/// <param name="LearningRates">The sweep every model gets (chosen on the first seed's validation text).</param>
/// <param name="ConvergenceLength">Length of the text windows on which Newton's convergence is measured.</param>
/// <param name="Lengths">Sequence lengths of the throughput measurement.</param>
/// <param name="TimingBatch">Sequences per timed pass.</param>
/// <param name="Rounds">Alternating timed rounds (median) per length.</param>
/// <param name="RequiredSpeedup">Newton's forward + backward speed-up over the ParaGRU loop at the longest length (0: reported, not checked).</param>
/// <param name="CheckLanguageModel">Whether the perplexity conditions are part of the claim (not at smoke scale).</param>
public sealed record ParaRnnSettings(int Embedding, int GruWidth, int Context, int Batch, int Steps, int Seeds, double[] LearningRates,
    int ConvergenceLength, int[] Lengths, int TimingBatch, int Rounds, double RequiredSpeedup, bool CheckLanguageModel)
{
    /// <summary>Newton iterations allowed to reach the sequential trajectory within 1e-6 (float64): the paper's "3–5 Newton steps".</summary>
    public const int MaxIterations = 5;

    /// <summary>Error to the sequential states that counts as reached (float64).</summary>
    public const double StateTolerance = 1e-6;

    /// <summary>|held-out nats of the Newton-trained − the loop-trained ParaGRU| allowed (same training, float32 rounding apart).</summary>
    public const double SameTrainingNats = 0.01;

    /// <summary>ParaGRU's held-out perplexity may be at most this many times the full GRU's ("comparable").</summary>
    public const double PerplexityRatio = 1.05;

    /// <summary>Residual at which Newton stops in training and timing (float32).</summary>
    public const double Tolerance = 1e-5;

    /// <summary>The ParaGRU width whose parameters (input 3dE + 3d, diagonal recurrence 3d + d, head dV + V) match the GRU's.</summary>
    public int ParaWidth
    {
        get
        {
            long v = LicenseText.Vocabulary, g = GruWidth, e = Embedding;
            long gru = 3 * g * (e + g) + 6 * g + g * v + v;
            return (int)Math.Round((gru - v) / (double)(3 * e + 7 + v));
        }
    }

    /// <summary>
    /// Smoke: GRU width 32, 5 steps, one learning rate, 1 seed; convergence at T = 128; throughput at T = 64, 256 (reported). cpu: GRU
    /// width 64 vs ParaGRU width 117 (equal parameters), 5 seeds × 300 steps of 16 × 64 characters, sweep {3e-3, 1e-2, 3e-2};
    /// convergence at T = 1024; throughput at T = 64 … 4096 (reported: one CPU thread). gpu: width 256, 2000 steps, 5 seeds, throughput
    /// to T = 65 536 with Newton ≥ 2× the loop.
    /// </summary>
    public static ParaRnnSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(16, 32, 32, 4, 5, 1, [1e-2], 128, [64, 256], TimingBatch: 8, Rounds: 2, RequiredSpeedup: 0, CheckLanguageModel: false),
        Scale.Cpu => new(32, 64, 64, 16, 300, 5, [3e-3, 1e-2, 3e-2], 1024, [64, 256, 1024, 4096], TimingBatch: 16, Rounds: 5, RequiredSpeedup: 0,
            CheckLanguageModel: true),
        _ => new(64, 256, 256, 64, 2000, 5, [3e-3, 1e-2, 3e-2], 4096, [256, 1024, 4096, 16384, 65536], TimingBatch: 16, Rounds: 7, RequiredSpeedup: 2,
            CheckLanguageModel: true),
    };
}

/// <summary>How <see cref="ParaRnnLanguageModel"/> runs its recurrence.</summary>
public enum ParaRnnMode
{
    /// <summary>ParaGRU by Newton's method (diagonal scans).</summary>
    Newton,

    /// <summary>ParaGRU by its sequential loop.</summary>
    Loop,

    /// <summary>The full GRU baseline (libtorch's kernel, trained through time).</summary>
    Gru,
}

/// <summary>Character embedding → one recurrent layer (ParaGRU or a full GRU) → linear head over the vocabulary.</summary>
public sealed class ParaRnnLanguageModel : Module<Tensor, Tensor>
{
    /// <summary>Creates the model.</summary>
    public ParaRnnLanguageModel(ParaRnnMode mode, int embedding, int width, DType? dtype = null, Device? device = null)
    {
        Mode = mode;
        Embed = new Embedding(LicenseText.Vocabulary, embedding, dtype: dtype, device: device);
        if (mode == ParaRnnMode.Gru) Gru = new GRU(embedding, width, batchFirst: true, dtype: dtype, device: device);
        else Para = new ParaGru(embedding, width, dtype, device);
        Head = new Linear(width, LicenseText.Vocabulary, dtype: dtype, device: device);
    }

    /// <summary>How the recurrence runs.</summary>
    public ParaRnnMode Mode { get; }

    /// <summary>Token embedding.</summary>
    public Embedding Embed { get; }

    /// <summary>The ParaGRU layer (null for the GRU baseline).</summary>
    public ParaGru? Para { get; }

    /// <summary>The GRU layer (null for a ParaGRU model).</summary>
    public GRU? Gru { get; }

    /// <summary>Output head.</summary>
    public Linear Head { get; }

    /// <summary>Newton iterations of every training forward pass so far (Newton mode, gradients enabled).</summary>
    public List<int> Iterations { get; } = [];

    /// <summary>tokens int64 [batch, time] → logits [batch, time, vocabulary].</summary>
    public override Tensor Forward(Tensor tokens)
    {
        using var scope = NewScope();
        var x = Embed.Forward(tokens);
        Tensor h;
        if (Mode == ParaRnnMode.Gru) h = Gru!.Forward(x).Output;
        else if (Mode == ParaRnnMode.Loop) h = Para!.ForwardSequential(x);
        else
        {
            var solution = Para!.Forward(x, options: new NewtonOptions(ParaRnnSettings.Tolerance, MaxIterations: 30));
            if (IsGradEnabled) Iterations.Add(solution.Iterations);
            h = solution.States;
        }
        return scope.Keep(Head.Forward(h));
    }
}

/// <summary>Median throughput (thousands of tokens per second) at length <paramref name="T"/>: ParaGRU by Newton and by its loop, and the full GRU kernel.</summary>
public sealed record ParaRnnTiming(int T, double NewtonForward, double LoopForward, double GruForward, double NewtonTrain, double LoopTrain,
    double GruTrain, int Iterations);

/// <summary>What the ParaRNN experiment measured, for the notebook to draw.</summary>
/// <param name="Convergence">Per seed: the Newton and Jacobi traces on the trained ParaGRU (Newton-trained, chosen learning rate).</param>
/// <param name="MeanIterations">Per seed: mean Newton iterations per training step of the Newton-trained ParaGRU.</param>
/// <param name="Timing">Throughput per length.</param>
/// <param name="Threads">Intra-op threads of the timing.</param>
/// <param name="LanguageModel">The tuned language-model comparison (held-out nats per character).</param>
/// <param name="Parameters">Parameters of each language model.</param>
public sealed record ParaRnnOutcome(IReadOnlyList<IReadOnlyList<NewtonTrace>> Convergence, IReadOnlyList<double> MeanIterations,
    IReadOnlyList<ParaRnnTiming> Timing, int Threads, TuningOutcome LanguageModel, IReadOnlyDictionary<string, long> Parameters);

/// <summary>
/// Danieli et al. (2025), "ParaRNN: Unlocking Parallel Training of Nonlinear RNNs for Large Language Models" — the experiment of
/// notebooks/sequence/pararnn.ipynb. A GRU adapted to diagonal recurrent weights (<see cref="ParaGru"/>) has a diagonal
/// per-step Jacobian, so each Newton step of <see cref="ParallelNewton"/> is one cheap diagonal scan. Here: (1) Newton's error to the
/// sequential states per iteration on the trained ParaGRU (T = 1024, float64), against Jacobi sweeps; (2) throughput vs length,
/// Newton vs the ParaGRU loop vs a full GRU kernel, forward and forward + backward, sides alternating, one thread; (3) character-level
/// language models on Debian's licence texts: ParaGRU trained by Newton, the same ParaGRU trained by its loop, and a full GRU with the
/// same parameters, same steps and learning-rate sweep, by held-out perplexity over seeds.
/// Metrics: <c>seed{n}/lm/{model@lr}/loss</c>, <c>seed{n}/lm/{model@lr}/validation_nats</c>; <c>seed{n}/convergence/{name}/error</c> per
/// iteration; <c>timing/{side}_{forward,train}_ktok_s</c> with step = T.
/// </summary>
public sealed class ParaRnnExperiment : IExperiment
{
    /// <summary>The language models, with their metric names.</summary>
    public static readonly (string Name, ParaRnnMode Mode)[] Models =
        [("paragru-newton", ParaRnnMode.Newton), ("paragru-loop", ParaRnnMode.Loop), ("gru", ParaRnnMode.Gru)];

    /// <inheritdoc />
    public string Id => "pararnn";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "ParaRNN: a diagonal-recurrence GRU trained by parallel Newton iterations — steps to convergence, throughput, language model (Danieli et al., 2025)";

    /// <inheritdoc />
    public string? Narrower => "a one-layer character-level model on CPU instead of 7B-parameter LLMs on GPUs; throughput reported, not claimed (gpu scale has not run)";

    /// <inheritdoc />
    public string Claim => FormattableString.Invariant(
        $"on the trained ParaGRU at T = 1024, Newton's method reaches the sequential states within {ParaRnnSettings.StateTolerance:G} in at most ") +
        FormattableString.Invariant($"{ParaRnnSettings.MaxIterations} iterations (float64, every seed); training the ParaGRU by Newton gives the held-out loss of training it ") +
        FormattableString.Invariant($"sequentially within {ParaRnnSettings.SameTrainingNats} nats (mean and every seed); and its held-out perplexity is at most ") +
        FormattableString.Invariant($"{ParaRnnSettings.PerplexityRatio}× a full GRU's with the same parameters, steps and learning-rate sweep (mean and all but one seed). ") +
        "Throughput vs the loop is measured on one CPU thread and reported; the paper's GPU speed-up is checked at gpu scale only";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = ParaRnnSettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        int paraWidth = s.ParaWidth;
        context.Run.AddHyperparameters(new
        {
            embedding = s.Embedding, gru_width = s.GruWidth, para_width = paraWidth, context = s.Context, batch = s.Batch, steps = s.Steps,
            seeds = s.Seeds, learning_rates = s.LearningRates, convergence_length = s.ConvergenceLength, lengths = s.Lengths,
            timing_batch = s.TimingBatch, rounds = s.Rounds, tolerance = ParaRnnSettings.Tolerance,
        });

        var text = LicenseText.Load();
        using var validation = LicenseText.EvaluationWindows(text.Validation, s.Context, device);
        using var test = LicenseText.EvaluationWindows(text.Test, s.Context, device);
        using var longWindows = LicenseText.EvaluationWindows(text.Validation, s.ConvergenceLength);
        using var convergenceTokens = longWindows.Inputs.Narrow(0, 0, Math.Min(4, longWindows.Inputs.Size(0)));
        var parameters = new Dictionary<string, long>();
        var traces = new Dictionary<(ulong Seed, double Lr), IReadOnlyList<NewtonTrace>>();
        var iterations = new Dictionary<(ulong Seed, double Lr), double>();
        var firstSeed = new Dictionary<double, ParaRnnLanguageModel>();   // seed 0's Newton-trained models, by learning rate
        var lm = LearningRateTuning.Run(Models.Select(m => m.Name).ToArray(), s.LearningRates, seeds, (seed, configs) =>
        {
            var kept = new Dictionary<string, ParaRnnLanguageModel>();
            var scores = SideBySideTraining.Train(context, seed, configs, "lm", s.Steps, Math.Max(5, s.Steps / 6), name =>
                {
                    var mode = Models.First(m => m.Name == name).Mode;
                    var model = new ParaRnnLanguageModel(mode, s.Embedding, mode == ParaRnnMode.Gru ? s.GruWidth : paraWidth, device: device);
                    parameters[name] = model.ParameterCount();
                    return model;
                },
                (_, bits) => text.TrainBatch(s.Batch, s.Context, bits, device), SideBySideTraining.NextTokenLoss,
                m => ("validation_nats", SideBySideTraining.NatsPerToken(m, validation)),
                m => (SideBySideTraining.NatsPerToken(m, validation), SideBySideTraining.NatsPerToken(m, test)), keep: kept);
            foreach (var (config, model) in kept)
            {
                if (model.Mode == ParaRnnMode.Newton)
                {
                    double lr = configs.First(c => SideBySideTraining.ConfigName(c.Model, c.LearningRate) == config).LearningRate;
                    int n = (int)(seed - context.Seed);
                    traces[(seed, lr)] = Convergence(context, n, model, convergenceTokens, s.ConvergenceLength);
                    iterations[(seed, lr)] = model.Iterations.Average();
                    if (seed == seeds[0]) { firstSeed[lr] = model; continue; }
                }
                model.Dispose();
            }
            return scores;
        }, higherIsBetter: false);

        double chosen = lm.Chosen["paragru-newton"];
        var timed = firstSeed[chosen];
        var timing = new List<ParaRnnTiming>();
        int timingThreads;
        using (ThreadLimit.To(1))
        {
            timingThreads = NumThreads;
            foreach (var T in s.Lengths)
            {
                var t = Timing(timed.Para!, s.Embedding, s.GruWidth, T, s.TimingBatch, s.Rounds, context.Seed, device);
                timing.Add(t);
                foreach (var (side, forward, train) in new[] { ("newton", t.NewtonForward, t.NewtonTrain), ("loop", t.LoopForward, t.LoopTrain), ("gru", t.GruForward, t.GruTrain) })
                {
                    context.Run.Record(T, $"timing/{side}_forward_ktok_s", forward);
                    context.Run.Record(T, $"timing/{side}_train_ktok_s", train);
                }
                context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"T={T} (batch {s.TimingBatch}, ParaGRU d {paraWidth}, threads {NumThreads}): thousand tokens/s forward Newton {t.NewtonForward:F1} / loop {t.LoopForward:F1} / " +
                    $"GRU {t.GruForward:F1}; forward+backward {t.NewtonTrain:F1} / {t.LoopTrain:F1} / {t.GruTrain:F1}; {t.Iterations} Newton iterations"));
            }
        }
        foreach (var m in firstSeed.Values) m.Dispose();

        var convergence = seeds.Select(seed => traces[(seed, chosen)]).ToArray();
        var meanIterations = seeds.Select(seed => iterations[(seed, chosen)]).ToArray();
        var steps = new SeedSummary(convergence.Select(c => (double)c[0].IterationsTo(ParaRnnSettings.StateTolerance)));
        var same = new SeedSummary(lm.Test["paragru-newton"].Values.Zip(lm.Test["paragru-loop"].Values, (a, b) => Math.Abs(a - b)));
        var ratio = new SeedSummary(lm.Test["paragru-newton"].Values.Zip(lm.Test["gru"].Values, (p, g) => Math.Exp(p - g)));
        var check = new ClaimCheck()
            .AtMost($"Newton iterations to |Newton − sequential| ≤ {ParaRnnSettings.StateTolerance:G} at T = {s.ConvergenceLength} (trained ParaGRU, float64)", steps,
                ParaRnnSettings.MaxIterations, minSeeds: s.Seeds, format: "F1");
        if (s.CheckLanguageModel)
            check.AtMost("|held-out nats, Newton-trained − loop-trained ParaGRU|", same, ParaRnnSettings.SameTrainingNats, minSeeds: s.Seeds, format: "F4")
                .AtMost("ParaGRU (Newton) / GRU held-out perplexity", ratio, ParaRnnSettings.PerplexityRatio, minSeeds: Math.Max(1, s.Seeds - 1), format: "F3");
        else
            check.AtMost("ParaGRU (Newton) held-out nats per character (uniform: ln 128)", lm.Test["paragru-newton"], Math.Log(LicenseText.Vocabulary), format: "F3");
        var longest = timing[^1];
        if (s.RequiredSpeedup > 0)
            check.AtLeast($"forward+backward throughput of Newton over the ParaGRU loop at T = {longest.T}", longest.NewtonTrain / longest.LoopTrain, s.RequiredSpeedup, "F1");

        var metrics = new Dictionary<string, double>
        {
            ["newton_iterations"] = steps.Mean,
            ["training_iterations"] = meanIterations.Average(),
            ["same_training_nats"] = same.Max,
            ["perplexity_ratio"] = ratio.Mean,
            ["train_speedup_loop"] = longest.NewtonTrain / longest.LoopTrain,
            ["forward_speedup_loop"] = longest.NewtonForward / longest.LoopForward,
            ["timing_threads"] = timingThreads,
        };
        foreach (var (name, _) in Models)
        {
            metrics[$"{name}_perplexity"] = lm.Test[name].Values.Select(Math.Exp).Average();
            metrics[$"{name}_lr"] = lm.Chosen[name];
            metrics[$"{name}_parameters"] = parameters[name];
        }
        return check.Result(metrics, outcome: new ParaRnnOutcome(convergence, meanIterations, timing, timingThreads, lm, parameters));
    }

    /// <summary>Newton and Jacobi on a float64 copy of the trained ParaGRU over long text windows, each iterate against the float64 loop.</summary>
    private static IReadOnlyList<NewtonTrace> Convergence(ExperimentContext context, int n, ParaRnnLanguageModel model, Tensor tokens, int length)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var para = model.Para!;
        using var para64 = new ParaGru(para.InputSize, para.HiddenSize, DType.Float64);
        para64.LoadStateDict(para.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Double()));
        var x = model.Embed.Forward(tokens.To(para.Recurrent.Device)).To(Device.CPU, DType.Float64);
        var truth = para64.ForwardSequential(x);
        var traces = new[]
        {
            DeerExperiment.Trace("Newton", para64, x, truth, NewtonJacobian.Exact, 3 * ParaRnnSettings.MaxIterations),
            DeerExperiment.Trace("Jacobi (no Jacobian)", para64, x, truth, NewtonJacobian.Zero, Math.Min(length, 8 * ParaRnnSettings.MaxIterations)),
        };
        foreach (var trace in traces)
            for (int k = 0; k < trace.Errors.Length; k++)
                context.Run.Record(k + 1, $"seed{n}/convergence/{trace.Name}/error", trace.Errors[k]);
        return traces;
    }

    /// <summary>
    /// Median throughput (thousand tokens per second) over alternating rounds at [batch, T] in float32: <paramref name="para"/> by Newton and by
    /// its loop, and a full GRU kernel of width <paramref name="gruWidth"/>; forward without gradients, and forward + backward of the mean square.
    /// </summary>
    public static ParaRnnTiming Timing(ParaGru para, int embedding, int gruWidth, int T, int batch, int rounds, ulong seed, Device device)
    {
        using var scope = NewScope();
        ManualSeed(seed);
        using var kernel = new GRU(embedding, gruWidth, batchFirst: true, device: device);
        var x = Tensor.RandN([batch, T, embedding], device: device);
        int newtonIterations = 0;
        Func<Tensor>[] sides =
        [
            () =>
            {
                var solution = para.Forward(x, options: new NewtonOptions(ParaRnnSettings.Tolerance, MaxIterations: 30));
                newtonIterations = solution.Iterations;
                return solution.States;
            },
            () => para.ForwardSequential(x),
            () => kernel.Forward(x).Output,
        ];
        void Sync()
        {
            if (device == Device.CPU) return;
            using var flag = Tensor.Zeros([1], device: device);
            flag.Item<float>();
        }
        var forward = AlternatingTimer.MedianMilliseconds(sides.Select(f => (Action)(() =>
        {
            using var s = NewScope();
            using var g = NoGrad();
            f();
            Sync();
        })).ToArray(), rounds);
        int forwardIterations = newtonIterations;
        var train = AlternatingTimer.MedianMilliseconds(sides.Select(f => (Action)(() =>
        {
            using var s = NewScope();
            f().Square().Mean().Backward();
            Sync();
        })).ToArray(), rounds);
        double Rate(double ms) => batch * (double)T / ms;                  // tokens per ms = thousand tokens per second
        return new ParaRnnTiming(T, Rate(forward[0]), Rate(forward[1]), Rate(forward[2]), Rate(train[0]), Rate(train[1]), Rate(train[2]), forwardIterations);
    }
}
