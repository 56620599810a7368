using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Models.Diffusion;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the DiffWave experiment at one scale. Classes are every (pitch, timbre) pair, pitch-major: class c has
/// pitch <c>Pitches[c / Timbres.Length]</c> and timbre <c>Timbres[c % Timbres.Length]</c>.
/// </summary>
/// <param name="SampleRate">Audio sample rate in Hz.</param>
/// <param name="Pitches">The class fundamentals in Hz.</param>
/// <param name="Model">The noise predictor (its <see cref="DiffWaveConfig.Classes"/> is set from the classes).</param>
/// <param name="DiffusionSteps">T of the training schedule (linear β from <paramref name="BetaFirst"/> to <paramref name="BetaLast"/>).</param>
/// <param name="BetaFirst">β_1.</param>
/// <param name="BetaLast">β_T.</param>
/// <param name="FastSteps">Steps of the fast sampler, a subset of 1 … T (<see cref="DenoisingDiffusion.FastSteps"/>).</param>
/// <param name="TrainSteps">Adam steps per network.</param>
/// <param name="Batch">Training crops per step.</param>
/// <param name="Crop">Samples per training crop.</param>
/// <param name="LearningRates">
/// Constant Adam learning rates swept on the first seed for DiffWave and for the control alike; each keeps the one with the lowest
/// validation ε-MSE (a third rendering, neither the training nor the held-out one) for all seeds.
/// </param>
/// <param name="Seeds">Seeds (initialisation and the training batches: crops, diffusion steps and noise).</param>
/// <param name="SamplesPerClass">Generated clips per class that are scored.</param>
/// <param name="ScoredSamples">Length of a scored clip in samples.</param>
/// <param name="ListenSeconds">Length of the first seed's clips to listen to (one per class).</param>
/// <param name="MaxEpsilonMse">Largest held-out ε-MSE after training (1 before: ε̂ starts at zero).</param>
/// <param name="MinPitchAccuracy">Smallest fraction of generated clips at the requested class pitch (chance: 1 / pitches).</param>
/// <param name="MinPitchGain">Smallest accuracy gain over the shuffled-class control (0: the control is not trained).</param>
/// <param name="MinFlatnessRatio">Smallest spectral flatness of fast ÷ T-step samples (0: not checked).</param>
/// <param name="DataSeed">Seed of the held-out renderings and the evaluation noise.</param>
public sealed record DiffWaveSettings(int SampleRate, double[] Pitches, DiffWaveConfig Model, int DiffusionSteps, double BetaFirst,
    double BetaLast, int FastSteps, int TrainSteps, int Batch, int Crop, double[] LearningRates, int Seeds, int SamplesPerClass,
    int ScoredSamples, double ListenSeconds, double MaxEpsilonMse, double MinPitchAccuracy, double MinPitchGain,
    double MinFlatnessRatio, int DataSeed = 2021)
{
    /// <summary>The timbres: a bright full harmonic stack and a hollow odd-partial (clarinet-like) one, both with a slight vibrato.</summary>
    public static Timbre[] Timbres =>
    [
        new(Slope: 0.8, OddOnly: false, VibratoDepth: 0.003, VibratoRate: 5, PhaseSeed: 1, Level: 0.5),
        new(Slope: 1.2, OddOnly: true, VibratoDepth: 0.003, VibratoRate: 5, PhaseSeed: 2, Level: 0.5),
    ];

    /// <summary>Pitches × timbres.</summary>
    public int Classes => Pitches.Length * Timbres.Length;

    /// <summary>The network with its class count set.</summary>
    public DiffWaveConfig Network => Model with { Classes = Classes };

    /// <summary>
    /// smoke: a 4-layer network, 2 pitches, 60 steps, 1 seed, one learning rate, only the ε-MSE checked; cpu: 8 layers × 24 channels
    /// (receptive field 511 samples), 4 pitches, learning rates {1, 2, 4, 8, 16}·1e-3, 5 seeds; gpu: the paper's 30 × 64 network,
    /// learning rates {1e-4, 2e-4, 4e-4}, 5 seeds. T = 50 with β from 1e-4
    /// to 0.05 (the paper's) and a 6-step fast sampler everywhere.
    /// </summary>
    public static DiffWaveSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(8000, HarmonicNotes.SpreadPitches(2, 180, 540),
            new DiffWaveConfig(Channels: 8, Layers: 4, Cycle: 4, StepFeatures: 16, StepHidden: 32, ClassFeatures: 16),
            50, 1e-4, 0.05, 6, TrainSteps: 60, Batch: 4, Crop: 256, LearningRates: [2e-3], Seeds: 1, SamplesPerClass: 1,
            ScoredSamples: 512, ListenSeconds: 1.0, MaxEpsilonMse: 0.9, MinPitchAccuracy: 0, MinPitchGain: 0, MinFlatnessRatio: 0),
        Scale.Cpu => new(8000, HarmonicNotes.SpreadPitches(4, 160, 640),
            new DiffWaveConfig(Channels: 24, Layers: 8, Cycle: 8, StepFeatures: 64, StepHidden: 128, ClassFeatures: 64),
            50, 1e-4, 0.05, 6, TrainSteps: 400, Batch: 16, Crop: 512, LearningRates: [1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2], Seeds: 5, SamplesPerClass: 4,
            ScoredSamples: 1024, ListenSeconds: 1.0, MaxEpsilonMse: 0.5, MinPitchAccuracy: 0.75, MinPitchGain: 0.4, MinFlatnessRatio: 1.5),
        _ => new(8000, HarmonicNotes.SpreadPitches(6, 120, 720), new DiffWaveConfig(),
            50, 1e-4, 0.05, 6, TrainSteps: 20000, Batch: 16, Crop: 8000, LearningRates: [1e-4, 2e-4, 4e-4], Seeds: 5, SamplesPerClass: 8,
            ScoredSamples: 4000, ListenSeconds: 2.0, MaxEpsilonMse: 0.5, MinPitchAccuracy: 0.75, MinPitchGain: 0.4, MinFlatnessRatio: 1.5),
    };

    /// <summary>Class c's pitch in Hz.</summary>
    public double PitchOf(int c) => Pitches[c / Timbres.Length];

    /// <summary>Class c's name, e.g. "269 Hz, odd partials".</summary>
    public string ClassName(int c) => string.Create(CultureInfo.InvariantCulture,
        $"{PitchOf(c):F0} Hz, {(Timbres[c % Timbres.Length].OddOnly ? "odd partials" : "all partials")}");
}

/// <summary>
/// What the DiffWave experiment produced. Per-seed summaries are keyed by model or sampler name ("DiffWave", "DiffWave 6-step",
/// "shuffled-class control", "recordings"), each trained model at its chosen learning rate (<paramref name="Tuning"/>);
/// <paramref name="Targets"/>, <paramref name="Generated"/> and
/// <paramref name="GeneratedFast"/> hold one clip per class from the first seed; <paramref name="Strip"/> is the first
/// seed's T-step chain for class <paramref name="StripClass"/> at a few steps (step, wave).
/// </summary>
public sealed record DiffWaveOutcome(int SampleRate, string[] ClassNames, int[] FastSteps, long Parameters, long ControlParameters,
    IReadOnlyDictionary<string, SeedSummary> EpsilonMse, IReadOnlyDictionary<string, SeedSummary> PitchAccuracy,
    IReadOnlyDictionary<string, SeedSummary> Flatness, IReadOnlyDictionary<string, double> SamplesPerSecond,
    float[][] Targets, float[][] Generated, float[][] GeneratedFast, (int Step, float[] Wave)[] Strip, int StripClass, TuningOutcome Tuning);

/// <summary>
/// One training step's data, drawn from the seed's data generator alone: crops x_0 (row-major [batch, crop]), their classes,
/// the diffusion steps s (in 1 … T), the noise ε (row-major [batch, crop]) and classes drawn independently of the audio, which
/// the shuffled-class control is told instead of <paramref name="Classes"/>.
/// </summary>
public sealed record DiffWaveBatch(float[] Crops, long[] Classes, long[] Steps, float[] Noise, long[] RandomClasses)
{
    /// <summary>The classes a network is told: the crops' own, or for the control the independent ones.</summary>
    public long[] Told(bool shuffled) => shuffled ? RandomClasses : Classes;
}

/// <summary>Which rendering of a class's note: the one trained on, or a re-rendering with other partial phases.</summary>
public enum DiffWaveRendering
{
    /// <summary>The training note.</summary>
    Training,

    /// <summary>The validation note (learning-rate choice only).</summary>
    Validation,

    /// <summary>The held-out note (the claim).</summary>
    HeldOut,
}

/// <summary>
/// Kong et al. (2021), "DiffWave: A Versatile Diffusion Model for Audio Synthesis" — the experiment of
/// notebooks/audio/diffwave.ipynb. A class-conditional <see cref="DiffWave"/> learns 8 kHz harmonic notes (pitches ×
/// timbres) by DDPM's noise regression (<see cref="DenoisingDiffusion"/>, T = 50); the control is the same network trained
/// on the same batches — crops, steps and noise, in the same order (<see cref="TrainingBatches"/>) — but told classes drawn
/// independently of the audio (the conditioning carries nothing). Both get the same
/// learning-rate sweep on the first seed and keep, each, the rate with the lowest validation ε-MSE (<see cref="LearningRateTuning"/>);
/// the fast sampler runs the DiffWave network so trained. Samples from the T-step and the 6-step sampler are scored by their FFT-peak
/// pitch (nearest class pitch = the requested one?) and spectral flatness (noise raises it). Metrics: <c>seed{n}/{model@lr}/loss</c>,
/// <c>seed{n}/{model@lr}/heldout_mse</c>.
/// </summary>
public sealed class DiffWaveExperiment : IExperiment
{
    /// <summary>The conditional model's name.</summary>
    public const string Model = "DiffWave";

    /// <summary>The fast sampler's name.</summary>
    public const string Fast = "DiffWave 6-step";

    /// <summary>The control's name.</summary>
    public const string Control = "shuffled-class control";

    /// <summary>The training data's name in the flatness table.</summary>
    public const string Recordings = "recordings";

    private readonly Func<Scale, DiffWaveSettings> _settings;
    private readonly Action<string, int, DiffWaveBatch>? _observeBatch;

    /// <summary>The experiment with <see cref="DiffWaveSettings.For"/>'s sizes.</summary>
    public DiffWaveExperiment() : this(DiffWaveSettings.For)
    {
    }

    /// <summary>
    /// The experiment with other sizes per scale; <paramref name="observeBatch"/> sees every training batch as (run, step, batch),
    /// run being <c>seed{n}/{model@lr}</c>.
    /// </summary>
    public DiffWaveExperiment(Func<Scale, DiffWaveSettings> settings, Action<string, int, DiffWaveBatch>? observeBatch = null)
    {
        _settings = settings;
        _observeBatch = observeBatch;
    }

    /// <inheritdoc />
    public string Id => "diffwave";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "DiffWave: a versatile diffusion model for audio synthesis (Kong et al., 2021)";

    /// <inheritdoc />
    public string? Narrower => "class-conditional generation of 8 kHz synthetic notes (4 pitches × 2 timbres), not speech; no listening tests; " +
        "at cpu scale the 6-step samples are not noisier (flatness ratio 0.95 ± 0.07, 0/5 seeds ≥ 1.5) and the pitch gain over the control " +
        "misses 0.40 in 1/5 seeds";

    /// <inheritdoc />
    public string Claim => "a class-conditional DiffWave trained by noise regression (T = 50) reaches a held-out ε-MSE ≤ 0.5; its samples " +
        "have the requested class pitch (FFT peak nearest the class pitch) in ≥ 75 % of clips (chance 25 %), ≥ 40 points above the same " +
        "network trained on the same batches with shuffled classes (both get the same learning-rate sweep, each keeping its " +
        "best validation ε-MSE on the first seed); the 6-step fast sampler's samples are noisier, spectral flatness ≥ 1.5× the " +
        "50-step sampler's; in the mean over 5 seeds and in every seed (smoke: ε-MSE ≤ 0.9 only)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        var diffusion = DenoisingDiffusion.Linear(s.DiffusionSteps, s.BetaFirst, s.BetaLast);
        int[] fast = diffusion.FastSteps(s.FastSteps);
        bool control = s.MinPitchGain > 0;
        var train = Enumerable.Range(0, s.Classes).Select(c => Render(s, c, 2.0, DiffWaveRendering.Training)).ToArray();
        var validation = Enumerable.Range(0, s.Classes).Select(c => Render(s, c, 1.0, DiffWaveRendering.Validation)).ToArray();
        var heldOut = Enumerable.Range(0, s.Classes).Select(c => Render(s, c, 1.0, DiffWaveRendering.HeldOut)).ToArray();
        context.Run.AddHyperparameters(new
        {
            sample_rate = s.SampleRate, pitches = string.Join(", ", s.Pitches.Select(p => p.ToString("F0", CultureInfo.InvariantCulture))),
            s.Classes, model = s.Network.ToString(), receptive_field = s.Network.ReceptiveField, T = s.DiffusionSteps, beta_first = s.BetaFirst,
            beta_last = s.BetaLast, fast_steps = string.Join(", ", fast), s.TrainSteps, s.Batch, s.Crop, s.Seeds,
            learning_rates = string.Join(",", s.LearningRates.Select(lr => lr.ToString(CultureInfo.InvariantCulture))),
            tuned = "learning rate, for DiffWave and the control alike: lowest validation ε-MSE on the first seed",
        });
        using var evalSet = EvaluationSet(s, diffusion, heldOut, device, s.DataSeed);
        using var validationSet = EvaluationSet(s, diffusion, validation, device, s.DataSeed + 2);

        var seeds = context.Seeds(s.Seeds);
        string[] models = control ? [Model, Control] : [Model];
        var accuracy = new[] { Model, Fast, Control }.ToDictionary(m => m, _ => new double[seeds.Count]);
        var flatness = new[] { Model, Fast }.ToDictionary(m => m, _ => new double[seeds.Count]);
        long parameters = 0, controlParameters = 0;
        float[][] generated = [], generatedFast = [];
        var strip = new List<(int, float[])>();
        var speed = new Dictionary<string, double>();
        const int stripClass = 0;

        void Score(int i, ulong seed, string name, DiffWave net)                         // a trained network's samples, seed i
        {
            using var scope = NewScope();
            var classes = ScoredClasses(s, device);
            if (name == Control)
            {
                ManualSeed(seed + 1000);
                accuracy[Control][i] = PitchAccuracy(s, Generate(diffusion, net, classes, s.ScoredSamples, null), classes);
                context.Run.Log(string.Create(CultureInfo.InvariantCulture, $"seed {i}: {Control} pitch accuracy {accuracy[Control][i]:F3}"));
                return;
            }
            foreach (var (sampler, steps) in new[] { (Model, (int[]?)null), (Fast, fast) })
            {
                ManualSeed(seed + 1000);                                                              // the same start noise
                var waves = Generate(diffusion, net, classes, s.ScoredSamples, steps);
                accuracy[sampler][i] = PitchAccuracy(s, waves, classes);
                flatness[sampler][i] = SpectralFlatness(waves);
                context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"seed {i}: {sampler} pitch accuracy {accuracy[sampler][i]:F3}, flatness {flatness[sampler][i]:G3}"));
            }
            if (i > 0) return;
            var every = Tensor.From(Enumerable.Range(0, s.Classes).Select(c => (long)c).ToArray()).To(device);
            int listen = (int)Math.Round(s.ListenSeconds * s.SampleRate);
            int[] shown = [s.DiffusionSteps, 40, 30, 20, 10, 5, 2, 0];
            ManualSeed(seed + 2000);
            generated = Rows(Generate(diffusion, net, every, listen, null, (step, x) =>
            {
                if (shown.Contains(step)) strip.Add((step, x.Select(0, stripClass).Cpu().ToArray<float>()));
            }));
            ManualSeed(seed + 2000);
            generatedFast = Rows(Generate(diffusion, net, every, listen, fast));
            var one = every.Narrow(0, 0, 1);
            var times = AlternatingTimer.MedianMilliseconds(
                [() => Generate(diffusion, net, one, listen, null).Dispose(), () => Generate(diffusion, net, one, listen, fast).Dispose()], 3);
            speed[Model] = listen / (times[0] / 1000);
            speed[Fast] = listen / (times[1] / 1000);
        }

        var firstSeed = new Dictionary<string, DiffWave>();
        TuningOutcome tuning;
        try
        {
            tuning = LearningRateTuning.Run(models, s.LearningRates, seeds, (seed, configs) =>
            {
                int i = seeds.ToList().IndexOf(seed);
                var scores = new ScoredRun[configs.Count];
                for (int k = 0; k < configs.Count; k++)
                {
                    var (name, lr) = configs[k];
                    var config = SideBySideTraining.ConfigName(name, lr);
                    ManualSeed(seed);                                           // every model and learning rate starts from the same weights
                    var net = new DiffWave(s.Network, device: device);
                    if (name == Model) parameters = net.ParameterCount(); else controlParameters = net.ParameterCount();
                    bool shuffled = name == Control;
                    double test = Train(context, s, diffusion, net, train, evalSet, $"seed{i}/{config}", seed, lr, shuffled, _observeBatch);
                    scores[k] = new ScoredRun(validationSet.Mse(net, shuffled), test);
                    context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                        $"seed {i}, {config}: validation ε-MSE {scores[k].Validation:F3}, held-out ε-MSE {test:F3}"));
                    if (i == 0) firstSeed[config] = net;                       // scored once the first seed's choice is made
                    else
                    {
                        Score(i, seed, name, net);
                        net.Dispose();
                    }
                }
                return scores;
            }, higherIsBetter: false);
            foreach (var name in models) Score(0, seeds[0], name, firstSeed[SideBySideTraining.ConfigName(name, tuning.Chosen[name])]);
        }
        finally
        {
            foreach (var net in firstSeed.Values) net.Dispose();
        }

        int n = seeds.Count;
        var epsilon = tuning.Test;
        var pitch = accuracy.Where(kv => control || kv.Key != Control).ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value));
        var flat = flatness.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value));
        using (NewScope())
            flat[Recordings] = new SeedSummary([SpectralFlatness(Tensor.Stack([.. heldOut.Select(c => Tensor.From(c.Samples[..s.ScoredSamples]))]))]);
        var targets = heldOut.Select(c => c.Samples[..(int)Math.Round(s.ListenSeconds * s.SampleRate)]).ToArray();
        var outcome = new DiffWaveOutcome(s.SampleRate, [.. Enumerable.Range(0, s.Classes).Select(s.ClassName)], fast, parameters,
            controlParameters, epsilon, pitch, flat, speed, targets, generated, generatedFast, [.. strip], stripClass, tuning);

        var metrics = new Dictionary<string, double> { ["parameters"] = parameters, ["chance_accuracy"] = 1.0 / s.Pitches.Length };
        foreach (var (k, v) in epsilon) metrics[$"{k}/heldout_mse"] = v.Mean;
        foreach (var (k, v) in tuning.Chosen) metrics[$"{k}/lr"] = v;
        foreach (var (k, v) in pitch) metrics[$"{k}/pitch_accuracy"] = v.Mean;
        foreach (var (k, v) in flat) metrics[$"{k}/flatness"] = v.Mean;
        foreach (var (k, v) in speed) metrics[$"{k}/samples_per_second"] = v;
        var check = new ClaimCheck().AtMost("held-out ε-MSE after training (1 before)", epsilon[Model], s.MaxEpsilonMse, minSeeds: n, format: "F3");
        if (s.MinPitchAccuracy > 0)
            check.AtLeast("pitch accuracy of 50-step samples", pitch[Model], s.MinPitchAccuracy, minSeeds: n, format: "F3");
        if (control)
            check.AtLeast("pitch accuracy, DiffWave − shuffled-class control", pitch[Model].Minus(pitch[Control]), s.MinPitchGain, minSeeds: n, format: "F3");
        if (s.MinFlatnessRatio > 0)
            check.AtLeast("spectral flatness, 6-step ÷ 50-step samples",
                new SeedSummary(flat[Fast].Values.Zip(flat[Model].Values, (a, b) => a / b)), s.MinFlatnessRatio, minSeeds: n, format: "F2");
        return check.Result(metrics, outcome: outcome);
    }

    /// <summary>Class c's note: the training rendering, or a fresh one with other partial phases (validation, held-out).</summary>
    public static AudioClip Render(DiffWaveSettings s, int c, double seconds, DiffWaveRendering rendering)
    {
        var timbre = DiffWaveSettings.Timbres[c % DiffWaveSettings.Timbres.Length];
        int phaseOffset = rendering switch
        {
            DiffWaveRendering.HeldOut => s.DataSeed,
            DiffWaveRendering.Validation => 2 * s.DataSeed,
            _ => 0,
        };
        return HarmonicNotes.Note(s.PitchOf(c), timbre with { PhaseSeed = timbre.PhaseSeed + phaseOffset }, seconds, s.SampleRate);
    }

    /// <summary>
    /// Trains <paramref name="net"/> with Adam at <paramref name="learningRate"/> on the seed's <see cref="TrainingBatches"/>,
    /// L = ‖ε − ε_θ(x_s, s, c)‖²; with <paramref name="shuffled"/> the network is told the batch's independent random classes
    /// instead of the crops'. Returns the final held-out ε-MSE.
    /// </summary>
    private static double Train(ExperimentContext context, DiffWaveSettings s, DenoisingDiffusion diffusion, DiffWave net, AudioClip[] train,
        EvaluationBatch eval, string prefix, ulong seed, double learningRate, bool shuffled, Action<string, int, DiffWaveBatch>? observe)
    {
        using var optimizer = new Adam(net.Parameters(), lr: learningRate);
        using var batches = TrainingBatches(s, train, seed).GetEnumerator();
        var device = context.Device;
        int every = Math.Max(1, s.TrainSteps / 10);
        double Evaluate(long step)
        {
            double value = eval.Mse(net, shuffled);
            context.Run.Record(step, $"{prefix}/heldout_mse", value);
            return value;
        }
        Evaluate(0);
        for (int step = 1; step <= s.TrainSteps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using var scope = NewScope();
            batches.MoveNext();
            var batch = batches.Current;
            observe?.Invoke(prefix, step, batch);
            var x0 = Tensor.From(batch.Crops, s.Batch, s.Crop).To(device);                                    // [batch, crop]
            var steps = Tensor.From(batch.Steps).To(device);
            var noise = Tensor.From(batch.Noise, s.Batch, s.Crop).To(device);
            var told = Tensor.From(batch.Told(shuffled)).To(device);
            var loss = diffusion.Loss((x, t) => net.Forward(x, t, told), x0, steps, noise);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            context.Run.Record(step, $"{prefix}/loss", loss.Item<float>());
            if (step % every == 0 && step < s.TrainSteps) Evaluate(step);
        }
        return Evaluate(s.TrainSteps);
    }

    /// <summary>
    /// The endless stream of training batches of one seed, drawn from a data generator seeded with <paramref name="seed"/> that
    /// nothing else touches: per step, <see cref="DiffWaveSettings.Batch"/> random crops of the <paramref name="clips"/> (class
    /// uniform, offset uniform), steps s ~ U{1..T}, ε ~ N(0, I) and independent random classes. Every network and learning rate of
    /// a seed — DiffWave and the control alike — trains on this same stream.
    /// </summary>
    public static IEnumerable<DiffWaveBatch> TrainingBatches(DiffWaveSettings s, AudioClip[] clips, ulong seed)
    {
        var random = new Random((int)seed);
        while (true)
        {
            var crops = new float[s.Batch * s.Crop];
            var classes = new long[s.Batch];
            for (int b = 0; b < s.Batch; b++)
            {
                int c = random.Next(clips.Length);
                classes[b] = c;
                Array.Copy(clips[c].Samples, random.Next(clips[c].Frames - s.Crop + 1), crops, b * s.Crop, s.Crop);
            }
            var steps = Enumerable.Range(0, s.Batch).Select(_ => (long)random.Next(1, s.DiffusionSteps + 1)).ToArray();
            var noise = Enumerable.Range(0, s.Batch * s.Crop).Select(_ => (float)Gaussian(random)).ToArray();
            var randomClasses = Enumerable.Range(0, s.Batch).Select(_ => (long)random.Next(s.Classes)).ToArray();
            yield return new DiffWaveBatch(crops, classes, steps, noise, randomClasses);
        }
    }

    /// <summary>An ε-MSE batch: crops of one rendering of every class at steps spread over 1 … T, with fixed noise.</summary>
    private sealed class EvaluationBatch(Tensor x0, Tensor steps, Tensor classes, Tensor randomClasses, Tensor noise, DenoisingDiffusion diffusion) : IDisposable
    {
        public double Mse(DiffWave net, bool shuffled)
        {
            using var scope = NewScope();
            using var noGrad = NoGrad();
            var (noisy, _) = diffusion.Corrupt(x0, steps, noise);
            return (net.Forward(noisy, steps, shuffled ? randomClasses : classes) - noise).Square().Mean().Item<float>();
        }

        public void Dispose()
        {
            foreach (var t in new[] { x0, steps, classes, randomClasses, noise }) t.Dispose();
        }
    }

    /// <summary>An ε-MSE batch from crops of <paramref name="clips"/> (one per class), drawn with <paramref name="seed"/>.</summary>
    private static EvaluationBatch EvaluationSet(DiffWaveSettings s, DenoisingDiffusion diffusion, AudioClip[] clips, Device device, int seed)
    {
        const int perClass = 5;
        int rows = perClass * s.Classes;
        var random = new Random(seed);
        var data = new float[rows * s.Crop];
        var classes = new long[rows];
        var steps = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            classes[r] = r % s.Classes;
            steps[r] = 1 + (long)r * s.DiffusionSteps / rows;                                    // spread over 1 … T
            var clip = clips[r % s.Classes];
            Array.Copy(clip.Samples, random.Next(clip.Frames - s.Crop + 1), data, r * s.Crop, s.Crop);
        }
        using var scope = NewScope();
        var generator = new Random(seed + 1);
        var noise = Tensor.From(Enumerable.Range(0, rows * s.Crop).Select(_ => (float)Gaussian(generator)).ToArray(), rows, s.Crop);
        var randomClasses = Tensor.From(classes.Select(_ => (long)random.Next(s.Classes)).ToArray());
        Tensor Keep(Tensor t) => scope.Keep(t.To(device)).DetachFromScope();
        return new EvaluationBatch(Keep(Tensor.From(data, rows, s.Crop)), Keep(Tensor.From(steps)), Keep(Tensor.From(classes)),
            Keep(randomClasses), Keep(noise), diffusion);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The scored classes: every class <see cref="DiffWaveSettings.SamplesPerClass"/> times, int64 [clips].</summary>
    private static Tensor ScoredClasses(DiffWaveSettings s, Device device) =>
        Tensor.From(Enumerable.Range(0, s.Classes * s.SamplesPerClass).Select(i => (long)(i % s.Classes)).ToArray()).To(device);

    /// <summary>Ancestral samples [classes, length] of the given classes (all T steps, or the given subset).</summary>
    public static Tensor Generate(DenoisingDiffusion diffusion, DiffWave net, Tensor classes, int length, int[]? steps,
        Action<int, Tensor>? observe = null)
    {
        long batch = classes.Size(0);
        return diffusion.Sample((x, step) =>
        {
            using var scope = NewScope();
            return scope.Keep(net.Forward(x, Tensor.Full([batch], step, DType.Int64, classes.Device), classes));
        }, [batch, length], steps, observe, device: classes.Device);
    }

    /// <summary>
    /// The fraction of clips whose pitch — the strongest FFT peak (Hann window) between 0.6× the lowest and 1.6× the highest
    /// class pitch — is nearer (in log frequency) to the requested class's pitch than to any other class pitch.
    /// </summary>
    public static double PitchAccuracy(DiffWaveSettings s, Tensor waves, Tensor classes)
    {
        var pitches = EstimatePitches(waves, s.SampleRate, 0.6 * s.Pitches.Min(), 1.6 * s.Pitches.Max());
        var requested = classes.Cpu().ToArray<long>();
        int hits = 0;
        for (int i = 0; i < pitches.Length; i++)
        {
            int nearest = Enumerable.Range(0, s.Pitches.Length).MinBy(p => Math.Abs(Math.Log(pitches[i] / s.Pitches[p])));
            if (nearest == requested[i] / DiffWaveSettings.Timbres.Length) hits++;
        }
        return (double)hits / pitches.Length;
    }

    /// <summary>The frequency (Hz) of the strongest Hann-windowed FFT bin in [<paramref name="low"/>, <paramref name="high"/>] of every row of waves [clips, time].</summary>
    public static double[] EstimatePitches(Tensor waves, int sampleRate, double low, double high)
    {
        using var scope = NewScope();
        long length = waves.Size(1);
        var power = Fft.RFFT(waves.Cpu().To(DType.Float64) * Fft.HannWindow(length, dtype: DType.Float64)).Abs().Square();   // [clips, bins]
        int first = (int)Math.Ceiling(low * length / sampleRate), last = (int)Math.Floor(high * length / sampleRate);
        var peaks = power.Narrow(1, first, last - first + 1).ArgMax(1).ToArray<long>();
        return [.. peaks.Select(k => (k + first) * (double)sampleRate / length)];
    }

    /// <summary>
    /// Mean spectral flatness of the rows of waves [clips, time]: the geometric over the arithmetic mean of the Hann-windowed
    /// power spectrum (without DC), in [0, 1]; near 0 for a clean harmonic stack, 1 for white noise.
    /// </summary>
    public static double SpectralFlatness(Tensor waves)
    {
        using var scope = NewScope();
        long length = waves.Size(1);
        var power = Fft.RFFT(waves.Cpu().To(DType.Float64) * Fft.HannWindow(length, dtype: DType.Float64)).Abs().Square();
        power = power.Narrow(1, 1, power.Size(1) - 1) + 1e-20;
        return (power.Log().Mean(1).Exp() / power.Mean(1)).Mean().Item<double>();
    }

    private static float[][] Rows(Tensor waves)
    {
        using var scope = NewScope();
        var cpu = waves.Cpu();
        return [.. Enumerable.Range(0, (int)cpu.Size(0)).Select(i => cpu.Select(0, i).ToArray<float>())];
    }
}
