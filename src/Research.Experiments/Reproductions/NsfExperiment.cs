using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the NSF experiment at one scale.</summary>
/// <param name="Model">The NSF vocoder; the control is the same network with <see cref="NsfConfig.SineExcitation"/> off.</param>
/// <param name="NFft">FFT size of the log-mel features (and of Griffin-Lim).</param>
/// <param name="Steps">Adam steps for each network.</param>
/// <param name="Batch">Training crops per step.</param>
/// <param name="CropFrames">Frames per training crop.</param>
/// <param name="LearningRate">Peak Adam learning rate of both networks (warm-up, cosine decay to a tenth; the same, not tuned for either).</param>
/// <param name="Seeds">Seeds (initialisation, training crops and noise; the data stay the same).</param>
/// <param name="TrainingVoices">How many of <see cref="Speech.Voices"/> (from the first) read the training sentences.</param>
/// <param name="TrainingSentences">How many of <see cref="SpeechToneMixtures.TrainingSentences"/> train.</param>
/// <param name="HeldOutVoices">How many of the training voices read the held-out sentences.</param>
/// <param name="HeldOutSentences">How many of <see cref="SpeechToneMixtures.HeldOutSentences"/> are held out.</param>
/// <param name="GriffinLimIterations">Projections of the Griffin-Lim baseline.</param>
/// <param name="TimingSamples">Samples the autoregressive WaveNet generates for the speed comparison.</param>
/// <param name="TimingRepeats">Alternating rounds of the speed comparison.</param>
/// <param name="MinSpeedup">NSF samples per second over WaveNet's must be at least this.</param>
/// <param name="MaxStftRatio">NSF's held-out spectral distance over the noise-only control's must be at most this (every seed; 0: not checked).</param>
/// <param name="MaxGpe">NSF's held-out gross pitch error must be at most this (0: not checked).</param>
/// <param name="MaxGpeRatio">NSF's gross pitch error over the control's must be at most this (0: not checked).</param>
/// <param name="CheckGriffinLim">Whether NSF's spectral distance must be below Griffin-Lim's.</param>
/// <param name="DataSeed">Seed of the evaluation noise.</param>
public sealed record NsfSettings(NsfConfig Model, int NFft, int Steps, int Batch, int CropFrames, double LearningRate, int Seeds,
    int TrainingVoices, int TrainingSentences, int HeldOutVoices, int HeldOutSentences, int GriffinLimIterations, int TimingSamples,
    int TimingRepeats, double MinSpeedup, double MaxStftRatio, double MaxGpe, double MaxGpeRatio, bool CheckGriffinLim, int DataSeed = 2019)
{
    /// <summary>
    /// smoke: 1 block × 4 layers of 8 channels, 2 voices × 2 sentences, 30 steps, one seed; cpu: 3 blocks × 6 layers of 16
    /// channels, 6 voices × 8 sentences, 400 steps of 4 × 0.3 s, 3 seeds; gpu: 5 blocks × 10 layers of 64 channels, 5000
    /// steps of 16 × 1 s, 5 seeds. All at 8 kHz with 10 ms frames.
    /// </summary>
    public static NsfSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new NsfConfig(Harmonics: 32, Channels: 8, ConditionChannels: 8, Blocks: 1, LayersPerBlock: 4), NFft: 256, Steps: 30,
            Batch: 2, CropFrames: 20, LearningRate: 3e-3, Seeds: 1, TrainingVoices: 2, TrainingSentences: 2, HeldOutVoices: 1,
            HeldOutSentences: 1, GriffinLimIterations: 16, TimingSamples: 100, TimingRepeats: 1, MinSpeedup: 10, MaxStftRatio: 0, MaxGpe: 0,
            MaxGpeRatio: 0.5, CheckGriffinLim: false),
        Scale.Cpu => new(new NsfConfig(Harmonics: 32), NFft: 256, Steps: 400, Batch: 4, CropFrames: 30, LearningRate: 3e-3, Seeds: 3,
            TrainingVoices: 6, TrainingSentences: 8, HeldOutVoices: 3, HeldOutSentences: 3, GriffinLimIterations: 32, TimingSamples: 400,
            TimingRepeats: 3, MinSpeedup: 100, MaxStftRatio: 0.9, MaxGpe: 0.3, MaxGpeRatio: 0.5, CheckGriffinLim: true),
        _ => new(new NsfConfig(Harmonics: 32, Channels: 64, ConditionChannels: 64, Blocks: 5, LayersPerBlock: 10), NFft: 256, Steps: 5000, Batch: 16,
            CropFrames: 100, LearningRate: 1e-3, Seeds: 5, TrainingVoices: 6, TrainingSentences: 8, HeldOutVoices: 6, HeldOutSentences: 3,
            GriffinLimIterations: 64, TimingSamples: 1000, TimingRepeats: 5, MinSpeedup: 100, MaxStftRatio: 0.9, MaxGpe: 0.3,
            MaxGpeRatio: 0.5, CheckGriffinLim: true),
    };

    /// <summary>The control: the same network and parameters, excited by noise only.</summary>
    public NsfConfig NoiseOnly => Model with { SineExcitation = false };

    /// <summary>The two networks by name, NSF first.</summary>
    public (string Name, NsfConfig Config)[] Models => [(NsfExperiment.NsfName, Model), (NsfExperiment.NoiseOnlyName, NoiseOnly)];

    /// <summary>The training utterances: the first voices, each reading the training sentences.</summary>
    public (int Voice, int Sentence)[] Training =>
        Enumerable.Range(0, TrainingVoices).SelectMany(v => SpeechToneMixtures.TrainingSentences.Take(TrainingSentences).Select(s => (v, s))).ToArray();

    /// <summary>The held-out utterances: sentences no training utterance contains, read by training voices.</summary>
    public (int Voice, int Sentence)[] HeldOut =>
        SpeechToneMixtures.HeldOutSentences.Take(HeldOutSentences).SelectMany(s => Enumerable.Range(0, HeldOutVoices).Select(v => (v, s))).ToArray();

    /// <summary>
    /// The autoregressive WaveNet of the speed comparison: <see cref="NsfConfig.Channels"/> residual and gate channels, twice as
    /// many skip and head channels, and the blocks × layers whose parameter count is closest to the NSF's.
    /// </summary>
    public WaveNetConfig WaveNet
    {
        get
        {
            int r = Model.Channels;
            var basis = new WaveNetConfig(ResidualChannels: r, GateChannels: r, SkipChannels: 2 * r, HeadChannels: 2 * r);
            return Enumerable.Range(1, 8).SelectMany(b => Enumerable.Range(1, 10).Select(l => basis with { Blocks = b, LayersPerBlock = l }))
                .MinBy(c => Math.Abs(c.ParameterCount - Model.ParameterCount))!;
        }
    }
}

/// <summary>What the NSF notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="HeldOutStft">Multi-resolution STFT distance on the held-out utterances per network, over seeds.</param>
/// <param name="HeldOutGpe">Gross pitch error on the held-out utterances per network, over seeds.</param>
/// <param name="GriffinLimStft">Griffin-Lim's held-out multi-resolution STFT distance.</param>
/// <param name="GriffinLimGpe">Griffin-Lim's held-out gross pitch error.</param>
/// <param name="NsfSamplesPerSecond">NSF: generated samples per second of wall time (one parallel pass).</param>
/// <param name="WaveNetSamplesPerSecond">The autoregressive WaveNet: generated samples per second.</param>
/// <param name="Example">The name of the held-out utterance below.</param>
/// <param name="Target">Its recorded waveform.</param>
/// <param name="Generated">First seed: its waveform from each network and from Griffin-Lim.</param>
/// <param name="TargetF0">Its F0 per frame (the input of the vocoders).</param>
/// <param name="GeneratedF0">F0 tracked in each generated waveform.</param>
public sealed record NsfOutcome(NsfSettings Settings, IReadOnlyDictionary<string, SeedSummary> HeldOutStft,
    IReadOnlyDictionary<string, SeedSummary> HeldOutGpe, double GriffinLimStft, double GriffinLimGpe, double NsfSamplesPerSecond,
    double WaveNetSamplesPerSecond, string Example, float[] Target, IReadOnlyDictionary<string, float[]> Generated, double[] TargetF0,
    IReadOnlyDictionary<string, double[]> GeneratedF0)
{
    /// <summary>Frame times in seconds of <see cref="TargetF0"/>.</summary>
    public double[] FrameTimes => Enumerable.Range(0, TargetF0.Length)
        .Select(f => (f + 0.5) * Settings.Model.Hop / Settings.Model.SampleRate).ToArray();
}

/// <summary>
/// Wang, Takaki &amp; Yamagishi (2019), "Neural source-filter-based waveform model for statistical parametric speech synthesis"
/// — the experiment of notebooks/audio/nsf.ipynb. A <see cref="NeuralSourceFilter"/> vocoder and the same network excited by
/// noise only (the paper's ablation of the sine source) learn espeak-ng speech at 8 kHz from log-mel frames and tracked F0,
/// on the same crops, steps and learning rate, with the multi-resolution STFT loss; Griffin-Lim from the same log-mel is the
/// untrained baseline. Held-out: sentences no training utterance contains. Speed: NSF's one parallel pass against a
/// parameter-matched autoregressive <see cref="WaveNet"/> sampling one sample at a time (alternating timings, one thread).
/// Metrics: <c>seed{n}/vocoder/{network}/loss</c> per step and <c>…/heldout_stft</c>.
/// </summary>
public sealed class NsfExperiment : IExperiment
{
    /// <summary>The NSF vocoder's name in metrics and outcomes.</summary>
    public const string NsfName = "nsf";

    /// <summary>The control's name.</summary>
    public const string NoiseOnlyName = "noise-only";

    /// <summary>The untrained baseline's name in <see cref="NsfOutcome.Generated"/>.</summary>
    public const string GriffinLimName = "Griffin-Lim";

    private readonly Func<Scale, NsfSettings> _settings;

    /// <summary>The experiment with <see cref="NsfSettings.For"/>'s sizes.</summary>
    public NsfExperiment() : this(NsfSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public NsfExperiment(Func<Scale, NsfSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "nsf";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "Neural source-filter waveform model (Wang, Takaki & Yamagishi, 2019)";

    /// <inheritdoc />
    public string? Narrower => "espeak-ng speech at 8 kHz from natural log-mel and tracked F0 (copy synthesis), 3 blocks of 16 channels, " +
        "spectral distance and pitch error instead of listening tests, an untrained WaveNet for the speed comparison";

    /// <inheritdoc />
    public string Claim => "on held-out espeak sentences, an NSF vocoder (sine source + dilated-conv filter, multi-resolution STFT loss) " +
        "generates samples at least 100× faster than a parameter-matched autoregressive WaveNet; its spectral distance is at most 0.9× " +
        "that of the same network excited by noise only and below Griffin-Lim's from the same mel; its gross pitch error is at most " +
        "0.3 and at most half the noise-only control's; every one of 3 seeds (smoke: 30 steps, speed-up ≥ 10, pitch error at most half the control's)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var m = s.Model;
        var device = context.Device;
        var training = new VocoderCorpus(s.Training, m.SampleRate, m.Hop, s.NFft, m.MelBands);
        var heldOut = new VocoderCorpus(s.HeldOut, m.SampleRate, m.Hop, s.NFft, m.MelBands);
        var (melMean, melStd) = training.LogMelStatistics();
        var stft = new MultiResolutionStftLoss();
        var tracker = new PitchTracker(m.SampleRate, m.Hop);
        context.Run.AddHyperparameters(new
        {
            model = m.ToString(), parameters = m.ParameterCount, wavenet = s.WaveNet.ToString(), wavenet_parameters = s.WaveNet.ParameterCount,
            s.NFft, s.Steps, s.Batch, s.CropFrames, lr = s.LearningRate, s.Seeds, training = training.Utterances.Count,
            held_out = heldOut.Utterances.Count, mel_mean = melMean, mel_std = melStd, s.MinSpeedup, s.MaxStftRatio, s.MaxGpe, s.MaxGpeRatio,
        });
        context.Run.Log($"NSF: {m.ParameterCount} parameters; WaveNet for timing: {s.WaveNet.ParameterCount} parameters");

        Tensor Standardised(Tensor logMel) => (logMel - melMean) / melStd;
        Tensor Vocode(NeuralSourceFilter net, Tensor logMel, Tensor f0)
        {
            using var scope = NewScope();
            using var noGrad = NoGrad();
            return scope.Keep(net.Forward(Standardised(logMel), f0));
        }
        (double Stft, double Gpe, float[][] Waves) Evaluate(Func<Tensor, Tensor, long, Tensor> vocoder)
        {
            ManualSeed((ulong)s.DataSeed);
            double distance = 0, gpe = 0;
            var waves = new List<float[]>();
            foreach (var u in heldOut.Utterances)
                using (NewScope())
                {
                    var (mel, f0, wave) = heldOut.Whole(u, device);
                    var output = vocoder(mel, f0, wave.Size(1));
                    using (NoGrad()) distance += stft.Forward(output, wave).Item<float>();
                    var samples = output.Squeeze(0).Float().To(Device.CPU).ToArray<float>();
                    gpe += PitchTracker.GrossPitchError(u.F0, tracker.Track(samples));
                    waves.Add(samples);
                }
            int n = heldOut.Utterances.Count;
            return (distance / n, gpe / n, waves.ToArray());
        }

        var griffinLim = Evaluate((mel, _, length) => GriffinLim.FromLogMel(mel, m.SampleRate, s.NFft, m.Hop, length, s.GriffinLimIterations));
        context.Run.Log(string.Create(CultureInfo.InvariantCulture, $"Griffin-Lim: held-out STFT {griffinLim.Stft:F3}, GPE {griffinLim.Gpe:F3}"));

        var configs = s.Models.ToDictionary(x => x.Name, x => x.Config);
        var seeds = context.Seeds(s.Seeds);
        var distances = configs.Keys.ToDictionary(n => n, _ => new List<double>());
        var pitchErrors = configs.Keys.ToDictionary(n => n, _ => new List<double>());
        var generated = new Dictionary<string, float[]> { [GriffinLimName] = griffinLim.Waves[0] };
        double nsfRate = 0, waveNetRate = 0;
        foreach (var seed in seeds)
        {
            var nets = configs.ToDictionary(kv => kv.Key, kv => { ManualSeed(seed + 1); return new NeuralSourceFilter(kv.Value, device: device); });
            try
            {
                TrainSeed(context, s, (int)(seed - context.Seed), seed, nets, training, stft, Standardised,
                    net => Evaluate((mel, f0, _) => Vocode(net, mel, f0)).Stft);
                foreach (var (name, net) in nets)
                {
                    var (distance, gpe, waves) = Evaluate((mel, f0, _) => Vocode(net, mel, f0));
                    distances[name].Add(distance);
                    pitchErrors[name].Add(gpe);
                    if (seed == seeds[0]) generated[name] = waves[0];
                }
                if (seed == seeds[0]) (nsfRate, waveNetRate) = Speeds(s, nets[NsfName], heldOut, melMean, melStd, device);
            }
            finally
            {
                foreach (var net in nets.Values) net.Dispose();
            }
        }

        var stftSummary = distances.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value));
        var gpeSummary = pitchErrors.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value));
        SeedSummary Ratio(IReadOnlyList<double> a, IReadOnlyList<double> b) => new(a.Zip(b, (x, y) => x / y));
        double speedup = nsfRate / waveNetRate;
        var check = new ClaimCheck().AtLeast("NSF samples/s ÷ autoregressive WaveNet samples/s", speedup, s.MinSpeedup, format: "F0");
        if (s.MaxStftRatio > 0)
            check.AtMost("held-out STFT distance, NSF ÷ noise-only control", Ratio(distances[NsfName], distances[NoiseOnlyName]), s.MaxStftRatio,
                format: "F3");
        if (s.CheckGriffinLim)
            check.AtMost("held-out STFT distance, NSF ÷ Griffin-Lim", Ratio(distances[NsfName], distances[NsfName].Select(_ => griffinLim.Stft).ToArray()),
                1.0, format: "F3");
        if (s.MaxGpe > 0) check.AtMost("held-out gross pitch error, NSF", gpeSummary[NsfName], s.MaxGpe, format: "F3");
        if (s.MaxGpeRatio > 0)
            check.AtMost("held-out gross pitch error, NSF ÷ noise-only control", Ratio(pitchErrors[NsfName], pitchErrors[NoiseOnlyName]),
                s.MaxGpeRatio, format: "F3");

        var metrics = new Dictionary<string, double>
        {
            ["parameters"] = m.ParameterCount, ["wavenet_parameters"] = s.WaveNet.ParameterCount, ["nsf_samples_per_s"] = nsfRate,
            ["wavenet_samples_per_s"] = waveNetRate, ["speedup"] = speedup, ["griffin_lim/heldout_stft"] = griffinLim.Stft,
            ["griffin_lim/heldout_gpe"] = griffinLim.Gpe,
        };
        foreach (var name in configs.Keys)
        {
            metrics[$"{name}/heldout_stft"] = stftSummary[name].Mean;
            metrics[$"{name}/heldout_stft_spread"] = stftSummary[name].Spread;
            metrics[$"{name}/heldout_gpe"] = gpeSummary[name].Mean;
            metrics[$"{name}/heldout_gpe_spread"] = gpeSummary[name].Spread;
        }
        var example = heldOut.Utterances[0];
        var outcome = new NsfOutcome(s, stftSummary, gpeSummary, griffinLim.Stft, griffinLim.Gpe, nsfRate, waveNetRate, example.Name,
            example.Wave, generated, example.F0, generated.ToDictionary(kv => kv.Key, kv => tracker.Track(kv.Value)));
        return check.Result(metrics, null, outcome);
    }

    /// <summary>
    /// Trains the networks of one seed side by side on the same crops (drawn from the step's seed): Adam with a warm-up and
    /// cosine decay to a tenth of <see cref="NsfSettings.LearningRate"/>, gradients clipped to norm 1, the same for both.
    /// Records <c>seed{n}/vocoder/{network}/loss</c> per step and <c>…/heldout_stft</c> four times.
    /// </summary>
    private static void TrainSeed(ExperimentContext context, NsfSettings s, int index, ulong seed, Dictionary<string, NeuralSourceFilter> nets,
        VocoderCorpus training, MultiResolutionStftLoss stft, Func<Tensor, Tensor> standardised, Func<NeuralSourceFilter, double> heldOut)
    {
        var optimizers = nets.ToDictionary(kv => kv.Key, kv => new Adam(kv.Value.Parameters(), lr: s.LearningRate));
        try
        {
            var state = new TensorState();
            foreach (var (name, net) in nets) state.Add(name, new ModuleState(net, optimizers[name]));
            var trainer = new Trainer(new TrainerOptions
            {
                MaxSteps = s.Steps,
                LearningRate = LearningRates.WarmupCosine(s.LearningRate, s.Steps / 20, s.Steps, s.LearningRate / 10),
                EvalEvery = Math.Max(1, s.Steps / 4),
                Seed = seed,
                Cancellation = context.Cancellation,
            });
            if (index == 0) trainer.Callbacks.AddRange(context.Callbacks);
            trainer.Fit(state, ctx =>
            {
                var (mel, f0, wave) = training.Crops(new Random((int)(ctx.Seed % int.MaxValue)), s.Batch, s.CropFrames, context.Device);
                var input = standardised(mel);
                var metrics = new Dictionary<string, double>();
                foreach (var (name, net) in nets)
                {
                    ctx.ApplyLearningRate(optimizers[name]);
                    var loss = stft.Forward(net.Forward(input, f0), wave);
                    optimizers[name].ZeroGrad();
                    loss.Backward();
                    GradClip.ClipGradNorm(net.Parameters(), 1.0);
                    optimizers[name].Step();
                    metrics[$"seed{index}/vocoder/{name}/loss"] = loss.Item<float>();
                }
                return new StepResult(Metrics: metrics);
            }, evaluate: _ => nets.ToDictionary(kv => $"seed{index}/vocoder/{kv.Key}/heldout_stft", kv => heldOut(kv.Value)), run: context.Run);
        }
        finally
        {
            foreach (var o in optimizers.Values) o.Dispose();
        }
    }

    /// <summary>
    /// Samples per second of wall time on one thread: the NSF generating the longest held-out utterance in one pass, and an
    /// untrained parameter-matched WaveNet sampling <see cref="NsfSettings.TimingSamples"/> samples one at a time
    /// (<see cref="WaveNet.Generate"/> with its activation queues), timed alternately (<see cref="AlternatingTimer"/>).
    /// </summary>
    public static (double Nsf, double WaveNet) Speeds(NsfSettings s, NeuralSourceFilter nsf, VocoderCorpus heldOut, double melMean,
        double melStd, Device device)
    {
        using var threads = ThreadLimit.To(1);
        using var scope = NewScope();
        ManualSeed((ulong)s.DataSeed);
        using var waveNet = new WaveNet(s.WaveNet, device: device);
        var longest = heldOut.Utterances.MaxBy(u => u.Frames)!;
        var (mel, f0, wave) = heldOut.Whole(longest, device);
        var input = (mel - melMean) / melStd;
        var ms = AlternatingTimer.MedianMilliseconds(
        [
            () => { using (NewScope()) using (NoGrad()) nsf.Forward(input, f0).Sum().Item<float>(); },
            () => { using (NewScope()) waveNet.Generate(s.TimingSamples, seed: 0).Sum().Item<long>(); },
        ], s.TimingRepeats);
        return (wave.Size(1) / (ms[0] / 1000), s.TimingSamples / (ms[1] / 1000));
    }
}
