using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the Wave-U-Net experiment at one scale.</summary>
/// <param name="SampleRate">Audio sample rate in Hz.</param>
/// <param name="UNet">The Wave-U-Net; the control is the same network with <see cref="WaveUNetConfig.Resample"/> off.</param>
/// <param name="Steps">Adam steps for each network.</param>
/// <param name="Batch">Training mixtures per step.</param>
/// <param name="Crop">Samples per training mixture.</param>
/// <param name="LearningRates">Adam learning rates swept for both networks on the first seed (selected on validation mixtures).</param>
/// <param name="Seeds">Seeds (initialisation and training mixtures; validation and held-out mixtures stay the same).</param>
/// <param name="TrainingVoices">How many of <see cref="SpeechToneMixtures.TrainingVoices"/> train.</param>
/// <param name="TrainingSentences">How many of <see cref="SpeechToneMixtures.TrainingSentences"/> train.</param>
/// <param name="HeldOutVoices">How many of <see cref="SpeechToneMixtures.HeldOutVoices"/> are tested.</param>
/// <param name="HeldOutSentences">How many of <see cref="SpeechToneMixtures.HeldOutSentences"/> are tested.</param>
/// <param name="GridPoints">Points of the tone-frequency grid, odd (even ones train, odd ones, each between two training ones, are held out).</param>
/// <param name="Waveforms">How many of <see cref="SpeechToneMixtures.Waveforms"/> are used.</param>
/// <param name="EvalSeconds">Length of every validation and held-out mixture.</param>
/// <param name="MinImprovementDb">Wave-U-Net's SI-SDR improvement on held-out mixtures must be at least this (dB).</param>
/// <param name="MinGapDb">…and at least this much above the control without resampling (dB; 0: not checked).</param>
/// <param name="DataSeed">Seed of the validation and held-out mixtures (tones, offsets, ratios).</param>
public sealed record WaveUNetSettings(int SampleRate, WaveUNetConfig UNet, int Steps, int Batch, int Crop, double[] LearningRates, int Seeds,
    int TrainingVoices, int TrainingSentences, int HeldOutVoices, int HeldOutSentences, int GridPoints, int Waveforms, double EvalSeconds,
    double MinImprovementDb, double MinGapDb, int DataSeed = 2018)
{
    /// <summary>
    /// smoke: 3 levels of 6·i channels, 2 voices × 2 sentences, sine tones only, 80 steps of 8 × 1024 samples, one seed, no
    /// sweep; cpu: 4 levels of 8·i channels, 6 voices × 8 sentences, 13 training frequencies × 4 waveforms, 400 steps of
    /// 8 × 2048 samples, lr ∈ {1e-3, 3e-3, 1e-2} for both, 3 seeds; gpu: 6 levels of 16·i channels, 5000 steps of 16 × 8192, 5 seeds.
    /// </summary>
    public static WaveUNetSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(8000, new WaveUNetConfig(Levels: 3, BaseChannels: 6), Steps: 80, Batch: 8, Crop: 1024, LearningRates: [3e-3], Seeds: 1,
            TrainingVoices: 2, TrainingSentences: 2, HeldOutVoices: 1, HeldOutSentences: 2, GridPoints: 9, Waveforms: 1, EvalSeconds: 1.0,
            MinImprovementDb: 1.0, MinGapDb: 0),
        Scale.Cpu => new(8000, new WaveUNetConfig(Levels: 4, BaseChannels: 8), Steps: 400, Batch: 8, Crop: 2048, LearningRates: [1e-3, 3e-3, 1e-2],
            Seeds: 3, TrainingVoices: 6, TrainingSentences: 8, HeldOutVoices: 2, HeldOutSentences: 3, GridPoints: 25, Waveforms: 4, EvalSeconds: 2.0,
            MinImprovementDb: 5.0, MinGapDb: 1.0),
        _ => new(8000, new WaveUNetConfig(Levels: 6, BaseChannels: 16), Steps: 5000, Batch: 16, Crop: 8192, LearningRates: [3e-4, 1e-3, 3e-3],
            Seeds: 5, TrainingVoices: 6, TrainingSentences: 8, HeldOutVoices: 2, HeldOutSentences: 3, GridPoints: 25, Waveforms: 4, EvalSeconds: 2.0,
            MinImprovementDb: 5.0, MinGapDb: 1.0),
    };

    /// <summary>The control: the same layers and weights without decimation and interpolation.</summary>
    public WaveUNetConfig NoResampling => UNet with { Resample = false };

    /// <summary>
    /// The networks trained, by name, Wave-U-Net first: both where the gap is checked; Wave-U-Net alone where it is not
    /// (<see cref="MinGapDb"/> 0, the smoke scale), so an unchecked control costs no time.
    /// </summary>
    public (string Name, WaveUNetConfig Config)[] Models => MinGapDb > 0
        ? [(WaveUNetExperiment.UNetName, UNet), (WaveUNetExperiment.ControlName, NoResampling)]
        : [(WaveUNetExperiment.UNetName, UNet)];

    /// <summary>Samples of every validation and held-out mixture (a multiple of 2^L).</summary>
    public int EvalLength => (int)Math.Round(EvalSeconds * SampleRate) / (1 << UNet.Levels) * (1 << UNet.Levels);
}

/// <summary>Validation or held-out mixtures with a name per mixture.</summary>
public sealed record NamedMixtures(SeparationBatch Data, string[] Names) : IDisposable
{
    /// <summary>Frees the tensors.</summary>
    public void Dispose() => Data.Dispose();
}

/// <summary>What the Wave-U-Net notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">Parameter count per network.</param>
/// <param name="ReceptiveFields">Measured receptive field (samples) per network.</param>
/// <param name="Sweep">Validation SI-SDR improvement (dB) per network and learning rate, first seed.</param>
/// <param name="Chosen">The learning rate selected per network.</param>
/// <param name="Improvement">Held-out SI-SDR improvement of the speech (dB, mean over mixtures) per network, over seeds.</param>
/// <param name="IdealMaskImprovement">The oracle ideal ratio mask's held-out improvement (dB).</param>
/// <param name="MixtureSdr">SI-SDR of the speech in each held-out mixture (the mixture as the estimate; dB).</param>
/// <param name="PerMixture">First seed: per network (and "ideal mask") the improvement of each held-out mixture (dB).</param>
/// <param name="Names">A name per held-out mixture (voice, sentence, tones, ratio).</param>
/// <param name="Mixtures">The held-out mixtures.</param>
/// <param name="Speech">The held-out speech (the reference).</param>
/// <param name="Estimates">First seed: per network (and "ideal mask") the speech estimate of each held-out mixture.</param>
public sealed record WaveUNetOutcome(WaveUNetSettings Settings, IReadOnlyDictionary<string, long> Parameters,
    IReadOnlyDictionary<string, int> ReceptiveFields, IReadOnlyDictionary<string, IReadOnlyDictionary<double, double>> Sweep,
    IReadOnlyDictionary<string, double> Chosen, IReadOnlyDictionary<string, SeedSummary> Improvement, double IdealMaskImprovement,
    double[] MixtureSdr, IReadOnlyDictionary<string, double[]> PerMixture, string[] Names, float[][] Mixtures, float[][] Speech,
    IReadOnlyDictionary<string, float[][]> Estimates);

/// <summary>
/// Stoller, Ewert &amp; Dixon (2018), "Wave-U-Net: A Multi-Scale Neural Network for End-to-End Audio Source Separation" — the
/// experiment of notebooks/audio/wave-u-net.ipynb. Speech (espeak-ng) is separated from SoX tones at 8 kHz
/// (<see cref="SpeechToneMixtures"/>) by a <see cref="WaveUNet"/> and by the control, the same network with the same
/// parameters but no decimation and interpolation (every layer at the full rate, a receptive field of a few hundred samples
/// fewer). Both get the same batches, steps and learning-rate sweep (selected on validation mixtures of an unseen sentence);
/// the claim is read on held-out mixtures of unseen voices, sentences and tone frequencies. Metrics per step:
/// <c>seed{n}/separation/{network}@{lr}/loss</c> and <c>…/val_sisdri</c>. The outcome is a <see cref="WaveUNetOutcome"/>.
/// </summary>
public sealed class WaveUNetExperiment : IExperiment
{
    /// <summary>The Wave-U-Net's name in metrics and outcomes.</summary>
    public const string UNetName = "wave-u-net";

    /// <summary>The control's name.</summary>
    public const string ControlName = "no-resampling";

    /// <summary>The oracle's name in <see cref="WaveUNetOutcome.PerMixture"/>.</summary>
    public const string IdealMaskName = "ideal mask";

    private readonly Func<Scale, WaveUNetSettings> _settings;

    /// <summary>The experiment with <see cref="WaveUNetSettings.For"/>'s sizes.</summary>
    public WaveUNetExperiment() : this(WaveUNetSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public WaveUNetExperiment(Func<Scale, WaveUNetSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "wave-u-net";

    /// <inheritdoc />
    public string Family => "audio analysis";

    /// <inheritdoc />
    public string Title => "Wave-U-Net: multi-scale end-to-end source separation (Stoller, Ewert & Dixon, 2018)";

    /// <inheritdoc />
    public string? Narrower => "espeak speech vs SoX tones at 8 kHz instead of singing voice in music, zero-padded convolutions, 4 levels instead of 12, no spectrogram U-Net";

    /// <inheritdoc />
    public string Claim => "separating espeak speech from SoX tones at 8 kHz, on mixtures of unseen voices, sentences and tone frequencies, " +
        "a Wave-U-Net improves the speech's SI-SDR by at least 5 dB over the mixture and by at least 1 dB more than the same network " +
        "(same parameters) without decimation and interpolation, both with the same steps and learning-rate sweep; mean and every one " +
        "of 3 seeds (smoke: one seed, 80 steps, Wave-U-Net alone, improvement ≥ 1 dB)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        int sr = s.SampleRate;
        var pool = new SpeechTonePool(SpeechToneMixtures.TrainingVoices.Take(s.TrainingVoices),
            SpeechToneMixtures.TrainingSentences.Take(s.TrainingSentences), SpeechToneMixtures.TrainingFrequencies(s.GridPoints),
            SpeechToneMixtures.Waveforms.Take(s.Waveforms).ToArray(), sr);
        using var validation = Validation(s, device);
        using var heldOut = HeldOut(s, device);
        var parameters = s.Models.ToDictionary(m => m.Name, m => m.Config.ParameterCount);
        context.Run.AddHyperparameters(new
        {
            sample_rate = sr, unet = s.UNet.ToString(), parameters = parameters[UNetName], s.Steps, s.Batch, s.Crop,
            learning_rates = s.LearningRates, s.Seeds, utterances = pool.Utterances, training_frequencies = pool.Frequencies,
            held_out = heldOut.Names.Length, eval_length = s.EvalLength, min_improvement_db = s.MinImprovementDb, min_gap_db = s.MinGapDb,
        });

        var seeds = context.Seeds(s.Seeds);
        var kept = new Dictionary<string, WaveUNet>();
        var configs = s.Models.ToDictionary(m => m.Name, m => m.Config);
        try
        {
            var tuning = LearningRateTuning.Run(configs.Keys.ToArray(), s.LearningRates, seeds, (seed, runs) =>
                SideBySideTraining.Train(context, seed, runs, "separation", s.Steps, Math.Max(1, s.Steps / 4),
                    create: name => new WaveUNet(configs[name], device: device),
                    batchFor: (_, stepSeed) =>
                    {
                        var batch = pool.Batch(new Random((int)(stepSeed % int.MaxValue)), s.Batch, s.Crop, device);
                        return new TaskBatch(batch.Mixtures, batch.Sources);
                    },
                    loss: (net, batch) => F.MseLoss(net.Forward(batch.Inputs), batch.Targets),
                    evaluate: net => ("val_sisdri", Improvement(net, validation.Data).Average()),
                    score: net => (Improvement(net, validation.Data).Average(), Improvement(net, heldOut.Data).Average()),
                    keep: seed == seeds[0] ? kept : null),
                higherIsBetter: true);

            var first = configs.Keys.ToDictionary(n => n, n => kept[SideBySideTraining.ConfigName(n, tuning.Chosen[n])]);
            using var mixtureSdr = ScaleInvariantSdr.Compute(heldOut.Data.Mixtures.Squeeze(1), heldOut.Data.Sources.Select(1, 0));
            var estimates = first.ToDictionary(kv => kv.Key, kv => Rows(Separate(kv.Value, heldOut.Data.Mixtures)));
            var perMixture = first.ToDictionary(kv => kv.Key, kv => Improvement(kv.Value, heldOut.Data));
            using (NewScope())
            {
                var sources = heldOut.Data.Sources;
                var ideal = IdealRatioMask.Separate(sources.Select(1, 0), sources.Select(1, 1));
                estimates[IdealMaskName] = Rows(ideal);
                perMixture[IdealMaskName] = ScaleInvariantSdr.Improvement(ideal, sources.Select(1, 0), heldOut.Data.Mixtures.Squeeze(1)).ToArray<double>();
            }
            var fields = first.ToDictionary(kv => kv.Key, kv => MeasuredReceptiveField(kv.Value, 4 * 1024));
            foreach (var (name, rf) in fields) context.Run.Log($"{name}: {parameters[name]} parameters, receptive field {rf} samples");

            var improvement = tuning.Test;
            var check = new ClaimCheck().AtLeast("Wave-U-Net SI-SDR improvement on held-out mixtures (dB)", improvement[UNetName],
                s.MinImprovementDb, format: "F2");
            if (s.MinGapDb > 0)
                check.AtLeast("Wave-U-Net − no-resampling control, SI-SDR improvement (dB)", improvement[UNetName].Minus(improvement[ControlName]),
                    s.MinGapDb, format: "F2");
            var metrics = new Dictionary<string, double>
            {
                ["parameters"] = parameters[UNetName], ["ideal_mask_sisdri"] = perMixture[IdealMaskName].Average(),
                ["mixture_sisdr"] = mixtureSdr.Mean().Item<double>(),
            };
            foreach (var name in configs.Keys)
            {
                metrics[$"{name}/sisdri"] = improvement[name].Mean;
                metrics[$"{name}/sisdri_spread"] = improvement[name].Spread;
                metrics[$"{name}/lr"] = tuning.Chosen[name];
                metrics[$"{name}/receptive_field"] = fields[name];
            }
            var outcome = new WaveUNetOutcome(s, parameters, fields, tuning.Sweep, tuning.Chosen, improvement, perMixture[IdealMaskName].Average(),
                mixtureSdr.ToArray<double>(), perMixture, heldOut.Names, Rows(heldOut.Data.Mixtures.Squeeze(1)),
                Rows(heldOut.Data.Sources.Select(1, 0)), estimates);
            return check.Result(metrics, null, outcome);
        }
        finally
        {
            foreach (var net in kept.Values) net.Dispose();
        }
    }

    /// <summary>
    /// Validation mixtures: every training voice speaking <see cref="SpeechToneMixtures.ValidationSentence"/> (unseen in
    /// training) over tones of the training frequencies.
    /// </summary>
    public static NamedMixtures Validation(WaveUNetSettings s, Device? device = null) =>
        Mixtures(s, SpeechToneMixtures.TrainingVoices.Take(s.TrainingVoices).Select(v => (v, SpeechToneMixtures.ValidationSentence)).ToArray(),
            SpeechToneMixtures.TrainingFrequencies(s.GridPoints), 1, s.DataSeed + 1, device);

    /// <summary>
    /// Held-out mixtures: every held-out voice × held-out sentence, twice, over tones of the held-out frequencies (no voice,
    /// sentence or frequency of training), at ratios spread over −6 … 6 dB.
    /// </summary>
    public static NamedMixtures HeldOut(WaveUNetSettings s, Device? device = null) =>
        Mixtures(s, SpeechToneMixtures.HeldOutVoices.Take(s.HeldOutVoices)
                .SelectMany(v => SpeechToneMixtures.HeldOutSentences.Take(s.HeldOutSentences).Select(u => (v, u))).ToArray(),
            SpeechToneMixtures.HeldOutFrequencies(s.GridPoints), 2, s.DataSeed, device);

    private static NamedMixtures Mixtures(WaveUNetSettings s, (int Voice, int Sentence)[] utterances, double[] frequencies, int each, int seed,
        Device? device)
    {
        var random = new Random(seed);
        var tones = new SpeechTonePool([], [], frequencies, SpeechToneMixtures.Waveforms.Take(s.Waveforms).ToArray(), s.SampleRate);
        int length = s.EvalLength, count = utterances.Length * each;
        var pairs = new List<(float[], float[])>();
        var names = new List<string>();
        foreach (var (voice, sentence) in utterances)
        {
            var speech = SpeechToneMixtures.Fit(SpeechToneMixtures.Utterance(voice, sentence, s.SampleRate), length);
            for (int k = 0; k < each; k++)
            {
                double ratio = count == 1 ? 0 : -6 + 12.0 * names.Count / (count - 1);
                var spec = tones.RandomTones(random);
                int offset = random.Next((int)(SpeechToneMixtures.ToneSeconds * s.SampleRate) - length + 1);
                pairs.Add((speech, SpeechToneMixtures.Interference(spec, length, offset, ratio, s.SampleRate, tones.Tone)));
                names.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{Speech.Voices[voice]}, \"{SpeechToneMixtures.Sentences[sentence]}\", {spec}, {ratio:+0.0;-0.0} dB"));
            }
        }
        return new NamedMixtures(SpeechToneMixtures.Stack(pairs, device), names.ToArray());
    }

    /// <summary>The speech estimates [n, T] of mixtures [n, 1, T] (no gradients, evaluation mode).</summary>
    public static Tensor Separate(WaveUNet net, Tensor mixtures)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return scope.Keep(net.Forward(mixtures).Select(1, 0));
    }

    /// <summary>SI-SDR improvement (dB) of the speech estimate of every mixture of <paramref name="data"/>.</summary>
    public static double[] Improvement(WaveUNet net, SeparationBatch data)
    {
        using var scope = NewScope();
        var estimate = Separate(net, data.Mixtures);
        return ScaleInvariantSdr.Improvement(estimate, data.Sources.Select(1, 0), data.Mixtures.Squeeze(1)).ToArray<double>();
    }

    /// <summary>
    /// Input samples that the speech output at the centre of a <paramref name="length"/>-sample input depends on: the span
    /// between the first and last input with a non-zero gradient (float64 copy without the input normalisation, whose RMS
    /// reaches every sample; random input).
    /// </summary>
    public static int MeasuredReceptiveField(WaveUNet net, int length)
    {
        using var scope = NewScope();
        using var copy = new WaveUNet(net.Config with { Normalize = false }, DType.Float64, net.Output.Weight.Device);
        copy.LoadStateDict(net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Double()));
        ManualSeed(0);
        var x = Tensor.RandN([1, 1, length], DType.Float64).To(net.Output.Weight.Device).RequiresGrad_();
        copy.Forward(x).Select(1, 0).Select(1, length / 2).Sum().Backward();
        var g = x.Grad!.Abs().Reshape(-1).ToArray<double>();
        int firstNonZero = Array.FindIndex(g, v => v != 0), last = Array.FindLastIndex(g, v => v != 0);
        return firstNonZero < 0 ? 0 : last - firstNonZero + 1;
    }

    private static float[][] Rows(Tensor waves)
    {
        using var cpu = waves.Float().To(Device.CPU);
        return Enumerable.Range(0, (int)cpu.Size(0)).Select(i => { using var row = cpu.Select(0, i); return row.ToArray<float>(); }).ToArray();
    }
}
