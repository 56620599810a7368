using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the APNet experiment at one scale.</summary>
/// <param name="Model">The APNet vocoder (the control is the same network trained without the phase losses).</param>
/// <param name="SampleRate">Sample rate in Hz.</param>
/// <param name="Steps">Adam steps for each network.</param>
/// <param name="Batch">Training crops per step.</param>
/// <param name="CropFrames">Frames per training crop.</param>
/// <param name="LearningRate">Peak Adam learning rate of both networks (warm-up, cosine decay to a tenth; not tuned).</param>
/// <param name="Seeds">Seeds (initialisation and crops; the data stay the same).</param>
/// <param name="TrainingVoices">How many of <see cref="Speech.Voices"/> read the training sentences.</param>
/// <param name="TrainingSentences">How many of <see cref="SpeechToneMixtures.TrainingSentences"/> train.</param>
/// <param name="HeldOutVoices">How many of the training voices read the held-out sentences.</param>
/// <param name="HeldOutSentences">How many of <see cref="SpeechToneMixtures.HeldOutSentences"/> are held out.</param>
/// <param name="GriffinLimIterations">Projections of the Griffin-Lim baseline.</param>
/// <param name="TimingRepeats">Alternating rounds of the speed comparison.</param>
/// <param name="FullClaim">true: the cpu/gpu claim (Griffin-Lim beaten in spectral distance and SNR, control's phase worse,
/// speed ≥ 0.5× Griffin-Lim's, every seed); false (smoke): the training loss falls at least by <see cref="MinLossDrop"/>.</param>
/// <param name="MinLossDrop">Smoke: first-step loss over the mean of the last tenth of steps must be at least this.</param>
/// <param name="DataSeed">Seed of evaluation.</param>
public sealed record ApNetSettings(APNetConfig Model, int SampleRate, int Steps, int Batch, int CropFrames, double LearningRate, int Seeds,
    int TrainingVoices, int TrainingSentences, int HeldOutVoices, int HeldOutSentences, int GriffinLimIterations, int TimingRepeats,
    bool FullClaim, double MinLossDrop, int DataSeed = 2023)
{
    /// <summary>Weight of the log-amplitude MSE (paper: 45; ratios kept roughly: amplitude : phase : waveform = 1 : 2 : 1).</summary>
    public const double AmplitudeWeight = 1;

    /// <summary>Weight of L_IP + L_GD + L_IAF.</summary>
    public const double PhaseWeight = 2;

    /// <summary>Weight of the multi-resolution STFT distance of the synthesised waveform.</summary>
    public const double WaveformWeight = 1;

    /// <summary>
    /// smoke: 1 block of 16 channels, 2 voices × 2 sentences, 25 steps, one seed; cpu: 3 blocks of 32 channels per branch,
    /// 6 voices × 8 sentences, 1000 steps of 4 × 0.4 s, 5 seeds (the IP margin of a 3-seed run was below twice its spread); gpu: 8 blocks of 128, 5000 steps of 16 × 1 s, 5 seeds.
    /// All at 8 kHz, 10 ms frames, 256-point spectra.
    /// </summary>
    public static ApNetSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new APNetConfig(Channels: 16, Blocks: 1), 8000, Steps: 25, Batch: 2, CropFrames: 20, LearningRate: 3e-3, Seeds: 1,
            TrainingVoices: 2, TrainingSentences: 2, HeldOutVoices: 1, HeldOutSentences: 1, GriffinLimIterations: 32, TimingRepeats: 1,
            FullClaim: false, MinLossDrop: 1.3),
        Scale.Cpu => new(new APNetConfig(Channels: 32, Blocks: 3), 8000, Steps: 1000, Batch: 4, CropFrames: 40, LearningRate: 3e-3, Seeds: 5,
            TrainingVoices: 6, TrainingSentences: 8, HeldOutVoices: 3, HeldOutSentences: 3, GriffinLimIterations: 32, TimingRepeats: 5,
            FullClaim: true, MinLossDrop: 1.3),
        _ => new(new APNetConfig(Channels: 128, Blocks: 8), 8000, Steps: 5000, Batch: 16, CropFrames: 100, LearningRate: 1e-3, Seeds: 5,
            TrainingVoices: 6, TrainingSentences: 8, HeldOutVoices: 6, HeldOutSentences: 3, GriffinLimIterations: 32, TimingRepeats: 5,
            FullClaim: true, MinLossDrop: 1.3),
    };

    /// <summary>The training utterances: the first voices, each reading the training sentences.</summary>
    public (int Voice, int Sentence)[] Training =>
        Enumerable.Range(0, TrainingVoices).SelectMany(v => SpeechToneMixtures.TrainingSentences.Take(TrainingSentences).Select(s => (v, s))).ToArray();

    /// <summary>The held-out utterances: sentences no training utterance contains, read by training voices.</summary>
    public (int Voice, int Sentence)[] HeldOut =>
        SpeechToneMixtures.HeldOutSentences.Take(HeldOutSentences).SelectMany(s => Enumerable.Range(0, HeldOutVoices).Select(v => (v, s))).ToArray();
}

/// <summary>Held-out quality of one vocoder: log-spectral distance (dB), SNR (dB), anti-wrapped instantaneous-phase error (rad),
/// multi-resolution STFT distance, and (reported, not checked) the group-delay and instantaneous-frequency errors.</summary>
public sealed record VocoderScores(double Lsd, double Snr, double PhaseError, double Stft, double GroupDelayError, double FrequencyError);

/// <summary>What the APNet notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Lsd">Held-out log-spectral distance per network over seeds.</param>
/// <param name="Snr">Held-out SNR per network over seeds.</param>
/// <param name="PhaseError">Held-out anti-wrapped instantaneous-phase error per network over seeds.</param>
/// <param name="Stft">Held-out multi-resolution STFT distance per network over seeds.</param>
/// <param name="GroupDelay">Held-out anti-wrapped group-delay error per network over seeds (reported, not checked).</param>
/// <param name="Frequency">Held-out anti-wrapped instantaneous-frequency error per network over seeds (reported, not checked).</param>
/// <param name="GriffinLim">Griffin-Lim's held-out scores.</param>
/// <param name="ApNetSamplesPerSecond">APNet (network + iSTFT) samples per second of wall time.</param>
/// <param name="GriffinLimSamplesPerSecond">Griffin-Lim from the same mel: samples per second.</param>
/// <param name="Example">The held-out utterance shown.</param>
/// <param name="Waves">Its waveform: "target", and from each network (first seed) and Griffin-Lim.</param>
/// <param name="LogAmplitude">Its log-amplitude spectra [bins][frames]: "target" and each network.</param>
/// <param name="Phase">Its phase spectra [bins][frames].</param>
/// <param name="InstantaneousFrequency">Its instantaneous-frequency deviation maps wrap(Δ_T P − 2πk·hop/N) [bins][frames − 1].</param>
public sealed record ApNetOutcome(ApNetSettings Settings, IReadOnlyDictionary<string, SeedSummary> Lsd, IReadOnlyDictionary<string, SeedSummary> Snr,
    IReadOnlyDictionary<string, SeedSummary> PhaseError, IReadOnlyDictionary<string, SeedSummary> Stft,
    IReadOnlyDictionary<string, SeedSummary> GroupDelay, IReadOnlyDictionary<string, SeedSummary> Frequency, VocoderScores GriffinLim,
    double ApNetSamplesPerSecond, double GriffinLimSamplesPerSecond, string Example, IReadOnlyDictionary<string, float[]> Waves,
    IReadOnlyDictionary<string, double[][]> LogAmplitude, IReadOnlyDictionary<string, double[][]> Phase,
    IReadOnlyDictionary<string, double[][]> InstantaneousFrequency);

/// <summary>
/// Ai &amp; Ling (2023), "APNet: An all-frame-level neural vocoder incorporating direct prediction of amplitude and phase spectra"
/// — the experiment of notebooks/audio/apnet.ipynb. An <see cref="APNet"/> learns espeak-ng speech at 8 kHz from log-mel frames
/// (<see cref="VocoderCorpus"/>) with the log-amplitude MSE, the anti-wrapped phase losses (<see cref="PhaseSpectra.Losses"/>)
/// and the multi-resolution STFT distance of its iSTFT waveform; the control is the same network, initial weights, crops and
/// schedule trained without the phase losses. Baseline: 32-iteration Griffin-Lim from the same log-mel. Held-out: sentences no
/// training utterance contains. Speed: APNet (network + iSTFT) against Griffin-Lim, timed alternately on one thread.
/// Metrics: <c>seed{n}/vocoder/{network}/loss</c>, <c>…/phase</c> (L_IP) per step and <c>…/heldout_lsd</c>.
/// </summary>
public sealed class ApNetExperiment : IExperiment
{
    /// <summary>The APNet's name in metrics and outcomes.</summary>
    public const string ApNetName = "APNet";

    /// <summary>The control's name.</summary>
    public const string NoPhaseLossName = "no phase loss";

    /// <summary>The baseline's name.</summary>
    public const string GriffinLimName = "Griffin-Lim";

    private readonly Func<Scale, ApNetSettings> _settings;

    /// <summary>The experiment with <see cref="ApNetSettings.For"/>'s sizes.</summary>
    public ApNetExperiment() : this(ApNetSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public ApNetExperiment(Func<Scale, ApNetSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "apnet";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "APNet: all-frame-level vocoder with direct amplitude and phase prediction (Ai & Ling, 2023)";

    /// <inheritdoc />
    public string? Narrower => "espeak-ng speech at 8 kHz, 10 ms frames, 256-point spectra, 3 blocks of 32 channels, 1000 steps; " +
        "objective distances instead of listening tests; Griffin-Lim instead of HiFi-GAN as the baseline; no STFT-consistency loss";

    /// <inheritdoc />
    public string Claim => "on held-out espeak sentences APNet's log-spectral distance is below and its SNR above 32-iteration " +
        "Griffin-Lim's from the same mel; the same network trained without the phase losses has a larger anti-wrapped " +
        "instantaneous-phase error; APNet synthesises at least half as many samples/s as Griffin-Lim; mean and every one of 5 seeds " +
        "(smoke: one seed, 25 steps, the training loss falls by ≥ 1.3×)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var m = s.Model;
        var device = context.Device;
        var training = new VocoderCorpus(s.Training, s.SampleRate, m.Hop, m.NFft, m.MelBands);
        var heldOut = new VocoderCorpus(s.HeldOut, s.SampleRate, m.Hop, m.NFft, m.MelBands);
        var (melMean, melStd) = training.LogMelStatistics();
        var stft = new MultiResolutionStftLoss();
        context.Run.AddHyperparameters(new
        {
            model = m.ToString(), parameters = m.ParameterCount, s.Steps, s.Batch, s.CropFrames, lr = s.LearningRate, s.Seeds,
            training = training.Utterances.Count, held_out = heldOut.Utterances.Count, s.GriffinLimIterations, s.FullClaim,
            ApNetSettings.AmplitudeWeight, ApNetSettings.PhaseWeight, ApNetSettings.WaveformWeight,
        });
        context.Run.Log($"APNet: {m.ParameterCount} parameters");

        Tensor Input(Tensor logMel) => Padded((logMel - melMean) / melStd);
        var griffinLim = Evaluate(heldOut, m, stft, mel => GriffinLim.FromLogMel(mel, s.SampleRate, m.NFft, m.Hop,
            mel.Size(2) * m.Hop, s.GriffinLimIterations), device);
        context.Run.Log(string.Create(CultureInfo.InvariantCulture,
            $"Griffin-Lim: LSD {griffinLim.Scores.Lsd:F2} dB, SNR {griffinLim.Scores.Snr:F2} dB, IP error {griffinLim.Scores.PhaseError:F3}, GD error {griffinLim.Scores.GroupDelayError:F3}, IAF error {griffinLim.Scores.FrequencyError:F3}"));

        string[] names = [ApNetName, NoPhaseLossName];
        var scores = names.ToDictionary(n => n, _ => new List<VocoderScores>());
        var waves = new Dictionary<string, float[]> { ["target"] = heldOut.Utterances[0].Wave, [GriffinLimName] = griffinLim.Wave };
        var (targetA, targetP) = Spectra(heldOut.Utterances[0].Wave, m);
        var amplitude = new Dictionary<string, double[][]> { ["target"] = targetA };
        var phase = new Dictionary<string, double[][]> { ["target"] = targetP };
        double apRate = 0, glRate = 0, firstLoss = 0, lastLoss = 0;
        var seeds = context.Seeds(s.Seeds);
        foreach (var seed in seeds)
        {
            var nets = names.ToDictionary(n => n, _ => { ManualSeed(seed + 1); return new APNet(m, device: device); });
            try
            {
                int index = (int)(seed - context.Seed);
                var losses = TrainSeed(context, s, index, seed, nets, training, stft, Input);
                if (index == 0) (firstLoss, lastLoss) = (losses[0], losses.Skip(losses.Count * 9 / 10).Average());
                foreach (var (name, net) in nets)
                {
                    var e = Evaluate(heldOut, m, stft, mel => Vocode(net, Input(mel), mel.Size(2) * m.Hop), device);
                    scores[name].Add(e.Scores);
                    context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                        $"seed {index} {name}: LSD {e.Scores.Lsd:F2} dB, SNR {e.Scores.Snr:F2} dB, IP error {e.Scores.PhaseError:F3}, GD error {e.Scores.GroupDelayError:F3}, IAF error {e.Scores.FrequencyError:F3}, STFT {e.Scores.Stft:F3}"));
                    if (index != 0) continue;
                    waves[name] = e.Wave;
                    (amplitude[name], phase[name]) = e.Example;
                }
                if (index == 0) (apRate, glRate) = Speeds(s, nets[ApNetName], heldOut, Input, device);
            }
            finally
            {
                foreach (var net in nets.Values) net.Dispose();
            }
        }

        SeedSummary Of(string name, Func<VocoderScores, double> f) => new(scores[name].Select(f));
        Dictionary<string, SeedSummary> All(Func<VocoderScores, double> f) => names.ToDictionary(n => n, n => Of(n, f));
        var lsd = All(x => x.Lsd);
        var snr = All(x => x.Snr);
        var ip = All(x => x.PhaseError);
        var stftSummary = All(x => x.Stft);
        var gdSummary = All(x => x.GroupDelayError);
        var iafSummary = All(x => x.FrequencyError);
        var check = new ClaimCheck();
        if (s.FullClaim)
        {
            check.AtMost("held-out LSD, APNet − Griffin-Lim (dB)", new SeedSummary(lsd[ApNetName].Values.Select(v => v - griffinLim.Scores.Lsd)), 0,
                    format: "F2")
                .AtLeast("held-out SNR, APNet − Griffin-Lim (dB)", new SeedSummary(snr[ApNetName].Values.Select(v => v - griffinLim.Scores.Snr)), 0,
                    format: "F2")
                .AtMost("held-out IP error, APNet ÷ no-phase-loss control",
                    new SeedSummary(ip[ApNetName].Values.Zip(ip[NoPhaseLossName].Values, (a, b) => a / b)), 1, format: "F3")
                .AtLeast("samples/s, APNet ÷ Griffin-Lim", apRate / glRate, 0.5, format: "F2");
        }
        else check.AtLeast("training loss, first step ÷ last tenth (seed 0, APNet)", firstLoss / lastLoss, s.MinLossDrop, format: "F2");

        var metrics = new Dictionary<string, double>
        {
            ["parameters"] = m.ParameterCount, ["apnet_samples_per_s"] = apRate, ["griffin_lim_samples_per_s"] = glRate,
            ["griffin_lim/heldout_lsd"] = griffinLim.Scores.Lsd, ["griffin_lim/heldout_snr"] = griffinLim.Scores.Snr,
            ["griffin_lim/heldout_ip"] = griffinLim.Scores.PhaseError, ["griffin_lim/heldout_gd"] = griffinLim.Scores.GroupDelayError,
            ["griffin_lim/heldout_iaf"] = griffinLim.Scores.FrequencyError, ["griffin_lim/heldout_stft"] = griffinLim.Scores.Stft,
            ["loss_drop"] = firstLoss / lastLoss,
        };
        foreach (var n in names)
        {
            string key = n == ApNetName ? "apnet" : "no_phase_loss";
            metrics[$"{key}/heldout_lsd"] = lsd[n].Mean;
            metrics[$"{key}/heldout_snr"] = snr[n].Mean;
            metrics[$"{key}/heldout_ip"] = ip[n].Mean;
            metrics[$"{key}/heldout_stft"] = stftSummary[n].Mean;
            metrics[$"{key}/heldout_gd"] = gdSummary[n].Mean;
            metrics[$"{key}/heldout_iaf"] = iafSummary[n].Mean;
        }
        var frequency = phase.ToDictionary(kv => kv.Key, kv => InstantaneousFrequency(kv.Value, m));
        var outcome = new ApNetOutcome(s, lsd, snr, ip, stftSummary, gdSummary, iafSummary, griffinLim.Scores, apRate, glRate, heldOut.Utterances[0].Name, waves,
            amplitude, phase, frequency);
        return check.Result(metrics, null, outcome);
    }

    /// <summary>Log-mel [batch, M, F] → [batch, M, F + 1] with the last frame repeated: the STFT of F·hop samples has F + 1 frames.</summary>
    public static Tensor Padded(Tensor logMel)
    {
        using var scope = NewScope();
        return scope.Keep(Tensor.Cat([logMel, logMel.Narrow(2, logMel.Size(2) - 1, 1)], 2));
    }

    private static Tensor Vocode(APNet net, Tensor input, long length)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return scope.Keep(net.Vocode(input, length));
    }

    /// <summary>
    /// Held-out scores of a vocoder (log-mel [1, M, F] → waveform [1, F·hop]) averaged over utterances: log-spectral distance
    /// mean_frames sqrt(mean_bins (20 log10 |Ŝ|/|S|)²) in dB, SNR 10 log10(Σy² / Σ(y − ŷ)²), mean anti-wrapped
    /// instantaneous-phase error of the re-analysed output, and the multi-resolution STFT distance; plus the first utterance's
    /// output and its spectra.
    /// </summary>
    private static (VocoderScores Scores, float[] Wave, (double[][], double[][]) Example) Evaluate(VocoderCorpus corpus, APNetConfig m,
        MultiResolutionStftLoss stft, Func<Tensor, Tensor> vocoder, Device device)
    {
        double lsd = 0, snr = 0, ip = 0, distance = 0, gd = 0, iaf = 0;
        float[] first = [];
        (double[][], double[][]) example = default;
        foreach (var u in corpus.Utterances)
            using (NewScope())
            using (NoGrad())
            {
                var (mel, _, wave) = corpus.Whole(u, device);
                var output = vocoder(mel);
                var (a, p) = PhaseSpectra.Analyse(wave, m.NFft, m.Hop);
                var (ah, ph) = PhaseSpectra.Analyse(output, m.NFft, m.Hop);
                lsd += ((ah - a) * (20 / Math.Log(10))).Square().Mean([1]).Sqrt().Mean().Item<float>();
                snr += 10 * Math.Log10(wave.Square().Sum().Item<float>() / (wave - output).Square().Sum().Item<float>());
                var (lip, lgd, liaf) = PhaseSpectra.Losses(ph, p);
                ip += lip.Item<float>();
                gd += lgd.Item<float>();
                iaf += liaf.Item<float>();
                distance += stft.Forward(output, wave).Item<float>();
                if (first.Length > 0) continue;
                first = output.Squeeze(0).Float().To(Device.CPU).ToArray<float>();
                example = (Rows(ah), Rows(ph));
            }
        int n = corpus.Utterances.Count;
        return (new VocoderScores(lsd / n, snr / n, ip / n, distance / n, gd / n, iaf / n), first, example);
    }

    private static double[][] Rows(Tensor spectrum)
    {
        var t = spectrum.Squeeze(0).Double().To(Device.CPU);
        int bins = (int)t.Size(0), frames = (int)t.Size(1);
        var flat = t.ToArray<double>();
        return Enumerable.Range(0, bins).Select(b => flat.AsSpan(b * frames, frames).ToArray()).ToArray();
    }

    private static (double[][], double[][]) Spectra(float[] wave, APNetConfig m)
    {
        using var scope = NewScope();
        var (a, p) = PhaseSpectra.Analyse(Tensor.From(wave, 1, wave.Length), m.NFft, m.Hop);
        return (Rows(a), Rows(p));
    }

    /// <summary>wrap(P[k, f + 1] − P[k, f] − 2πk·hop/N) into (−π, π]: the deviation of the instantaneous frequency from bin k's centre.</summary>
    public static double[][] InstantaneousFrequency(double[][] phase, APNetConfig m) =>
        phase.Select((row, k) => Enumerable.Range(0, row.Length - 1).Select(f =>
        {
            double d = row[f + 1] - row[f] - 2 * Math.PI * k * m.Hop / m.NFft;
            return d - 2 * Math.PI * Math.Round(d / (2 * Math.PI));
        }).ToArray()).ToArray();

    /// <summary>
    /// Trains the two networks of one seed side by side on the same crops: Adam with warm-up and cosine decay, gradients clipped
    /// to norm 1. APNet: amplitude + phase + waveform losses; the control: amplitude + waveform. Returns APNet's loss per step.
    /// </summary>
    private static List<double> TrainSeed(ExperimentContext context, ApNetSettings s, int index, ulong seed, Dictionary<string, APNet> nets,
        VocoderCorpus training, MultiResolutionStftLoss stft, Func<Tensor, Tensor> input)
    {
        var m = s.Model;
        var losses = new List<double>();
        var optimizers = nets.ToDictionary(kv => kv.Key, kv => new Adam(kv.Value.Parameters(), lr: s.LearningRate));
        try
        {
            var state = new TensorState();
            foreach (var (name, net) in nets) state.Add(name, new ModuleState(net, optimizers[name]));
            var trainer = new Trainer(new TrainerOptions
            {
                MaxSteps = s.Steps,
                LearningRate = LearningRates.WarmupCosine(s.LearningRate, s.Steps / 20, s.Steps, s.LearningRate / 10),
                Seed = seed,
                Cancellation = context.Cancellation,
            });
            if (index == 0) trainer.Callbacks.AddRange(context.Callbacks);
            trainer.Fit(state, ctx =>
            {
                var (mel, _, wave) = training.Crops(new Random((int)(ctx.Seed % int.MaxValue)), s.Batch, s.CropFrames, context.Device);
                var x = input(mel);
                var (a, p) = PhaseSpectra.Analyse(wave, m.NFft, m.Hop);
                var metrics = new Dictionary<string, double>();
                foreach (var (name, net) in nets)
                {
                    ctx.ApplyLearningRate(optimizers[name]);
                    var (ah, ph) = net.Forward(x);
                    var amplitudeLoss = (ah - a).Square().Mean();
                    var (ip, gd, iaf) = PhaseSpectra.Losses(ph, p);
                    var waveformLoss = stft.Forward(net.Synthesise(ah, ph, wave.Size(1)), wave);
                    var loss = amplitudeLoss * ApNetSettings.AmplitudeWeight + waveformLoss * ApNetSettings.WaveformWeight;
                    if (name == ApNetName) loss = loss + (ip + gd + iaf) * ApNetSettings.PhaseWeight;
                    optimizers[name].ZeroGrad();
                    loss.Backward();
                    GradClip.ClipGradNorm(net.Parameters(), 1.0);
                    optimizers[name].Step();
                    double value = loss.Item<float>();
                    if (name == ApNetName) losses.Add(value);
                    metrics[$"seed{index}/vocoder/{name}/loss"] = value;
                    metrics[$"seed{index}/vocoder/{name}/phase"] = ip.Item<float>();
                }
                return new StepResult(Metrics: metrics);
            }, run: context.Run);
        }
        finally
        {
            foreach (var o in optimizers.Values) o.Dispose();
        }
        return losses;
    }

    /// <summary>
    /// Samples per second on one thread for the longest held-out utterance: APNet (network + iSTFT) and Griffin-Lim from the same
    /// log-mel, timed alternately (<see cref="AlternatingTimer"/>), medians.
    /// </summary>
    private static (double ApNet, double GriffinLim) Speeds(ApNetSettings s, APNet net, VocoderCorpus heldOut, Func<Tensor, Tensor> input,
        Device device)
    {
        using var threads = ThreadLimit.To(1);
        using var scope = NewScope();
        var m = s.Model;
        var longest = heldOut.Utterances.MaxBy(u => u.Frames)!;
        var (mel, _, wave) = heldOut.Whole(longest, device);
        long length = wave.Size(1);
        var ms = AlternatingTimer.MedianMilliseconds(
        [
            () => { using (NewScope()) Vocode(net, input(mel), length).Sum().Item<float>(); },
            () => { using (NewScope()) GriffinLim.FromLogMel(mel, s.SampleRate, m.NFft, m.Hop, length, s.GriffinLimIterations).Sum().Item<float>(); },
        ], s.TimingRepeats);
        return (length / (ms[0] / 1000), length / (ms[1] / 1000));
    }
}
