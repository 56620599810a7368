using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The sizes of the WaveNet experiment at one scale.
/// </summary>
/// <param name="SampleRate">Audio sample rate in Hz.</param>
/// <param name="Seconds">Length of every clip; its last <see cref="HeldOutFraction"/> is held out.</param>
/// <param name="Model">The WaveNet: dilated blocks.</param>
/// <param name="Baseline">The shallow baseline: one gated layer of dilation 1 with the same head.</param>
/// <param name="Steps">Adam steps for each network.</param>
/// <param name="Batch">Crops per step.</param>
/// <param name="Crop">Samples per crop.</param>
/// <param name="LearningRate">Peak Adam learning rate (cosine decay to a tenth).</param>
/// <param name="RequiredNllGap">How many nats per sample the WaveNet's held-out NLL must be below the baseline's.</param>
public sealed record WaveNetSettings(int SampleRate, double Seconds, WaveNetConfig Model, WaveNetConfig Baseline, int Steps, int Batch,
    int Crop, double LearningRate, double RequiredNllGap)
{
    /// <summary>The held-out tail of every clip.</summary>
    public const double HeldOutFraction = 0.2;

    /// <summary>The settings of <paramref name="scale"/>: 4 kHz and a 128-sample receptive field at smoke, 8 kHz and 512 samples otherwise.</summary>
    public static WaveNetSettings For(Scale scale) => scale == Scale.Smoke
        ? new(4000, 1.0,
            new WaveNetConfig(ResidualChannels: 16, GateChannels: 16, SkipChannels: 32, HeadChannels: 32, Blocks: 2, LayersPerBlock: 6),
            new WaveNetConfig(ResidualChannels: 16, GateChannels: 16, SkipChannels: 32, HeadChannels: 32, Blocks: 1, LayersPerBlock: 1),
            Steps: 200, Batch: 4, Crop: 512, LearningRate: 1e-2, RequiredNllGap: 0.5)
        : new(8000, 1.5,
            new WaveNetConfig(ResidualChannels: 32, GateChannels: 32, SkipChannels: 64, HeadChannels: 64, Blocks: 2, LayersPerBlock: 8),
            new WaveNetConfig(ResidualChannels: 32, GateChannels: 32, SkipChannels: 64, HeadChannels: 64, Blocks: 1, LayersPerBlock: 1),
            Steps: 500, Batch: 8, Crop: 1024, LearningRate: 1e-2, RequiredNllGap: 0.8);
}

/// <summary>
/// van den Oord et al. (2016), "WaveNet: A Generative Model for Raw Audio" — the experiment of notebooks/audio/wavenet.ipynb:
/// a <see cref="WaveNet"/> (dilated causal gated residual stack, μ-law softmax) and a shallow one-layer baseline with the
/// same head learn tones, chords, chirps and mixtures (<see cref="Clips"/>) side by side. Metrics per step:
/// <c>wavenet/nll</c>, <c>baseline/nll</c> (nats per sample on training crops); evaluations: <c>eval/wavenet_nll</c>,
/// <c>eval/baseline_nll</c>, <c>eval/nll_gap</c> on the held-out tails; at the end the receptive field measured by
/// gradients and the pitch of a sampled continuation.
/// </summary>
public sealed class WaveNetExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "wavenet";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "WaveNet: a generative model for raw audio (van den Oord et al., 2016)";

    /// <inheritdoc />
    public string Claim => "a dilated causal stack with gated units and a μ-law softmax predicts held-out tone/chord/chirp audio with an NLL at least 0.8 nats/sample (smoke: 0.5) below a one-layer baseline with the same head, and its measured receptive field equals the designed one";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = WaveNetSettings.For(context.Scale);
        var device = context.Device;
        context.Run.AddHyperparameters(new
        {
            sample_rate = s.SampleRate, seconds = s.Seconds, held_out = WaveNetSettings.HeldOutFraction, s.Steps, s.Batch, s.Crop,
            lr = s.LearningRate, required_nll_gap = s.RequiredNllGap, wavenet = s.Model.ToString(), baseline = s.Baseline.ToString(),
            receptive_field = s.Model.ReceptiveField, baseline_receptive_field = s.Baseline.ReceptiveField,
        });

        var clips = Clips(s.SampleRate, s.Seconds);
        using var codes = Codes(clips.Select(c => c.Clip), device).DetachFromScope();                   // [clips, frames]
        long split = TrainFrames(codes.Size(1));

        ManualSeed(context.Seed);
        using var wavenet = new WaveNet(s.Model, device: device);
        using var baseline = new WaveNet(s.Baseline, device: device);
        using var wavenetOpt = new Adam(wavenet.Parameters(), lr: s.LearningRate);
        using var baselineOpt = new Adam(baseline.Parameters(), lr: s.LearningRate);
        var networks = new (string Name, WaveNet Net, Adam Optimizer)[] { ("wavenet", wavenet, wavenetOpt), ("baseline", baseline, baselineOpt) };
        var state = new TensorState { { "wavenet", new ModuleState(wavenet, wavenetOpt) }, { "baseline", new ModuleState(baseline, baselineOpt) } };
        context.Run.Log($"WaveNet: {wavenet.ParameterCount()} parameters, receptive field {wavenet.ReceptiveField}; baseline: {baseline.ParameterCount()} parameters, receptive field {baseline.ReceptiveField}");

        var crops = new Random((int)context.Seed);
        var trainer = context.CreateTrainer(new TrainerOptions
        {
            MaxSteps = s.Steps,
            LearningRate = LearningRates.WarmupCosine(s.LearningRate, s.Steps / 20, s.Steps, s.LearningRate / 10),
            EvalEvery = Math.Max(1, s.Steps / 5),
            Monitor = "eval/nll_gap",
            MonitorMode = MonitorMode.Max,
        });
        var result = trainer.Fit(state, ctx =>
        {
            var batch = RandomCrops(codes, split, s.Batch, s.Crop, crops);                           // [batch, crop]
            var metrics = new Dictionary<string, double>();
            foreach (var (name, net, optimizer) in networks)
            {
                ctx.ApplyLearningRate(optimizer);
                var loss = net.NextSampleNll(batch);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                metrics[$"{name}/nll"] = loss.Item<float>();
            }
            return new StepResult(Metrics: metrics);
        }, evaluate: _ =>
        {
            double w = HeldOutNll(wavenet, codes, split), b = HeldOutNll(baseline, codes, split);
            return new Dictionary<string, double> { ["wavenet_nll"] = w, ["baseline_nll"] = b, ["nll_gap"] = b - w };
        }, run: context.Run);

        double wavenetNll = HeldOutNll(wavenet, codes, split), baselineNll = HeldOutNll(baseline, codes, split);
        double gap = baselineNll - wavenetNll;
        int measured = MeasuredReceptiveField(ReceptiveFieldProfile(wavenet, codes.Narrow(0, 0, 1), 2 * wavenet.ReceptiveField));

        // Sampled continuations of every clip's training part, as long as its held-out tail, compared with the tail by spectrum.
        var similarity = new Dictionary<string, double>();
        foreach (var (name, net, _) in networks)
            using (NewScope())
            {
                var (target, sampled) = Continuations(net, codes, split, seed: (int)context.Seed);
                var perClip = SpectralSimilarity(target, sampled);
                similarity[name] = perClip.Average();
                if (net == wavenet)
                {
                    var (targetPeaks, sampledPeaks) = (PeakFrequencies(target, s.SampleRate), PeakFrequencies(sampled, s.SampleRate));
                    for (int c = 0; c < clips.Length; c++)
                        context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                            $"{clips[c].Name}: WaveNet continuation peak {sampledPeaks[c]:F0} Hz (data {targetPeaks[c]:F0} Hz), spectral similarity {perClip[c]:F2}"));
                }
            }

        var metricsOut = new Dictionary<string, double>
        {
            ["wavenet_nll"] = wavenetNll, ["baseline_nll"] = baselineNll, ["nll_gap"] = gap, ["uniform_nll"] = Math.Log(s.Model.Classes),
            ["receptive_field"] = measured, ["designed_receptive_field"] = wavenet.ReceptiveField,
            ["wavenet_spectral_similarity"] = similarity["wavenet"], ["baseline_spectral_similarity"] = similarity["baseline"],
        };
        foreach (var (k, v) in metricsOut) context.Run.Record(result.Steps, $"final/{k}", v);
        bool holds = gap >= s.RequiredNllGap && measured == wavenet.ReceptiveField;
        return new ExperimentResult(holds,
            string.Create(CultureInfo.InvariantCulture,
                $"held-out NLL after {result.Steps} steps: WaveNet {wavenetNll:F3}, baseline {baselineNll:F3} nats/sample, gap {gap:F3} {(gap >= s.RequiredNllGap ? "≥" : "<")} {s.RequiredNllGap:F1}; " +
                $"receptive field measured {measured} {(measured == wavenet.ReceptiveField ? "=" : "≠")} designed {wavenet.ReceptiveField}; " +
                $"spectral similarity of sampled continuations to the data: WaveNet {similarity["wavenet"]:F2}, baseline {similarity["baseline"]:F2} ({result.Status})"),
            metricsOut, result);
    }

    /// <summary>
    /// The audio, all <paramref name="seconds"/> long at peak amplitude 0.5: two tones, two chords (a major triad and a
    /// harmonic stack), a rising chirp and a tone plus a falling chirp. The chirps are sweeps of <see cref="SweepSeconds"/>
    /// repeated, so the held-out tail holds frequencies the training part has too.
    /// </summary>
    public static (string Name, AudioClip Clip)[] Clips(int sampleRate, double seconds)
    {
        int frames = (int)Math.Round(seconds * sampleRate);
        float[] Sweeps(double f0, double f1, double amplitude)
        {
            var sweep = Signals.Chirp(f0, f1, SweepSeconds, sampleRate, exponential: true, amplitude).Samples;
            return Enumerable.Range(0, frames).Select(n => sweep[n % sweep.Length]).ToArray();
        }
        var tone = Signals.Tone(440, seconds, sampleRate, amplitude: 0.25).Samples;
        var fall = Sweeps(900, 300, 0.25);
        return
        [
            ("tone 220 Hz", Signals.Tone(220, seconds, sampleRate)),
            ("tone 330 Hz", Signals.Tone(330, seconds, sampleRate)),
            ("chord C major", Signals.Chord(Signals.MajorTriad(262), seconds, sampleRate)),
            ("chord 196 Hz harmonics", Signals.Chord([196, 392, 588], seconds, sampleRate)),
            ("chirps 200→1000 Hz", new AudioClip(Sweeps(200, 1000, 0.5), sampleRate)),
            ("tone 440 Hz + chirps 900→300 Hz", new AudioClip(tone.Zip(fall, (a, b) => a + b).ToArray(), sampleRate)),
        ];
    }

    /// <summary>Length of one sweep of the repeated chirps.</summary>
    public const double SweepSeconds = 0.25;

    /// <summary>8-bit μ-law codes of equally long clips: [clips, frames] int64.</summary>
    public static Tensor Codes(IEnumerable<AudioClip> clips, Device? device = null)
    {
        var list = clips.ToList();
        int frames = list.Min(c => c.Frames);
        var codes = list.SelectMany(c => MuLaw.Encode(c.Samples.AsSpan(0, frames)).Select(q => (long)q)).ToArray();
        using var cpu = Tensor.From(codes, list.Count, frames);
        return cpu.To(device ?? Device.CPU);
    }

    /// <summary>Frames of every clip used for training; the rest is the held-out tail.</summary>
    public static long TrainFrames(long frames) => (long)Math.Round(frames * (1 - WaveNetSettings.HeldOutFraction));

    /// <summary><paramref name="batch"/> random crops [batch, crop] from the first <paramref name="split"/> frames of random clips.</summary>
    public static Tensor RandomCrops(Tensor codes, long split, int batch, int crop, Random random)
    {
        if (crop > split) throw new ArgumentOutOfRangeException(nameof(crop), crop, $"crops must fit in the {split} training frames");
        using var scope = NewScope();
        var rows = new Tensor[batch];
        for (int i = 0; i < batch; i++)
            rows[i] = codes.Narrow(0, random.Next((int)codes.Size(0)), 1).Narrow(1, random.NextInt64(split - crop + 1), crop);
        return scope.Keep(Tensor.Cat(rows, 0));
    }

    /// <summary>
    /// Mean −log p(x[t] | x[&lt;t]) in nats over the held-out frames t ≥ <paramref name="split"/> of every clip, each
    /// prediction conditioned on the whole past of its clip (training frames included).
    /// </summary>
    public static double HeldOutNll(WaveNet model, Tensor codes, long split)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return model.NextSampleNll(codes, conditionOn: split).Item<float>();
    }

    /// <summary>
    /// |∂ log p(x[T] | x[&lt;T]) / ∂ onehot(x[T−1−lag])| summed over the classes, for lag = 0 … length−2, on the first
    /// <paramref name="length"/> samples of <paramref name="codes"/> [1, ≥ length] (computed in float64 on a copy).
    /// Non-zero exactly for the lags inside the receptive field.
    /// </summary>
    public static double[] ReceptiveFieldProfile(WaveNet model, Tensor codes, int length)
    {
        using var scope = NewScope();
        using var copy = new WaveNet(model.Config, DType.Float64, codes.Device);
        copy.LoadStateDict(model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Double()));
        var window = codes.Narrow(1, 0, length);                                                        // [1, length]
        var input = F.OneHot(window.Narrow(1, 0, length - 1), model.Config.Classes).Double().Transpose(1, 2).Contiguous().RequiresGrad_();
        var logits = copy.Forward(input);                                                               // [1, classes, length − 1]
        var logProb = logits.Select(2, length - 2).LogSoftmax(1).Gather(1, window.Narrow(1, length - 1, 1));
        logProb.Sum().Backward();
        var perPosition = input.Grad!.Abs().Sum(dim: 1).Squeeze(0).ToArray<double>();                  // [length − 1], oldest first
        return perPosition.Reverse().ToArray();                                                         // by lag 0, 1, …
    }

    /// <summary>The receptive field a gradient profile shows: 1 + the largest lag with a non-zero gradient.</summary>
    public static int MeasuredReceptiveField(double[] profile) => Array.FindLastIndex(profile, g => g != 0) + 1;

    /// <summary>
    /// Continues every clip from its first <paramref name="split"/> codes (the last receptive field of them as the prime)
    /// for as many samples as its held-out tail, in one batched generation → (target, sampled) waveforms [clips, tail].
    /// </summary>
    public static (Tensor Target, Tensor Sampled) Continuations(WaveNet model, Tensor codes, long split, int seed = 0, double temperature = 1.0)
    {
        using var scope = NewScope();
        long tail = codes.Size(1) - split, context = Math.Min(split, model.ReceptiveField);
        var prime = codes.Narrow(1, split - context, context);                                          // [clips, RF]
        var sampled = model.Generate(tail, seed, temperature, prime);                                  // [clips, tail]
        return (scope.Keep(MuLaw.Decode(codes.Narrow(1, split, tail))), scope.Keep(MuLaw.Decode(sampled)));
    }

    /// <summary>The frequency in Hz of the largest magnitude in the Hann-windowed spectrum of <paramref name="wave"/> [T].</summary>
    public static double PeakFrequency(Tensor wave, int sampleRate)
    {
        using var scope = NewScope();
        long n = wave.Size(0);
        var window = Fft.HannWindow(n, dtype: wave.DType).To(wave.Device);
        var magnitude = Fft.RFFT(wave * window).Abs();
        return magnitude.ArgMax().Item<long>() * (double)sampleRate / n;
    }

    /// <summary>
    /// Per row of <paramref name="target"/> and <paramref name="sampled"/> [clips, T]: the cosine similarity of their
    /// Hann-windowed magnitude spectra (1: the same frequencies in the same proportions, regardless of phase).
    /// </summary>
    public static double[] SpectralSimilarity(Tensor target, Tensor sampled)
    {
        using var scope = NewScope();
        var window = Fft.HannWindow(target.Size(1), dtype: target.DType).To(target.Device);
        var a = Fft.RFFT(target * window).Abs();                                                        // [clips, bins]
        var b = Fft.RFFT(sampled * window).Abs();
        var cosine = (a * b).Sum(dim: 1) / (a.Norm(2, [1]) * b.Norm(2, [1]) + 1e-12);
        return cosine.Double().ToArray<double>();
    }

    /// <summary><see cref="PeakFrequency"/> of every row of <paramref name="waves"/> [clips, T].</summary>
    public static double[] PeakFrequencies(Tensor waves, int sampleRate) =>
        Enumerable.Range(0, (int)waves.Size(0)).Select(i => { using var row = waves.Select(0, i); return PeakFrequency(row, sampleRate); }).ToArray();
}
