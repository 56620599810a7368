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
/// The sizes of the PeriodWave experiment at one scale.
/// </summary>
/// <param name="SampleRate">Audio sample rate in Hz.</param>
/// <param name="LowestPitch">Lowest fundamental in Hz (training, validation and test notes).</param>
/// <param name="HighestPitch">Highest fundamental in Hz.</param>
/// <param name="TestNotes">Unseen test notes (pitches spread over the range); as many validation notes at other pitches.</param>
/// <param name="ClipSamples">Samples per test and validation note (a multiple of <paramref name="Hop"/>).</param>
/// <param name="MelBands">Mel bands of the conditioning log-mel spectrogram.</param>
/// <param name="NFft">FFT size of the mel spectrogram.</param>
/// <param name="Hop">Samples per mel frame.</param>
/// <param name="Model">The period-aware estimator (its mel bands and hop are set from these settings).</param>
/// <param name="PlainLayers">Layers of the plain 1-D estimator (its width is matched to the parameter count).</param>
/// <param name="Steps">Adam steps per configuration.</param>
/// <param name="Batch">Fresh training notes per step.</param>
/// <param name="Crop">Samples per training note (a multiple of <paramref name="Hop"/>).</param>
/// <param name="LearningRates">The sweep, the same for all estimators (on the first seed, by validation loss); one value: fixed.</param>
/// <param name="Seeds">Seeds.</param>
/// <param name="EulerSteps">Euler step counts of the quality curve.</param>
/// <param name="MaxLossRatio">Largest held-out flow-matching loss period-aware ÷ plain, and ÷ the no-reshape control (0: neither is trained).</param>
/// <param name="MinHnrGain">Smallest harmonic-to-noise gain (dB) of period-aware over plain samples, and over the control's, at the most Euler steps.</param>
/// <param name="MaxLossFraction">Smoke: the period-aware's held-out loss must be at most this fraction of the zero vector field's.</param>
/// <param name="DataSeed">Seed of the test and validation timbres.</param>
public sealed record PeriodWaveSettings(int SampleRate, double LowestPitch, double HighestPitch, int TestNotes, int ClipSamples, int MelBands,
    int NFft, int Hop, PeriodWaveConfig Model, int PlainLayers, int Steps, int Batch, int Crop, double[] LearningRates, int Seeds,
    int[] EulerSteps, double MaxLossRatio, double MinHnrGain, double MaxLossFraction, int DataSeed = 2024)
{
    /// <summary>The period-aware estimator with this experiment's mel bands and hop.</summary>
    public PeriodWaveConfig PeriodAware => Model with { MelBands = MelBands, Hop = Hop };

    /// <summary>The plain 1-D estimator: <see cref="PlainLayers"/> layers (dilations 1 … 2^(L−1)), width matched in parameters.</summary>
    public PeriodWaveConfig Plain => PeriodAware.PlainMatching(PlainLayers);

    /// <summary>The control: the period-aware estimator's branches, taps and parameters on the 1-D stream, without the period reshape.</summary>
    public PeriodWaveConfig Control => PeriodAware.WithoutReshape();

    /// <summary>Whether the plain estimator and the control are trained and compared.</summary>
    public bool Compare => MaxLossRatio > 0;

    /// <summary>
    /// smoke: periods 2, 3, 5 with 4 channels, 40 steps, one rate, 1 seed, the period-aware estimator alone; cpu: periods
    /// 2, 3, 5, 7, 11 with 8 channels and 4 layers against an 8-layer plain stack and the no-reshape control, the same sweep
    /// of 10⁻³, 3·10⁻³, 10⁻², 3·10⁻² for all three (first seed, validation loss), 5 seeds; gpu: 32 channels, 6 layers, 3 rates, 5 seeds.
    /// </summary>
    public static PeriodWaveSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(8000, 100, 400, 2, 8192, 32, 256, 64, new PeriodWaveConfig(4, 3, [2, 3, 5], 0, 0), 6,
            Steps: 40, Batch: 4, Crop: 512, LearningRates: [3e-3], Seeds: 1, EulerSteps: [1, 4], MaxLossRatio: 0, MinHnrGain: 0, MaxLossFraction: 0.9),
        Scale.Cpu => new(8000, 100, 400, 6, 8192, 32, 256, 64, new PeriodWaveConfig(8, 4, [2, 3, 5, 7, 11], 0, 0), 8,
            Steps: 300, Batch: 8, Crop: 1024, LearningRates: [1e-3, 3e-3, 1e-2, 3e-2], Seeds: 5, EulerSteps: [1, 2, 4, 8, 16],
            MaxLossRatio: 0.95, MinHnrGain: 1.0, MaxLossFraction: 0),
        _ => new(8000, 80, 500, 12, 8192, 64, 512, 64, new PeriodWaveConfig(32, 6, [2, 3, 5, 7, 11], 0, 0), 10,
            Steps: 20000, Batch: 16, Crop: 4096, LearningRates: [3e-4, 1e-3, 3e-3], Seeds: 5, EulerSteps: [1, 2, 4, 8, 16, 32],
            MaxLossRatio: 0.95, MinHnrGain: 1.0, MaxLossFraction: 0),
    };
}

/// <summary>
/// What the PeriodWave experiment produced. Keys are <see cref="PeriodWaveExperiment.PeriodAware"/>,
/// <see cref="PeriodWaveExperiment.Plain"/> and <see cref="PeriodWaveExperiment.Control"/>: the chosen learning rate and the sweep (first seed, validation loss), held-out
/// flow-matching loss and harmonic-to-noise ratio (dB) per seed at the most Euler steps, and per Euler step count the
/// harmonic-to-noise ratio and log-mel distance over seeds; the first seed's samples of the first test note per model
/// (at the most Euler steps) with the recording, and each estimator's generation speed at the most Euler steps (one thread).
/// </summary>
public sealed record PeriodWaveOutcome(int SampleRate, string TestNote, IReadOnlyDictionary<string, long> Parameters,
    IReadOnlyDictionary<string, double> ChosenRate, IReadOnlyDictionary<string, IReadOnlyDictionary<double, double>> Sweep,
    IReadOnlyDictionary<string, SeedSummary> HeldOutLoss, IReadOnlyDictionary<string, SeedSummary> Hnr, int[] EulerSteps,
    IReadOnlyDictionary<string, SeedSummary[]> HnrByEulerSteps, IReadOnlyDictionary<string, SeedSummary[]> MelDistanceByEulerSteps,
    double RecordingHnr, float[] Recording, IReadOnlyDictionary<string, float[]> Generated, IReadOnlyDictionary<string, double> SamplesPerSecond);

/// <summary>
/// Lee et al. (2024), "PeriodWave: Multi-Period Flow Matching for High-Fidelity Waveform Generation" — the experiment of
/// notebooks/audio/periodwave.ipynb. Two vector-field estimators learn mel → waveform by conditional flow matching
/// (<see cref="FlowMatching"/>) on fresh harmonic notes: the period-aware <see cref="PeriodWave"/> (2-D branches over
/// prime periods), a plain 1-D dilated stack with the same parameters (±10 %), and the control: the same branches with the
/// same taps and parameters applied along the 1-D time axis without the period reshape (<see cref="PeriodBranch"/>), so a
/// gain over the plain stack that the control shares comes from the branches, not the reshape. All get the same learning
/// rates (a sweep on the first seed, chosen by validation loss on other notes, or one fixed rate), the same batches, noise
/// and times, and the same steps; they
/// are scored on unseen notes by the held-out flow-matching loss and by the harmonic-to-noise ratio of Euler samples.
/// Metrics: <c>seed{n}/{model@lr}/loss</c>, <c>seed{n}/{model@lr}/heldout_loss</c>.
/// </summary>
public sealed class PeriodWaveExperiment : IExperiment
{
    /// <summary>The period-aware estimator's name.</summary>
    public const string PeriodAware = "period-aware";

    /// <summary>The plain 1-D estimator's name.</summary>
    public const string Plain = "plain 1-D";

    /// <summary>The control's name: the period-aware estimator without its period reshape.</summary>
    public const string Control = "no reshape";

    private readonly Func<Scale, PeriodWaveSettings> _settings;

    /// <summary>The experiment with <see cref="PeriodWaveSettings.For"/>'s sizes.</summary>
    public PeriodWaveExperiment() : this(PeriodWaveSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public PeriodWaveExperiment(Func<Scale, PeriodWaveSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "periodwave";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "PeriodWave: multi-period flow matching for waveform generation (Lee et al., 2024)";

    /// <inheritdoc />
    public string? Narrower => "8 kHz harmonic notes instead of speech; no Haar sub-bands, FreeU rescaling or listening tests";

    /// <inheritdoc />
    public string Claim => "on unseen harmonic notes, a period-aware flow-matching estimator (2-D convolutions over periods 2, 3, 5, 7, 11) " +
        "reaches a held-out flow-matching loss ≤ 0.95× that of a plain 1-D dilated estimator with the same parameters (±10 %), and its " +
        "16-step Euler samples have a harmonic-to-noise ratio ≥ 1 dB higher, in the mean over 5 seeds and in every seed; control, " +
        "registered before the run: the same two margins hold against the same estimator without the period reshape (the same branches, " +
        "taps and parameters on the 1-D time axis), so the gain is the reshape's and not the extra branches'; tuning: each of the three " +
        "estimators gets the same learning-rate sweep, " +
        string.Join(", ", PeriodWaveSettings.For(Scale.Cpu).LearningRates.Select(lr => lr.ToString("G3", CultureInfo.InvariantCulture))) +
        ", on the first seed and keeps the rate with the lowest " +
        "validation loss (other unseen notes than the test notes); the other seeds train at that rate " +
        "(smoke: the period-aware's held-out loss ≤ 0.9× that of the zero vector field)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        var configs = new Dictionary<string, PeriodWaveConfig> { [PeriodAware] = s.PeriodAware };
        if (s.Compare)
        {
            configs[Plain] = s.Plain;
            configs[Control] = s.Control;
        }
        string[] models = [.. configs.Keys];
        using var mel = new LogMelSpectrogram(s.SampleRate, s.NFft, s.Hop, s.MelBands, floor: 1e-5);
        var test = Notes(s, s.TestNotes, new Random(s.DataSeed), [], 0.5);
        var validation = Notes(s, s.TestNotes, new Random(s.DataSeed + 1), [.. test.Select(n => n.Pitch)], 0.5);
        double[] avoid = [.. test.Concat(validation).Select(n => n.Pitch)];
        using var testSet = HeldOutSet.Create(s, test, mel, s.DataSeed + 2, device);
        using var validationSet = HeldOutSet.Create(s, validation, mel, s.DataSeed + 3, device);
        var parameters = models.ToDictionary(m => m, m => configs[m].ParameterCount);
        context.Run.AddHyperparameters(new
        {
            sample_rate = s.SampleRate, lowest = s.LowestPitch, highest = s.HighestPitch, test_notes = s.TestNotes, clip = s.ClipSamples,
            mel_bands = s.MelBands, n_fft = s.NFft, hop = s.Hop, period_aware = s.PeriodAware.ToString(), plain = s.Plain.ToString(),
            control = s.Control.ToString(), period_aware_parameters = parameters[PeriodAware], plain_parameters = s.Plain.ParameterCount,
            control_parameters = s.Control.ParameterCount, s.Steps, s.Batch, s.Crop,
            learning_rates = string.Join(", ", s.LearningRates), s.Seeds, euler_steps = string.Join(", ", s.EulerSteps),
            tuned = s.LearningRates.Length > 1 ? "learning rate, the same sweep for all three estimators on the first seed, by validation loss"
                : "nothing: the same fixed learning rate for all three estimators",
        });

        int e = s.EulerSteps.Length;
        var quality = new Dictionary<(ulong, string), (double Loss, double[] Hnr, double[] MelDistance)>();
        var samples = new Dictionary<string, float[]>();
        var seeds = context.Seeds(s.Seeds);
        var tuning = LearningRateTuning.Run(models, s.LearningRates, seeds, (seed, runs) =>
        {
            int n = (int)(seed - context.Seed);
            var nets = runs.Select(r => { ManualSeed(seed + 1); return new PeriodWave(configs[r.Model], device: device); }).ToArray();
            try
            {
                var names = runs.Select(r => SideBySideTraining.ConfigName(r.Model, r.LearningRate)).ToArray();
                TrainSideBySide(context, s, nets, [.. runs.Select(r => r.LearningRate)], names, seed, mel, testSet, $"seed{n}/");
                var scores = new ScoredRun[runs.Count];
                for (int k = 0; k < runs.Count; k++)
                {
                    double testLoss = testSet.Loss(nets[k]);
                    scores[k] = new ScoredRun(validationSet.Loss(nets[k]), testLoss);
                    var hnr = new double[e];
                    var distance = new double[e];
                    for (int j = 0; j < e; j++)
                    {
                        using var scope = NewScope();
                        ManualSeed(seed + 7);                                                             // the same start noise
                        var generated = testSet.Generate(nets[k], s.EulerSteps[j]);
                        hnr[j] = testSet.HarmonicToNoise(generated, s.SampleRate).Average();
                        distance[j] = testSet.MelDistance(generated, mel);
                        if (n == 0 && j == e - 1) samples[names[k]] = generated.Select(0, 0).Cpu().ToArray<float>();
                    }
                    quality[(seed, names[k])] = (testLoss, hnr, distance);
                    context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                        $"seed {n}, {names[k]}: validation {scores[k].Validation:F4}, test {testLoss:F4}, HNR {string.Join(" ", hnr.Select(h => h.ToString("F1", CultureInfo.InvariantCulture)))} dB"));
                }
                return scores;
            }
            finally
            {
                foreach (var net in nets) net.Dispose();
            }
        }, higherIsBetter: false);

        foreach (var m in models)
            context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                $"{m}: validation loss by learning rate {string.Join(", ", tuning.Sweep[m].Select(kv => $"{kv.Key:G3}: {kv.Value:F4}"))} → chosen {tuning.Chosen[m]:G3}"));
        var chosen = models.ToDictionary(m => m, m => SideBySideTraining.ConfigName(m, tuning.Chosen[m]));
        (double Loss, double[] Hnr, double[] MelDistance)[] Of(string m) => [.. seeds.Select(seed => quality[(seed, chosen[m])])];
        var heldOut = models.ToDictionary(m => m, m => new SeedSummary(Of(m).Select(q => q.Loss)));
        var hnrBySteps = models.ToDictionary(m => m, m => Enumerable.Range(0, e).Select(j => new SeedSummary(Of(m).Select(q => q.Hnr[j]))).ToArray());
        var melBySteps = models.ToDictionary(m => m, m => Enumerable.Range(0, e).Select(j => new SeedSummary(Of(m).Select(q => q.MelDistance[j]))).ToArray());
        var hnr = models.ToDictionary(m => m, m => hnrBySteps[m][e - 1]);
        double recordingHnr;
        using (NewScope()) recordingHnr = testSet.HarmonicToNoise(testSet.Waves, s.SampleRate).Average();
        var speed = new Dictionary<string, double>();
        using (NewScope())
        {
            var fresh = models.Select(m => new PeriodWave(configs[m], device: device)).ToArray();
            var times = AlternatingTimer.MedianMilliseconds([.. fresh.Select(net => (Action)(() => testSet.Generate(net, s.EulerSteps[^1]).Dispose()))], 3);
            for (int k = 0; k < models.Length; k++) speed[models[k]] = testSet.Waves.NumEl / (times[k] / 1000);
            foreach (var net in fresh) net.Dispose();
        }
        var outcome = new PeriodWaveOutcome(s.SampleRate, test[0].Name, parameters, tuning.Chosen, tuning.Sweep, heldOut, hnr, s.EulerSteps,
            hnrBySteps, melBySteps, recordingHnr, test[0].Clip.Samples, models.ToDictionary(m => m, m => samples[chosen[m]]), speed);

        var metrics = new Dictionary<string, double> { ["recording_hnr_db"] = recordingHnr };
        foreach (var m in models)
        {
            string key = m.Replace(' ', '_');
            metrics[$"{key}/parameters"] = parameters[m];
            metrics[$"{key}/heldout_loss"] = heldOut[m].Mean;
            metrics[$"{key}/hnr_db"] = hnr[m].Mean;
            metrics[$"{key}/learning_rate"] = tuning.Chosen[m];
            foreach (var (lr, loss) in tuning.Sweep[m])
                metrics[string.Create(CultureInfo.InvariantCulture, $"{key}/validation_loss@{lr:G3}")] = loss;
            metrics[$"{key}/samples_per_second"] = speed[m];
        }
        var check = new ClaimCheck();
        int count = seeds.Count;
        if (s.Compare)
        {
            double ratio = (double)parameters[Plain] / parameters[PeriodAware];
            check.That("the plain 1-D estimator has the period-aware one's parameter count within 10 %", Math.Abs(ratio - 1) <= 0.1,
                $"{parameters[Plain]:N0} vs {parameters[PeriodAware]:N0} ({ratio:P1})");
            check.AtMost("held-out flow-matching loss, period-aware ÷ plain",
                new SeedSummary(heldOut[PeriodAware].Values.Zip(heldOut[Plain].Values, (a, b) => a / b)), s.MaxLossRatio, minSeeds: count, format: "F3");
            check.AtLeast($"harmonic-to-noise ratio of {s.EulerSteps[^1]}-step samples, period-aware − plain (dB)",
                hnr[PeriodAware].Minus(hnr[Plain]), s.MinHnrGain, minSeeds: count, format: "F2");
            check.AtMost("control: held-out flow-matching loss, period-aware ÷ no reshape",
                new SeedSummary(heldOut[PeriodAware].Values.Zip(heldOut[Control].Values, (a, b) => a / b)), s.MaxLossRatio, minSeeds: count, format: "F3");
            check.AtLeast($"control: harmonic-to-noise ratio of {s.EulerSteps[^1]}-step samples, period-aware − no reshape (dB)",
                hnr[PeriodAware].Minus(hnr[Control]), s.MinHnrGain, minSeeds: count, format: "F2");
        }
        else
        {
            check.AtMost("held-out flow-matching loss ÷ the zero field's", heldOut[PeriodAware].Mean / testSet.ZeroFieldLoss,
                s.MaxLossFraction, format: "F3");
        }
        return check.Result(metrics, outcome: outcome);
    }

    /// <summary>A note: its name, pitch and audio.</summary>
    public sealed record Note(string Name, double Pitch, AudioClip Clip);

    /// <summary>
    /// <paramref name="count"/> notes at pitches spread over the range (shifted by <paramref name="shift"/> of a band when the
    /// pitches must avoid others), random timbres without vibrato (so the harmonics are exact multiples of the pitch).
    /// </summary>
    public static Note[] Notes(PeriodWaveSettings s, int count, Random timbres, double[] avoid, double shift)
    {
        var pitches = avoid.Length == 0
            ? HarmonicNotes.SpreadPitches(count, s.LowestPitch, s.HighestPitch)
            : [.. Enumerable.Range(0, count).Select(j => s.LowestPitch * Math.Pow(s.HighestPitch / s.LowestPitch, (j + shift + 0.25) / count))];
        return [.. pitches.Select(pitch =>
        {
            var timbre = Timbre.Random(timbres) with { VibratoDepth = 0 };
            var name = string.Create(CultureInfo.InvariantCulture, $"{pitch:F0} Hz, slope {timbre.Slope:F1}{(timbre.OddOnly ? ", odd partials" : "")}");
            return new Note(name, pitch, HarmonicNotes.Note(pitch, timbre, (double)s.ClipSamples / s.SampleRate, s.SampleRate));
        })];
    }

    /// <summary>The conditioning: log-mel [batch, bands, samples / hop] of waves [batch, samples] (the centred STFT's last frame dropped), scaled to about unit range.</summary>
    public static Tensor Mel(LogMelSpectrogram mel, Tensor waves)
    {
        using var scope = NewScope();
        var m = mel.Forward(waves);
        return scope.Keep((m.Narrow(2, 0, waves.Size(1) / mel.HopLength) + 5) * 0.2);
    }

    // Trains the configurations side by side: every step the same fresh notes, noise and times for all.
    private static void TrainSideBySide(ExperimentContext context, PeriodWaveSettings s, PeriodWave[] nets, double[] rates, string[] names,
        ulong seed, LogMelSpectrogram mel, HeldOutSet test, string prefix)
    {
        var optimizers = nets.Select((net, k) => new Adam(net.Parameters(), lr: rates[k])).ToArray();
        var flow = new FlowMatching();
        var random = new Random((int)seed);
        int every = Math.Max(1, s.Steps / 6);
        void Evaluate(long step)
        {
            for (int k = 0; k < nets.Length; k++) context.Run.Record(step, $"{prefix}{names[k]}/heldout_loss", test.Loss(nets[k]));
        }
        try
        {
            Evaluate(0);
            for (int step = 1; step <= s.Steps; step++)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                using var scope = NewScope();
                var clips = Enumerable.Range(0, s.Batch).Select(_ => HarmonicNotes.Note(
                    HarmonicNotes.RandomPitch(random, s.LowestPitch, s.HighestPitch, [], 0), Timbre.Random(random),
                    (double)s.Crop / s.SampleRate, s.SampleRate)).ToArray();
                var x1 = Tensor.Stack([.. clips.Select(c => Tensor.From(c.Samples))]).To(context.Device);      // [batch, crop]
                var condition = Mel(mel, x1);
                var t = Tensor.Rand([s.Batch], device: context.Device);
                var (point, target) = flow.Path(x1, t);                                               // the same x_0 and t for all
                for (int k = 0; k < nets.Length; k++)
                {
                    var loss = (nets[k].Forward(point, t, condition) - target).Square().Mean();
                    optimizers[k].ZeroGrad();
                    loss.Backward();
                    optimizers[k].Step();
                    context.Run.Record(step, $"{prefix}{names[k]}/loss", loss.Item<float>());
                }
                if (step % every == 0 || step == s.Steps) Evaluate(step);
            }
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
        }
    }

    /// <summary>
    /// Held-out notes with fixed noise and times for the flow-matching loss (each note at 4 times spread over [0, 1]), their
    /// mel conditioning, and the scoring of generated samples.
    /// </summary>
    private sealed class HeldOutSet : IDisposable
    {
        private HeldOutSet(Note[] notes, Tensor waves, Tensor mel, Tensor repeatedWaves, Tensor repeatedMel, Tensor noise, Tensor times)
        {
            Notes = notes;
            Waves = waves;
            Conditioning = mel;
            _repeatedWaves = repeatedWaves;
            _repeatedMel = repeatedMel;
            _noise = noise;
            _times = times;
        }

        private readonly Tensor _repeatedWaves, _repeatedMel, _noise, _times;

        public Note[] Notes { get; }

        public Tensor Waves { get; }

        public Tensor Conditioning { get; }

        /// <summary>The loss of the zero vector field, E‖u_t‖²: the reference the smoke check compares with.</summary>
        public double ZeroFieldLoss
        {
            get
            {
                using var scope = NewScope();
                return new FlowMatching().Path(_repeatedWaves, _times, _noise).Target.Square().Mean().Item<float>();
            }
        }

        public static HeldOutSet Create(PeriodWaveSettings s, Note[] notes, LogMelSpectrogram mel, int seed, Device device)
        {
            const int times = 4;
            using var scope = NewScope();
            var waves = Tensor.Stack([.. notes.Select(n => Tensor.From(n.Clip.Samples))]);                       // [notes, samples]
            var conditioning = Mel(mel, waves);
            var repeatedWaves = waves.RepeatInterleave(times, 0);
            var repeatedMel = conditioning.RepeatInterleave(times, 0);
            var generator = new Random(seed);
            long rows = repeatedWaves.Size(0), length = repeatedWaves.Size(1);
            var noise = Tensor.From(Enumerable.Range(0, (int)(rows * length)).Select(_ => (float)Gaussian(generator)).ToArray(), rows, length);
            var t = Tensor.From(Enumerable.Range(0, (int)rows).Select(r => (float)((r % times + 0.5) / times)).ToArray());
            Tensor Keep(Tensor x) => scope.Keep(x.To(device)).DetachFromScope();
            return new HeldOutSet(notes, Keep(waves), Keep(conditioning), Keep(repeatedWaves), Keep(repeatedMel), Keep(noise), Keep(t));
        }

        /// <summary>The flow-matching loss at the fixed noise and times (no gradients).</summary>
        public double Loss(PeriodWave net)
        {
            using var scope = NewScope();
            using var noGrad = NoGrad();
            var (point, target) = new FlowMatching().Path(_repeatedWaves, _times, _noise);
            return (net.Forward(point, _times, _repeatedMel) - target).Square().Mean().Item<float>();
        }

        /// <summary>One Euler sample per note from its mel: [notes, samples].</summary>
        public Tensor Generate(PeriodWave net, int steps)
        {
            long notes = Waves.Size(0);
            return FlowMatching.Sample((x, t) =>
            {
                using var scope = NewScope();
                return scope.Keep(net.Forward(x, Tensor.Full([notes], t, device: x.Device), Conditioning));
            }, [notes, Waves.Size(1)], steps, device: Waves.Device);
        }

        /// <summary>
        /// Per note, 10 log10 of the Hann-windowed power within ±8 Hz of the harmonics k·f0 over the power elsewhere, between 50 Hz
        /// and 0.45 of the sample rate.
        /// </summary>
        public double[] HarmonicToNoise(Tensor waves, int sampleRate)
        {
            using var scope = NewScope();
            long length = waves.Size(1);
            var power = Fft.RFFT(waves.Cpu().To(DType.Float64) * Fft.HannWindow(length, dtype: DType.Float64)).Abs().Square();
            var rows = Enumerable.Range(0, (int)power.Size(0)).Select(i => power.Select(0, i).ToArray<double>()).ToArray();
            return [.. rows.Select((p, i) =>
            {
                double f0 = Notes[i].Pitch, harmonic = 1e-30, rest = 1e-30;
                for (int b = 0; b < p.Length; b++)
                {
                    double f = b * (double)sampleRate / length;
                    if (f < 50 || f > 0.45 * sampleRate) continue;
                    double k = Math.Max(1, Math.Round(f / f0));
                    if (Math.Abs(f - k * f0) <= 8) harmonic += p[b]; else rest += p[b];
                }
                return 10 * Math.Log10(harmonic / rest);
            })];
        }

        /// <summary>Mean absolute difference of the (scaled) log-mel spectrograms of generated and recorded notes.</summary>
        public double MelDistance(Tensor generated, LogMelSpectrogram mel)
        {
            using var scope = NewScope();
            return (Mel(mel, generated) - Conditioning).Abs().Mean().Item<float>();
        }

        public void Dispose()
        {
            foreach (var t in new[] { Waves, Conditioning, _repeatedWaves, _repeatedMel, _noise, _times }) t.Dispose();
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
