using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Models.Compression;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the WaveRNN experiment at one scale.
/// </summary>
/// <param name="SampleRate">Audio sample rate in Hz.</param>
/// <param name="Seconds">Length of every unseen (test) and validation note.</param>
/// <param name="TestNotes">How many unseen notes (pitches spread over the range, timbres from <paramref name="DataSeed"/>, as in the wavenet experiment).</param>
/// <param name="ValidationNotes">How many validation notes (random pitches away from the test pitches), used only to pick learning rates.</param>
/// <param name="LowestPitch">Lowest fundamental in Hz.</param>
/// <param name="HighestPitch">Highest fundamental in Hz.</param>
/// <param name="AvoidSemitones">Training and validation pitches stay more than this many semitones from every test pitch.</param>
/// <param name="WideHidden">GRU width of the large model; pruned to <paramref name="Sparsity"/> it is the "large sparse" WaveRNN.</param>
/// <param name="WideHeadWidth">Head width of the large models.</param>
/// <param name="Sparsity">Final sparsity of the large sparse model's recurrent matrix R (15/16: 1/16 of it left).</param>
/// <param name="Steps">Adam steps of every model.</param>
/// <param name="Batch">Training notes per step, each a fresh random pitch and timbre.</param>
/// <param name="Crop">Samples per training note.</param>
/// <param name="LearningRates">The peak learning rates swept for every model on the first seed (warm-up, cosine decay to a tenth).</param>
/// <param name="Seeds">How many seeds (initialisation and training notes; the unseen notes stay the same).</param>
/// <param name="ScoreFrom">Held-out NLL is the mean over samples t ≥ this (the first ones only warm up the state).</param>
/// <param name="GenerateSeconds">Length of the sampled continuations of the unseen notes.</param>
/// <param name="SpeedSamples">Samples generated per timed call in the sampling-speed comparison.</param>
/// <param name="RequiredNllGap">Nats/sample by which the large sparse model's held-out NLL must be below the small dense one's, in the mean and every seed (0: not checked).</param>
/// <param name="MinSpeedup">How many times more samples per second than WaveNet the small dense WaveRNN must sample, on one thread (0: measured, not checked — smoke timings of 100 samples on a loaded machine are noise).</param>
/// <param name="MaxSparseNll">The largest held-out NLL (nats/sample) the large sparse model may have (uniform over 16 bits: ln 65536 = 11.09).</param>
/// <param name="WaveNetLayersPerBlock">Layers per block (2 blocks) of the WaveNet timed against the WaveRNN; its width is chosen to match the WaveRNN's non-zero parameters.</param>
/// <param name="DataSeed">Seed of the unseen notes' timbres (2016, the wavenet experiment's).</param>
public sealed record DualSoftmaxWaveRnnSettings(int SampleRate, double Seconds, int TestNotes, int ValidationNotes, double LowestPitch,
    double HighestPitch, double AvoidSemitones, int WideHidden, int WideHeadWidth, double Sparsity, int Steps, int Batch, int Crop,
    double[] LearningRates, int Seeds, int ScoreFrom, double GenerateSeconds, int SpeedSamples, double RequiredNllGap, double MinSpeedup,
    double MaxSparseNll, int WaveNetLayersPerBlock, int DataSeed = 2016)
{
    /// <summary>
    /// smoke: 4 kHz, GRU 32 (sparse) vs 8 (dense), 40 steps, 1 seed, no comparison; cpu: 8 kHz, GRU 192 pruned to 15/16
    /// vs 48 dense, 300 steps, learning rates {3e-3, 1e-2}, 5 seeds; gpu: 8 kHz, GRU 896 vs 224, 20 000 steps, 5 seeds.
    /// </summary>
    public static DualSoftmaxWaveRnnSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(4000, 0.25, 2, 2, 100, 400, 0.5, WideHidden: 32, WideHeadWidth: 16, Sparsity: 15.0 / 16, Steps: 40, Batch: 4,
            Crop: 64, LearningRates: [1e-2], Seeds: 1, ScoreFrom: 32, GenerateSeconds: 0.05, SpeedSamples: 100, RequiredNllGap: 0,
            MinSpeedup: 0, MaxSparseNll: 10.5, WaveNetLayersPerBlock: 4),
        Scale.Cpu => new(8000, 0.5, 6, 4, 100, 400, 0.5, WideHidden: 192, WideHeadWidth: 64, Sparsity: 15.0 / 16, Steps: 300, Batch: 8,
            Crop: 256, LearningRates: [3e-3, 1e-2], Seeds: 5, ScoreFrom: 128, GenerateSeconds: 1.0, SpeedSamples: 1000, RequiredNllGap: 0.02,
            MinSpeedup: 2.0, MaxSparseNll: 10.0, WaveNetLayersPerBlock: 6),
        _ => new(8000, 2.0, 12, 8, 100, 400, 0.5, WideHidden: 896, WideHeadWidth: 256, Sparsity: 15.0 / 16, Steps: 20_000, Batch: 16,
            Crop: 1024, LearningRates: [1e-3, 3e-3, 1e-2], Seeds: 5, ScoreFrom: 256, GenerateSeconds: 2.0, SpeedSamples: 4000,
            RequiredNllGap: 0.02, MinSpeedup: 2.0, MaxSparseNll: 8.0, WaveNetLayersPerBlock: 10),
    };

    /// <summary>The large model: <see cref="WideHidden"/> units (dense as the reference, pruned as "sparse").</summary>
    public DualSoftmaxWaveRnnConfig Wide => new(WideHidden, WideHeadWidth);

    /// <summary>
    /// The small dense model: a quarter of the width, so its dense R has as many entries as the wide R keeps at 15/16
    /// sparsity, and the head width that brings its parameters to the large sparse model's non-zero count.
    /// </summary>
    public DualSoftmaxWaveRnnConfig Small => DualSoftmaxWaveRnnConfig.Matching(WideHidden / 4, Wide.NonzeroParameters(Sparsity));

    /// <summary>Whether the sparse-vs-dense comparison is checked (and the unpruned reference trained).</summary>
    public bool CheckClaim => RequiredNllGap > 0;

    /// <summary>The models trained: the two compared, then the unpruned wide reference where the claim is checked.</summary>
    public string[] Models => CheckClaim ? [SmallDense, LargeSparse, LargeDense] : [SmallDense, LargeSparse];

    /// <summary>The configuration of model <paramref name="name"/>.</summary>
    public DualSoftmaxWaveRnnConfig ConfigOf(string name) => name == SmallDense ? Small : Wide;

    /// <summary>The pruning schedule of the large sparse model: cubic from 10 % to 70 % of the steps, 30 pruning steps.</summary>
    public GradualSparsitySchedule Schedule
    {
        get
        {
            long every = Math.Max(1, Steps / 50), start = Steps / 10;
            long end = start + Math.Max(1, (7 * Steps / 10 - start) / every) * every;
            return GradualSparsitySchedule.Between(Sparsity, start, end, every);
        }
    }

    /// <summary>
    /// The WaveNet timed against the WaveRNN: 2 blocks of <see cref="WaveNetLayersPerBlock"/> layers (residual = gate = r,
    /// skip = head = 2r channels), r chosen so its parameters are closest to the WaveRNN's non-zero parameters.
    /// </summary>
    public WaveNetConfig WaveNet => Enumerable.Range(2, 254)
        .Select(r => new WaveNetConfig(ResidualChannels: r, GateChannels: r, SkipChannels: 2 * r, HeadChannels: 2 * r, Blocks: 2,
            LayersPerBlock: WaveNetLayersPerBlock))
        .MinBy(c => Math.Abs(c.ParameterCount - Wide.NonzeroParameters(Sparsity)))!;

    /// <summary>Name of the small dense model.</summary>
    public const string SmallDense = "small dense";

    /// <summary>Name of the large model pruned to <see cref="Sparsity"/>.</summary>
    public const string LargeSparse = "large sparse";

    /// <summary>Name of the large model left dense (the upper reference).</summary>
    public const string LargeDense = "large dense";
}

/// <summary>Sampling speed on one thread, samples per second, of each WaveRNN and of the parameter-matched WaveNet.</summary>
/// <param name="SamplesPerSecond">Per model (the WaveRNNs by name, then "WaveNet"): samples / median wall time of a batch-1 generation.</param>
/// <param name="WaveNet">The WaveNet timed (untrained: its speed does not depend on its weights).</param>
/// <param name="Samples">Samples per timed call.</param>
/// <param name="Threads">libtorch intra-op threads during the timing.</param>
public sealed record SamplingSpeed(IReadOnlyDictionary<string, double> SamplesPerSecond, WaveNetConfig WaveNet, int Samples, int Threads);

/// <summary>
/// What the WaveRNN experiment produced, for the notebook to draw: per model its configuration, non-zero recurrent weights
/// and parameters, chosen learning rate and sweep, held-out NLL over seeds (total, coarse, fine), per-step training NLL of
/// every seed, the large sparse model's recurrent mask (seed 0), seed 0's sampled continuations of the unseen notes, and
/// the sampling speeds.
/// </summary>
public sealed record DualSoftmaxWaveRnnOutcome(
    int SampleRate,
    WaveNetNote[] TestNotes,
    IReadOnlyDictionary<string, DualSoftmaxWaveRnnConfig> Configs,
    IReadOnlyDictionary<string, long> NonzeroRecurrent,
    IReadOnlyDictionary<string, long> NonzeroParameters,
    TuningOutcome Tuning,
    IReadOnlyDictionary<string, SeedSummary> HeldOutCoarse,
    IReadOnlyDictionary<string, SeedSummary> HeldOutFine,
    IReadOnlyDictionary<string, double[][]> TrainingNll,
    double[][] RecurrentMask,
    float[][] Targets,
    IReadOnlyDictionary<string, float[][]> Samples,
    IReadOnlyDictionary<string, double[]> SpectralSimilarity,
    SamplingSpeed Speed)
{
    /// <summary>Held-out NLL (coarse + fine, nats per 16-bit sample) per model over seeds.</summary>
    public IReadOnlyDictionary<string, SeedSummary> HeldOutNll => Tuning.Test;
}

/// <summary>
/// Kalchbrenner et al. (2018), "Efficient Neural Audio Synthesis" — the experiment of notebooks/audio/wavernn.ipynb.
/// WaveRNNs with the dual (coarse/fine) softmax learn 16-bit harmonic notes, every training note a fresh random pitch and
/// timbre (the wavenet experiment's data, quantised to 16 bits instead of μ-law). A small dense WaveRNN and a 4× wider one
/// whose recurrent matrix is pruned gradually to 15/16 sparsity have the same number of non-zero recurrent weights and
/// (within 1 %) of non-zero parameters; the same steps, batches, schedule and learning-rate sweep. The unpruned wide model is
/// the upper reference. The claim is checked on notes at pitches no training note comes near; sampling speed is timed
/// against a parameter-matched WaveNet on one thread. Metrics per seed n: <c>seed{n}/{model}@{lr}/nll</c> (training
/// crops), <c>seed{n}/{model}@{lr}/heldout_nll</c>.
/// </summary>
public sealed class DualSoftmaxWaveRnnExperiment : IExperiment
{
    private readonly Func<Scale, DualSoftmaxWaveRnnSettings> _settings;

    /// <summary>The experiment with <see cref="DualSoftmaxWaveRnnSettings.For"/>'s sizes.</summary>
    public DualSoftmaxWaveRnnExperiment() : this(DualSoftmaxWaveRnnSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public DualSoftmaxWaveRnnExperiment(Func<Scale, DualSoftmaxWaveRnnSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "wavernn";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "WaveRNN: efficient neural audio synthesis, dual softmax and sparse GRU (Kalchbrenner et al., 2018)";

    /// <inheritdoc />
    public string? Narrower => "harmonic notes at 8 kHz instead of 24 kHz speech; GRU 192 pruned to 15/16 vs GRU 48 dense (the paper: " +
        "up to 2048 units, 96 % sparse, block-sparse); unstructured pruning, dense kernels, no subscale folding; speed is single-thread CPU " +
        "time of the same libtorch ops, not the paper's fused GPU/mobile kernels";

    /// <inheritdoc />
    public string Claim => "on harmonic notes of pitches never trained on, a WaveRNN whose GRU is 4× wider and pruned gradually to 15/16 " +
        "sparsity has a held-out NLL at least 0.02 nats per 16-bit sample below a small dense WaveRNN with the same number of non-zero " +
        "recurrent weights, in the mean over 5 seeds and in every seed (same steps, batches and learning-rate sweep), and at most 10 " +
        "nats/sample; and WaveRNN samples at least 2× as many samples per second as a WaveNet with as many parameters, one thread " +
        "(smoke: tiny models, 40 steps, one seed: only the large sparse model's NLL ≤ 10.5 is checked; the speed is reported)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        var schedule = s.Schedule;
        context.Run.AddHyperparameters(new
        {
            sample_rate = s.SampleRate, seconds = s.Seconds, test_notes = s.TestNotes, validation_notes = s.ValidationNotes, s.Steps, s.Batch,
            s.Crop, learning_rates = string.Join(",", s.LearningRates.Select(lr => lr.ToString(CultureInfo.InvariantCulture))), s.Seeds,
            score_from = s.ScoreFrom, small = s.Small.ToString(), wide = s.Wide.ToString(), sparsity = s.Sparsity, schedule = schedule.ToString(),
            required_nll_gap = s.RequiredNllGap, min_speedup = s.MinSpeedup, max_sparse_nll = s.MaxSparseNll, wavenet = s.WaveNet.ToString(),
        });
        foreach (var name in s.Models)
        {
            var c = s.ConfigOf(name);
            double sparsity = name == DualSoftmaxWaveRnnSettings.LargeSparse ? s.Sparsity : 0;
            context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                $"{name}: GRU {c.Hidden}, head {c.HeadWidth}, {c.NonzeroParameters(sparsity)} non-zero parameters, " +
                $"{c.RecurrentWeights - MagnitudePruner.PrunedCount(sparsity, c.RecurrentWeights)} non-zero recurrent weights"));
        }

        var testNotes = TestNotes(s);
        var testPitches = testNotes.Select(n => n.Pitch).ToArray();
        using var test = Samples(testNotes.Select(n => n.Clip), device).DetachFromScope();                       // [notes, frames]
        using var validation = Samples(ValidationNotes(s, testPitches), device).DetachFromScope();

        var seeds = context.Seeds(s.Seeds);
        var curves = new Dictionary<(int Seed, string Config), double[]>();
        var coarse = new Dictionary<(int Seed, string Config), double>();
        var fine = new Dictionary<(int Seed, string Config), double>();
        var firstSeed = new Dictionary<string, (DualSoftmaxWaveRnn Model, MagnitudePruner? Pruner)>();
        try
        {
            var tuning = LearningRateTuning.Run(s.Models, s.LearningRates, seeds, (seed, configs) =>
            {
                int n = seeds.ToList().IndexOf(seed);
                var models = configs.Select(c =>
                {
                    ManualSeed(seed);                                                       // one initialisation per model kind and seed
                    return new DualSoftmaxWaveRnn(s.ConfigOf(c.Model), device: device);
                }).ToArray();
                var scores = new ScoredRun[configs.Count];
                var pruners = new MagnitudePruner?[configs.Count];
                Parallel.For(0, configs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(2, Environment.ProcessorCount) }, i =>
                {
                    using var perThread = ThreadLimit.ForSmallModels();
                    var (model, lr) = configs[i];
                    var name = ConfigName(model, lr);
                    pruners[i] = model == DualSoftmaxWaveRnnSettings.LargeSparse
                        ? new MagnitudePruner(models[i], include: (p, _) => p == DualSoftmaxWaveRnn.RecurrentWeightName) : null;
                    var curve = Train(context, s, n == 0 && i == 0, $"seed{n}/{name}/", seed, lr, models[i], pruners[i], schedule, testPitches, test);
                    var (testCoarse, testFine) = Nll(models[i], test, s.ScoreFrom);
                    var (valCoarse, valFine) = Nll(models[i], validation, s.ScoreFrom);
                    lock (curves)
                    {
                        curves[(n, name)] = curve;
                        coarse[(n, name)] = testCoarse;
                        fine[(n, name)] = testFine;
                    }
                    scores[i] = new ScoredRun(valCoarse + valFine, testCoarse + testFine);
                });
                for (int i = 0; i < configs.Count; i++)
                {
                    var name = ConfigName(configs[i].Model, configs[i].LearningRate);
                    context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                        $"seed {n}, {name}: validation {scores[i].Validation:F3}, unseen notes {scores[i].Test:F3} nats/sample"));
                    if (n == 0) firstSeed[name] = (models[i], pruners[i]);
                    else models[i].Dispose();
                }
                return scores;
            }, higherIsBetter: false);
            return Finish(context, s, tuning, testNotes, test, seeds.Count, curves, coarse, fine, firstSeed);
        }
        finally
        {
            foreach (var (model, _) in firstSeed.Values) model.Dispose();
        }
    }

    private static ExperimentResult Finish(ExperimentContext context, DualSoftmaxWaveRnnSettings s, TuningOutcome tuning, WaveNetNote[] testNotes,
        Tensor test, int seedCount, Dictionary<(int Seed, string Config), double[]> curves, Dictionary<(int Seed, string Config), double> coarse,
        Dictionary<(int Seed, string Config), double> fine, Dictionary<string, (DualSoftmaxWaveRnn Model, MagnitudePruner? Pruner)> firstSeed)
    {
        var chosen = s.Models.ToDictionary(m => m, m => ConfigName(m, tuning.Chosen[m]));
        var trained = s.Models.ToDictionary(m => m, m => firstSeed[chosen[m]].Model);
        var perSeed = (Dictionary<(int, string), double> d, string m) => new SeedSummary(Enumerable.Range(0, seedCount).Select(i => d[(i, chosen[m])]));
        var heldOutCoarse = s.Models.ToDictionary(m => m, m => perSeed(coarse, m));
        var heldOutFine = s.Models.ToDictionary(m => m, m => perSeed(fine, m));
        var training = s.Models.ToDictionary(m => m, m => Enumerable.Range(0, seedCount).Select(i => curves[(i, chosen[m])]).ToArray());
        var nonzeroRecurrent = trained.ToDictionary(kv => kv.Key, kv => CountNonzero(kv.Value.RecurrentWeight));
        var nonzeroParameters = trained.ToDictionary(kv => kv.Key, kv => MagnitudePruner.CountNonzero(kv.Value));
        double[][] mask;
        using (var cpuMask = firstSeed[chosen[DualSoftmaxWaveRnnSettings.LargeSparse]].Pruner!.Layers[0].Mask.Double().To(Device.CPU))
        {
            var flat = cpuMask.ToArray<double>();
            int columns = (int)cpuMask.Size(1);
            mask = Enumerable.Range(0, (int)cpuMask.Size(0)).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
        }

        long generate = (long)Math.Round(s.GenerateSeconds * s.SampleRate);
        using var whole = ContinuationNotes(s);                                                                       // [notes, ≥ prime + generate]
        var samples = new Dictionary<string, float[][]>();
        var similarity = new Dictionary<string, double[]>();
        float[][] targets = [];
        foreach (var m in s.Models)
            using (NewScope())
            {
                var sampled = trained[m].Generate(generate, seed: 1, prime: whole.Narrow(1, 0, s.ScoreFrom));          // [notes, samples]
                var target = DualSoftmaxWaveRnn.Dequantize(whole.Narrow(1, s.ScoreFrom, generate));
                var wave = DualSoftmaxWaveRnn.Dequantize(sampled);
                similarity[m] = WaveNetExperiment.SpectralSimilarity(target, wave);
                targets = Rows(target);
                samples[m] = Rows(wave);
            }

        var speed = Speed(s, trained);
        var metrics = new Dictionary<string, double> { ["uniform_nll"] = Math.Log(65536) };
        foreach (var m in s.Models)
        {
            metrics[$"{m}/heldout_nll"] = tuning.Test[m].Mean;
            metrics[$"{m}/heldout_nll_spread"] = tuning.Test[m].Spread;
            metrics[$"{m}/heldout_coarse_nll"] = heldOutCoarse[m].Mean;
            metrics[$"{m}/heldout_fine_nll"] = heldOutFine[m].Mean;
            metrics[$"{m}/learning_rate"] = tuning.Chosen[m];
            metrics[$"{m}/nonzero_recurrent"] = nonzeroRecurrent[m];
            metrics[$"{m}/nonzero_parameters"] = nonzeroParameters[m];
            metrics[$"{m}/spectral_similarity"] = similarity[m].Average();
            metrics[$"{m}/samples_per_second"] = speed.SamplesPerSecond[m];
        }
        metrics["wavenet/samples_per_second"] = speed.SamplesPerSecond["WaveNet"];
        metrics["wavenet/parameters"] = s.WaveNet.ParameterCount;
        double speedup = speed.SamplesPerSecond[DualSoftmaxWaveRnnSettings.SmallDense] / speed.SamplesPerSecond["WaveNet"];
        metrics["speedup_vs_wavenet"] = speedup;

        var check = new ClaimCheck();
        if (s.CheckClaim)
            check.AtLeast("held-out NLL, small dense − large sparse (nats/sample)",
                tuning.Test[DualSoftmaxWaveRnnSettings.SmallDense].Minus(tuning.Test[DualSoftmaxWaveRnnSettings.LargeSparse]), s.RequiredNllGap, format: "F3");
        check.AtMost("large sparse held-out NLL (nats/sample)", tuning.Test[DualSoftmaxWaveRnnSettings.LargeSparse], s.MaxSparseNll, format: "F3");
        if (s.MinSpeedup > 0) check.AtLeast("samples/s, small dense WaveRNN ÷ WaveNet (one thread)", speedup, s.MinSpeedup, format: "F2");
        var outcome = new DualSoftmaxWaveRnnOutcome(s.SampleRate, testNotes, s.Models.ToDictionary(m => m, s.ConfigOf), nonzeroRecurrent,
            nonzeroParameters, tuning, heldOutCoarse, heldOutFine, training, mask, targets, samples, similarity, speed);
        return check.Result(metrics, outcome: outcome);
    }

    /// <summary>The name of a (model, learning rate) configuration in metrics and logs: <c>small dense@0.003</c>.</summary>
    public static string ConfigName(string model, double learningRate) =>
        string.Create(CultureInfo.InvariantCulture, $"{model}@{learningRate:G3}");

    // Trains one model with Adam on fresh notes from Random(seed) (the same notes for every configuration of a seed), pruning
    // R on the schedule when a pruner is given; returns the per-step training NLL (nats per 16-bit sample).
    private static double[] Train(ExperimentContext context, DualSoftmaxWaveRnnSettings s, bool callbacks, string prefix, ulong seed, double lr,
        DualSoftmaxWaveRnn model, MagnitudePruner? pruner, GradualSparsitySchedule schedule, double[] testPitches, Tensor test)
    {
        var notes = new Random((int)seed);
        var curve = new double[s.Steps];
        using var optimizer = new Adam(model.Parameters(), lr: lr);
        var state = new TensorState();
        state.Add("model", new ModuleState(model, optimizer));
        var trainer = new Trainer(new TrainerOptions
        {
            MaxSteps = s.Steps,
            LearningRate = LearningRates.WarmupCosine(lr, s.Steps / 20, s.Steps, lr / 10),
            EvalEvery = Math.Max(1, s.Steps / 3),
            Seed = seed,
            ReseedEveryStep = false,
            FiniteCheckEvery = 10,
            Cancellation = context.Cancellation,
        });
        if (callbacks) trainer.Callbacks.AddRange(context.Callbacks);
        using var forward = trainer.Metrics.Subscribe(new Forward(context.Run.Metrics));
        trainer.Fit(state, ctx =>
        {
            pruner?.Update(schedule, ctx.Step);
            var batch = TrainingNotes(s, notes, testPitches, test.Device);                                // [batch, crop]
            ctx.ApplyLearningRate(optimizer);
            var (coarse, fine) = model.NextSampleNll(batch);
            var loss = coarse + fine;
            optimizer.ZeroGrad();
            loss.Backward();
            if (pruner is null) optimizer.Step();
            else pruner.Step(optimizer);
            double value = loss.Item<float>();
            curve[ctx.Step] = value;
            return new StepResult(Metrics: new Dictionary<string, double> { [$"{prefix}nll"] = value });
        }, evaluate: _ =>
        {
            var (c, f) = Nll(model, test, s.ScoreFrom);
            return new Dictionary<string, double> { [$"{prefix}heldout_nll"] = c + f };
        });
        return curve;
    }

    // Samples per second of batch-1 generation on one thread: the trained WaveRNNs and an untrained WaveNet of the matched
    // size, timed in turn (AlternatingTimer), median of 3 calls each.
    private static SamplingSpeed Speed(DualSoftmaxWaveRnnSettings s, IReadOnlyDictionary<string, DualSoftmaxWaveRnn> trained)
    {
        using var one = ThreadLimit.To(1);
        ManualSeed(0);
        using var wavenet = new WaveNet(s.WaveNet, device: trained.Values.First().Cell.WeightHh.Device);
        var names = trained.Keys.Append("WaveNet").ToArray();
        var sides = trained.Values.Select(m => (Action)(() => { using var _ = m.Generate(s.SpeedSamples); }))
            .Append(() => { using var _ = wavenet.Generate(s.SpeedSamples); }).ToArray();
        var ms = AlternatingTimer.MedianMilliseconds(sides, repeats: 3);
        return new SamplingSpeed(names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => s.SpeedSamples / (ms[x.i] / 1000)), s.WaveNet,
            s.SpeedSamples, NumThreads);
    }

    private sealed class Forward(MetricsLog log) : IObserver<MetricPoint>
    {
        public void OnNext(MetricPoint value) => log.Record(value);
        public void OnCompleted() { }
        public void OnError(Exception error) { }
    }

    /// <summary>The unseen notes: the wavenet experiment's pitches and timbres (<see cref="HarmonicNotes.SpreadPitches"/>, <see cref="DualSoftmaxWaveRnnSettings.DataSeed"/>).</summary>
    public static WaveNetNote[] TestNotes(DualSoftmaxWaveRnnSettings s)
    {
        var timbres = new Random(s.DataSeed);
        return HarmonicNotes.SpreadPitches(s.TestNotes, s.LowestPitch, s.HighestPitch).Select(pitch =>
        {
            var timbre = Timbre.Random(timbres);
            var name = string.Create(CultureInfo.InvariantCulture, $"{pitch:F0} Hz, slope {timbre.Slope:F1}{(timbre.OddOnly ? ", odd partials" : "")}");
            return new WaveNetNote(name, pitch, HarmonicNotes.Note(pitch, timbre, s.Seconds, s.SampleRate));
        }).ToArray();
    }

    /// <summary>
    /// The unseen notes rendered long enough to prime (<see cref="DualSoftmaxWaveRnnSettings.ScoreFrom"/> samples) and then
    /// continue for <see cref="DualSoftmaxWaveRnnSettings.GenerateSeconds"/>: 16-bit samples [notes, ≥ prime + generated],
    /// the same pitches and timbres as <see cref="TestNotes"/>, which may be shorter than the continuation.
    /// </summary>
    public static Tensor ContinuationNotes(DualSoftmaxWaveRnnSettings s, Device? device = null)
    {
        double seconds = Math.Max(s.Seconds, (s.ScoreFrom + Math.Round(s.GenerateSeconds * s.SampleRate) + 1) / s.SampleRate);
        return Samples(TestNotes(s with { Seconds = seconds }).Select(n => n.Clip), device);
    }

    /// <summary>The validation notes (learning-rate choice only): random pitches away from the test pitches, random timbres.</summary>
    public static AudioClip[] ValidationNotes(DualSoftmaxWaveRnnSettings s, double[] testPitches)
    {
        var random = new Random(s.DataSeed + 1);
        return Enumerable.Range(0, s.ValidationNotes).Select(_ => HarmonicNotes.Note(
            HarmonicNotes.RandomPitch(random, s.LowestPitch, s.HighestPitch, testPitches, s.AvoidSemitones), Timbre.Random(random), s.Seconds,
            s.SampleRate)).ToArray();
    }

    /// <summary>
    /// One training batch: 16-bit samples [batch, crop] of fresh notes, each a random pitch more than
    /// <see cref="DualSoftmaxWaveRnnSettings.AvoidSemitones"/> from every test pitch and a random timbre, drawn from <paramref name="random"/>.
    /// </summary>
    public static Tensor TrainingNotes(DualSoftmaxWaveRnnSettings s, Random random, double[] testPitches, Device? device = null) =>
        Samples(Enumerable.Range(0, s.Batch).Select(_ => HarmonicNotes.Note(
            HarmonicNotes.RandomPitch(random, s.LowestPitch, s.HighestPitch, testPitches, s.AvoidSemitones), Timbre.Random(random),
            (double)s.Crop / s.SampleRate, s.SampleRate)), device);

    /// <summary>16-bit samples of equally long clips (the shortest's length): [clips, frames] int64 in [0, 65535].</summary>
    public static Tensor Samples(IEnumerable<AudioClip> clips, Device? device = null)
    {
        var list = clips.ToList();
        int frames = list.Min(c => c.Frames);
        using var scope = NewScope();
        var waves = Tensor.From(list.SelectMany(c => c.Samples.Take(frames)).ToArray(), list.Count, frames);
        return scope.Keep(DualSoftmaxWaveRnn.Quantize(waves).To(device ?? Device.CPU));
    }

    /// <summary>Held-out (coarse, fine) NLL in nats per sample of 16-bit samples [clips, T], scored from sample <paramref name="scoreFrom"/> on.</summary>
    public static (double Coarse, double Fine) Nll(DualSoftmaxWaveRnn model, Tensor samples, int scoreFrom)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var (coarse, fine) = model.NextSampleNll(samples, scoreFrom);
        return (coarse.Item<float>(), fine.Item<float>());
    }

    private static long CountNonzero(Tensor weight)
    {
        using var scope = NewScope();
        return weight.Detach().CountNonzero().Item<long>();
    }

    private static float[][] Rows(Tensor waves)
    {
        using var cpu = waves.Float().To(Device.CPU);
        return Enumerable.Range(0, (int)cpu.Size(0)).Select(i => { using var row = cpu.Select(0, i); return row.ToArray<float>(); }).ToArray();
    }
}
