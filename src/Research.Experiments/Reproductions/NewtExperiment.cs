using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the NEWT experiment at one scale.</summary>
/// <param name="Newt">The neural waveshaping synthesiser; the baselines are matched to its parameter count.</param>
/// <param name="Seconds">Length of every note.</param>
/// <param name="TrainingNotes">Training pitches, log-spaced over [<see cref="LowestPitch"/>, <see cref="HighestPitch"/>].</param>
/// <param name="ValidationNotes">Validation pitches (drawn, &gt; ½ semitone from every training pitch), for the learning-rate choice.</param>
/// <param name="HeldOutNotes">Held-out pitches (drawn, &gt; ½ semitone from every other pitch), for the claim.</param>
/// <param name="LowestPitch">Lowest pitch in Hz.</param>
/// <param name="HighestPitch">Highest pitch in Hz.</param>
/// <param name="Steps">Adam steps of every run.</param>
/// <param name="Batch">Crops per step.</param>
/// <param name="CropFrames">Frames per crop.</param>
/// <param name="LearningRates">The sweep every model gets on the first seed (best validation distance wins).</param>
/// <param name="Seeds">Seeds (initialisation, crops, noise; the notes stay the same).</param>
/// <param name="PatternHarmonics">Harmonics whose levels the pattern error compares.</param>
/// <param name="TimingRepeats">Alternating rounds of the speed measurement.</param>
/// <param name="MaxTrainedRatio">NEWT's held-out distance after training over before must be at most this.</param>
/// <param name="MaxAdditiveRatio">NEWT's held-out distance over the additive baseline's must be at most this (0: not checked).</param>
/// <param name="MaxPatternErrorDb">NEWT's harmonic pattern error must be at most this many dB (0: not checked).</param>
/// <param name="MinControlRatio">The no-shaper control's held-out distance over NEWT's must be at least this (0: not checked).</param>
/// <param name="MinRealTime">NEWT's generated samples per second over the sample rate (one thread) must be at least this.</param>
/// <param name="DataSeed">Seed of the drawn pitches and of the evaluation noise.</param>
public sealed record NewtSettings(NewtConfig Newt, double Seconds, int TrainingNotes, int ValidationNotes, int HeldOutNotes, double LowestPitch,
    double HighestPitch, int Steps, int Batch, int CropFrames, double[] LearningRates, int Seeds, int PatternHarmonics, int TimingRepeats,
    double MaxTrainedRatio, double MaxAdditiveRatio, double MaxPatternErrorDb, double MinControlRatio, double MinRealTime, int DataSeed = 2021)
{
    /// <summary>
    /// smoke: 4 shapers, 2 training notes of 1 s, 8 steps, one learning rate, one seed; cpu: 16 shapers of width 8, 32
    /// harmonics, 10 training notes of 1.5 s, 250 steps of 4 × 0.26 s, learning rates 1e-4 … 1e-2 (5), 5 seeds (both at 8 kHz);
    /// gpu: the paper's 16 kHz, 64 shapers, 101 harmonics, 128-unit GRU and MLPs, a 2 s reverb, 5000 steps, 5 seeds. Frames of 8 ms.
    /// </summary>
    public static NewtSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new NewtConfig(SampleRate: 8000, Hop: 64, Harmonics: 16, Shapers: 4, Hidden: 8, Embedding: 8, MlpDepth: 3,
            NoiseFilter: 128, ReverbLength: 200), Seconds: 1, TrainingNotes: 2, ValidationNotes: 1, HeldOutNotes: 1, LowestPitch: 130,
            HighestPitch: 520, Steps: 8, Batch: 2, CropFrames: 16, LearningRates: [1e-2], Seeds: 1, PatternHarmonics: 10, TimingRepeats: 1,
            MaxTrainedRatio: 0.95, MaxAdditiveRatio: 0, MaxPatternErrorDb: 0, MinControlRatio: 0, MinRealTime: 1),
        Scale.Cpu => new(new NewtConfig(SampleRate: 8000, Hop: 64, Harmonics: 32, NoiseFilter: 128, ReverbLength: 1000), Seconds: 1.5,
            TrainingNotes: 10, ValidationNotes: 3, HeldOutNotes: 4, LowestPitch: 130, HighestPitch: 520, Steps: 250, Batch: 4, CropFrames: 32,
            LearningRates: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], Seeds: 5, PatternHarmonics: 10, TimingRepeats: 3, MaxTrainedRatio: 0.5, MaxAdditiveRatio: 1.1,
            MaxPatternErrorDb: 3, MinControlRatio: 1.1, MinRealTime: 1),
        _ => new(new NewtConfig(Harmonics: 101, Shapers: 64, Hidden: 128, Embedding: 128, ReverbLength: 32000), Seconds: 4,
            TrainingNotes: 24, ValidationNotes: 4, HeldOutNotes: 8, LowestPitch: 100, HighestPitch: 800, Steps: 5000, Batch: 8, CropFrames: 250,
            LearningRates: [3e-4, 1e-3, 3e-3], Seeds: 5, PatternHarmonics: 10, TimingRepeats: 5, MaxTrainedRatio: 0.5, MaxAdditiveRatio: 1.1,
            MaxPatternErrorDb: 3, MinControlRatio: 1.1, MinRealTime: 1),
    };

    /// <summary>The control: the same synthesiser without shapers, its affine MLP widened to the NEWT's parameter count.</summary>
    public NewtConfig NoShaper
    {
        get
        {
            var basis = Newt with { Waveshaping = false };
            return Enumerable.Range(1, 1024).Select(h => basis with { AffineHidden = h }).MinBy(c => Math.Abs(c.ParameterCount - Newt.ParameterCount))!;
        }
    }

    /// <summary>The additive (DDSP) baseline with the NEWT's encoder, noise and reverb and a matched amplitude MLP.</summary>
    public HarmonicPlusNoiseConfig Additive => HarmonicPlusNoiseConfig.MatchedTo(Newt);

    /// <summary>Parameters per model name.</summary>
    public IReadOnlyDictionary<string, long> Parameters => new Dictionary<string, long>
    {
        [NewtExperiment.NewtName] = Newt.ParameterCount, [NewtExperiment.AdditiveName] = Additive.ParameterCount,
        [NewtExperiment.NoShaperName] = NoShaper.ParameterCount,
    };

    /// <summary>(training, validation, held-out) pitches in Hz.</summary>
    public (double[] Training, double[] Validation, double[] HeldOut) Pitches()
    {
        var training = HarmonicNotes.SpreadPitches(TrainingNotes, LowestPitch, HighestPitch);
        var random = new Random(DataSeed);
        var taken = training.ToList();
        double[] Draw(int count) => Enumerable.Range(0, count).Select(_ =>
        {
            double p = HarmonicNotes.RandomPitch(random, LowestPitch, HighestPitch, taken, 0.5);
            taken.Add(p);
            return p;
        }).ToArray();
        var validation = Draw(ValidationNotes);
        return (training, validation, Draw(HeldOutNotes));
    }

    /// <summary>A new synthesiser of the given model name.</summary>
    public Module Create(string name, Device device) => name switch
    {
        NewtExperiment.NewtName => new NeuralWaveshaping(Newt, device: device),
        NewtExperiment.NoShaperName => new NeuralWaveshaping(NoShaper, device: device),
        NewtExperiment.AdditiveName => new HarmonicPlusNoise(Additive, device: device),
        _ => throw new ArgumentException($"unknown model {name}", nameof(name)),
    };
}

/// <summary>What the NEWT notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">Parameters per model.</param>
/// <param name="Sweep">First seed: validation distance per model and learning rate.</param>
/// <param name="Chosen">The learning rate chosen per model.</param>
/// <param name="HeldOutStft">Held-out multi-resolution STFT distance per model, over seeds.</param>
/// <param name="UntrainedStft">The NEWT's held-out distance at initialisation, per seed.</param>
/// <param name="PatternError">Harmonic pattern error (dB, mean over the first harmonics and the held-out notes) per model, over seeds.</param>
/// <param name="PatternErrorPerHarmonic">Per model, the pattern error of every harmonic, mean over seeds and notes.</param>
/// <param name="SamplesPerSecond">Generated samples per second of wall time per model (one thread, alternating).</param>
/// <param name="Example">The held-out note drawn below.</param>
/// <param name="Target">Its waveform.</param>
/// <param name="Generated">First seed: its waveform from every model.</param>
/// <param name="TargetPattern">Its harmonic pattern (dB per frame and harmonic).</param>
/// <param name="GeneratedPattern">The first seed's NEWT's harmonic pattern of it.</param>
/// <param name="ShaperInputs">First seed's NEWT: for each plotted shaper, inputs spanning the range it sees on the example.</param>
/// <param name="ShaperOutputs">The transfer curves f_j at those inputs.</param>
/// <param name="ShaperIndices">Which shapers are plotted (largest output weight first).</param>
public sealed record NewtOutcome(NewtSettings Settings, IReadOnlyDictionary<string, long> Parameters,
    IReadOnlyDictionary<string, IReadOnlyDictionary<double, double>> Sweep, IReadOnlyDictionary<string, double> Chosen,
    IReadOnlyDictionary<string, SeedSummary> HeldOutStft, SeedSummary UntrainedStft, IReadOnlyDictionary<string, SeedSummary> PatternError,
    IReadOnlyDictionary<string, double[]> PatternErrorPerHarmonic, IReadOnlyDictionary<string, double> SamplesPerSecond, string Example,
    float[] Target, IReadOnlyDictionary<string, float[]> Generated, double[][] TargetPattern, double[][] GeneratedPattern,
    double[][] ShaperInputs, double[][] ShaperOutputs, int[] ShaperIndices);

/// <summary>
/// Hayes, Saitis &amp; Fazekas (2021), "Neural Waveshaping Synthesis" — the experiment of notebooks/audio/newt.ipynb. A
/// <see cref="NeuralWaveshaping"/> synthesiser, the DDSP additive <see cref="HarmonicPlusNoise"/> baseline and the same NEWT
/// without shapers (control), parameter-matched, learn a SoX plucked string with tremolo (<see cref="InstrumentNotes"/>) from F0
/// and loudness extracted from the audio, with the multi-resolution STFT loss, the same crops, steps and learning-rate sweep.
/// Held out: notes at pitches no training note has. Metrics: <c>seed{n}/synth/{model@lr}/loss</c> per step and
/// <c>…/val_stft</c>.
/// </summary>
public sealed class NewtExperiment : IExperiment
{
    /// <summary>The NEWT's name in metrics and outcomes.</summary>
    public const string NewtName = "newt";

    /// <summary>The additive baseline's name.</summary>
    public const string AdditiveName = "additive";

    /// <summary>The control's name.</summary>
    public const string NoShaperName = "no-shaper";

    private readonly Func<Scale, NewtSettings> _settings;

    /// <summary>The experiment with <see cref="NewtSettings.For"/>'s sizes.</summary>
    public NewtExperiment() : this(NewtSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public NewtExperiment(Func<Scale, NewtSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "newt";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "Neural waveshaping synthesis (Hayes, Saitis & Fazekas, 2021)";

    /// <inheritdoc />
    public string? Narrower => "one SoX plucked-string timbre at 8 kHz instead of URMP instruments at 16 kHz, a 20k-parameter model, multi-resolution " +
        "STFT distance and harmonic levels instead of listening tests and FAD";

    /// <inheritdoc />
    public string Claim => "on held-out pitches of a SoX plucked string with tremolo, a NEWT synthesiser learned from F0 and loudness " +
        "reaches a multi-resolution STFT distance at most half its initial one and at most 1.1× a parameter-matched DDSP additive " +
        "synthesiser's (competitive); its harmonic levels match the target's within 3 dB (first 10 harmonics); the same network without " +
        "shapers is at least 1.1× worse; it generates faster than real time on one thread; every one of 5 seeds " +
        "(smoke: 8 steps, distance at most 0.95× the initial one, real time)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        int sr = s.Newt.SampleRate, hop = s.Newt.Hop;
        var (trainingPitches, validationPitches, heldOutPitches) = s.Pitches();
        var training = new InstrumentNotes(trainingPitches, s.Seconds, sr, hop);
        var validation = new InstrumentNotes(validationPitches, s.Seconds, sr, hop);
        var heldOut = new InstrumentNotes(heldOutPitches, s.Seconds, sr, hop);
        var stft = new MultiResolutionStftLoss();
        var names = new[] { NewtName, AdditiveName, NoShaperName };
        var parameters = s.Parameters;
        context.Run.AddHyperparameters(new
        {
            newt = s.Newt.ToString(), additive = s.Additive.ToString(), no_shaper = s.NoShaper.ToString(), parameters, s.Seconds,
            training = trainingPitches, validation = validationPitches, held_out = heldOutPitches, s.Steps, s.Batch, s.CropFrames,
            learning_rates = s.LearningRates, s.Seeds,
        });
        foreach (var (name, count) in parameters) context.Run.Log($"{name}: {count} parameters");

        float[] Generate(Module net, InstrumentNote note) => Render(net, heldOut, note, device, s.DataSeed);
        double Distance(Module net, InstrumentNotes notes) => notes.Notes.Average(n =>
        {
            using var scope = NewScope();
            using var noGrad = NoGrad();
            return (double)stft.Forward(Tensor.From(Render(net, notes, n, device, s.DataSeed)), Tensor.From(n.Wave)).Item<float>();
        });

        var seeds = context.Seeds(s.Seeds);
        var untrained = seeds.Select(seed =>
        {
            ManualSeed(seed + 1);
            using var net = s.Create(NewtName, device);
            return Distance(net, heldOut);
        }).ToArray();
        var kept = new Dictionary<ulong, Dictionary<string, Module>>();
        try
        {
            var tuning = LearningRateTuning.Run(names, s.LearningRates, seeds, (seed, runs) =>
            {
                kept[seed] = new Dictionary<string, Module>();
                return SideBySideTraining.Train(context, seed, runs, "synth", s.Steps, Math.Max(1, s.Steps / 4),
                    create: name => s.Create(name, device),
                    batchFor: (_, stepSeed) =>
                    {
                        ManualSeed(stepSeed);                                // noise and phases of this step (evaluation reseeds)
                        var (f0, loud, wave) = training.Crops(new Random((int)(stepSeed % int.MaxValue)), s.Batch, s.CropFrames, device);
                        return new TaskBatch(Tensor.Stack([f0, loud], 1), wave);
                    },
                    loss: (net, batch) => stft.Forward(((IControlledSynth)net).Forward(batch.Inputs.Select(1, 0), batch.Inputs.Select(1, 1)),
                        batch.Targets),
                    evaluate: net => ("val_stft", Distance(net, validation)),
                    score: net => (Distance(net, validation), Distance(net, heldOut)),
                    keep: kept[seed]);
            }, higherIsBetter: false);

            var trainedModels = seeds.Select(seed => names.ToDictionary(n => n, n => kept[seed][SideBySideTraining.ConfigName(n, tuning.Chosen[n])]))
                .ToArray();
            var targetAmplitudes = heldOut.Notes.Select(n => HarmonicAmplitudes.Measure(n.Wave, n.Pitch, sr, s.PatternHarmonics)).ToArray();
            double[] PerHarmonic(Module net) => Enumerable.Range(0, s.PatternHarmonics).Select(k => heldOut.Notes.Select((n, i) =>
                HarmonicAmplitudes.PatternErrorDb(targetAmplitudes[i], HarmonicAmplitudes.Measure(Generate(net, n), n.Pitch, sr, s.PatternHarmonics))[k])
                .Average()).ToArray();
            var perHarmonic = trainedModels.Select(models => models.ToDictionary(kv => kv.Key, kv => PerHarmonic(kv.Value))).ToArray();
            var pattern = names.ToDictionary(n => n, n => new SeedSummary(perHarmonic.Select(p => p[n].Average())));
            var patternCurve = names.ToDictionary(n => n, n => Enumerable.Range(0, s.PatternHarmonics).Select(k => perHarmonic.Average(p => p[n][k])).ToArray());

            var first = trainedModels[0];
            var speeds = Speeds(s, first, heldOut, names, device);
            var example = heldOut.Notes[0];
            var generated = names.ToDictionary(n => n, n => Generate(first[n], example));
            var (inputs, outputs, indices) = Curves((NeuralWaveshaping)first[NewtName], heldOut, example, device, s.DataSeed);

            var distance = tuning.Test;
            var untrainedSummary = new SeedSummary(untrained);
            SeedSummary Ratio(SeedSummary a, SeedSummary b) => new(a.Values.Zip(b.Values, (x, y) => x / y));
            double realTime = speeds[NewtName] / sr;
            var check = new ClaimCheck().AtMost("held-out STFT distance, NEWT trained ÷ untrained", Ratio(distance[NewtName], untrainedSummary),
                s.MaxTrainedRatio, format: "F3");
            if (s.MaxAdditiveRatio > 0)
                check.AtMost("held-out STFT distance, NEWT ÷ additive (DDSP) baseline", Ratio(distance[NewtName], distance[AdditiveName]),
                    s.MaxAdditiveRatio, format: "F3");
            if (s.MaxPatternErrorDb > 0)
                check.AtMost($"harmonic pattern error of NEWT, first {s.PatternHarmonics} harmonics (dB)", pattern[NewtName], s.MaxPatternErrorDb,
                    format: "F2");
            if (s.MinControlRatio > 0)
                check.AtLeast("held-out STFT distance, no-shaper control ÷ NEWT", Ratio(distance[NoShaperName], distance[NewtName]),
                    s.MinControlRatio, format: "F3");
            check.AtLeast("NEWT generated samples/s ÷ sample rate (one thread)", realTime, s.MinRealTime, format: "F1");

            var metrics = new Dictionary<string, double> { ["newt/untrained_stft"] = untrainedSummary.Mean, ["newt/real_time"] = realTime };
            foreach (var n in names)
            {
                metrics[$"{n}/heldout_stft"] = distance[n].Mean;
                metrics[$"{n}/heldout_stft_spread"] = distance[n].Spread;
                metrics[$"{n}/pattern_db"] = pattern[n].Mean;
                metrics[$"{n}/parameters"] = parameters[n];
                metrics[$"{n}/samples_per_s"] = speeds[n];
                metrics[$"{n}/lr"] = tuning.Chosen[n];
            }
            var outcome = new NewtOutcome(s, parameters, tuning.Sweep, tuning.Chosen, distance, untrainedSummary, pattern, patternCurve, speeds,
                example.Name, example.Wave, generated, HarmonicAmplitudes.PatternDb(targetAmplitudes[0]),
                HarmonicAmplitudes.PatternDb(HarmonicAmplitudes.Measure(generated[NewtName], example.Pitch, sr, s.PatternHarmonics)),
                inputs, outputs, indices);
            return check.Result(metrics, null, outcome);
        }
        finally
        {
            foreach (var models in kept.Values)
                foreach (var net in models.Values) net.Dispose();
        }
    }

    /// <summary>The synthesiser's waveform for a whole note (no gradient; noise and phases from <paramref name="seed"/>).</summary>
    public static float[] Render(Module net, InstrumentNotes notes, InstrumentNote note, Device device, int seed)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        ManualSeed((ulong)seed);
        var (f0, loud, _) = notes.Whole(note, device);
        return ((IControlledSynth)net).Forward(f0, loud).Squeeze(0).Float().To(Device.CPU).ToArray<float>();
    }

    /// <summary>
    /// Samples per second of wall time on one thread for every model rendering the longest held-out note, timed alternately
    /// (<see cref="AlternatingTimer"/>, median).
    /// </summary>
    public static IReadOnlyDictionary<string, double> Speeds(NewtSettings s, IReadOnlyDictionary<string, Module> models, InstrumentNotes notes,
        string[] names, Device device)
    {
        using var threads = ThreadLimit.To(1);
        var note = notes.Notes.MaxBy(n => n.Frames)!;
        var ms = AlternatingTimer.MedianMilliseconds(names.Select(n => (Action)(() => Render(models[n], notes, note, device, s.DataSeed))).ToArray(),
            s.TimingRepeats);
        return names.Select((n, i) => (n, note.Wave.Length / (ms[i] / 1000))).ToDictionary(x => x.n, x => x.Item2);
    }

    /// <summary>
    /// The transfer curves of the six shapers with the largest output weight |m_j| (all when fewer), each on 200 inputs spanning
    /// the range (1st to 99th percentile) its input takes while rendering <paramref name="note"/>.
    /// </summary>
    public static (double[][] Inputs, double[][] Outputs, int[] Indices) Curves(NeuralWaveshaping net, InstrumentNotes notes, InstrumentNote note,
        Device device, int seed)
    {
        using var scope = NewScope();
        ManualSeed((ulong)seed);
        var (f0, loud, _) = notes.Whole(note, device);
        var x = net.ShaperInputs(f0, loud).Squeeze(0).To(Device.CPU).Double();                             // [n, T]
        var weights = net.Newt.Mixer.Weight.Detach().Flatten().To(Device.CPU).Double().ToArray<double>();
        var indices = Enumerable.Range(0, weights.Length).OrderByDescending(j => Math.Abs(weights[j])).Take(6).ToArray();
        var grid = indices.Select(j =>
        {
            var row = x.Select(0, j).ToArray<double>().OrderBy(v => v).ToArray();
            double lo = row[(int)(0.01 * (row.Length - 1))], hi = row[(int)(0.99 * (row.Length - 1))];
            return Enumerable.Range(0, 200).Select(i => lo + (hi - lo) * i / 199.0).ToArray();
        }).ToArray();
        var all = new double[weights.Length][];
        for (int j = 0; j < all.Length; j++) all[j] = Array.IndexOf(indices, j) is var i and >= 0 ? grid[i] : new double[200];
        var input = Tensor.From(all.SelectMany(r => r).Select(v => (float)v).ToArray(), all.Length, 200).To(device);
        var curves = net.Newt.Shaper!.Curves(input).To(Device.CPU).Double();
        return (grid, indices.Select(j => curves.Select(0, j).ToArray<double>()).ToArray(), indices);
    }
}
