using System.Globalization;
using Research.Experiments.Audio;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes and thresholds of the WaveFlow experiment at one scale.</summary>
/// <param name="Model">The WaveFlow (its height is replaced by each of <see cref="Heights"/>).</param>
/// <param name="Heights">Squeeze heights h compared, smallest first (the smallest, 2, is WaveGlow's bipartite coupling).</param>
/// <param name="Steps">Adam steps per model and seed (the same for every h).</param>
/// <param name="Batch">Training notes per step.</param>
/// <param name="CropFrames">Mel frames per training note.</param>
/// <param name="LearningRates">
/// Peak Adam learning rates (warm-up, cosine decay to a tenth, gradients clipped to norm 1) swept for every h on the first seed; each h
/// keeps the one with the lowest validation bits/sample for all seeds (a rate whose loss diverged, NaN, is never chosen).
/// </param>
/// <param name="Seeds">Seeds (initialisation and training notes; every h of a seed sees the same notes).</param>
/// <param name="HeldOutNotes">Held-out notes (pitches no training note comes within half a semitone of).</param>
/// <param name="ValidationNotes">Validation notes (random pitches away from the held-out ones, random timbres), used only to pick learning rates.</param>
/// <param name="HeldOutSeconds">Length of every held-out note.</param>
/// <param name="Temperature">σ of the latent when generating.</param>
/// <param name="TimingRepeats">Alternating rounds of the sampling-time measurement.</param>
/// <param name="MinBitsGain">Held-out bits/sample of the smallest h minus those of the largest must be at least this (mean and per seed).</param>
/// <param name="MinWins">Seeds in which the largest h must beat the smallest by <see cref="MinBitsGain"/>.</param>
/// <param name="MinTimeRatio">Sampling wall time of the largest h over the smallest must be at least this.</param>
public sealed record WaveFlowSettings(WaveFlowConfig Model, int[] Heights, int Steps, int Batch, int CropFrames, double[] LearningRates, int Seeds,
    int HeldOutNotes, int ValidationNotes, double HeldOutSeconds, double Temperature, int TimingRepeats, double MinBitsGain, int MinWins, double MinTimeRatio)
{
    /// <summary>
    /// smoke: h ∈ {2, 16}, 2 flows of 8 channels, 30 steps, one seed, one learning rate; cpu: h ∈ {2, 4, 16}, 4 flows of 4 layers × 16
    /// channels, 300 steps of 4 × 0.13 s, learning rates {3e-3, 1e-2, 3e-2}, 3 seeds; gpu: 8 flows of 8 layers × 64 channels, 4000 steps
    /// of 16 × 0.5 s, learning rates {3e-4, 1e-3, 3e-3}, 5 seeds.
    /// </summary>
    public static WaveFlowSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new WaveFlowConfig(MelBands: 16, Flows: 2, ResidualChannels: 8, Layers: 3), [2, 16], Steps: 30, Batch: 2,
            CropFrames: 8, LearningRates: [3e-3], Seeds: 1, HeldOutNotes: 2, ValidationNotes: 2, HeldOutSeconds: 1.0, Temperature: 0.6, TimingRepeats: 1,
            MinBitsGain: -0.05, MinWins: 1, MinTimeRatio: 2),
        Scale.Cpu => new(new WaveFlowConfig(MelBands: 16, Flows: 4, ResidualChannels: 16, Layers: 4), [2, 4, 16], Steps: 300, Batch: 4,
            CropFrames: 16, LearningRates: [3e-3, 1e-2, 3e-2], Seeds: 3, HeldOutNotes: 6, ValidationNotes: 6, HeldOutSeconds: 1.0, Temperature: 0.6, TimingRepeats: 3,
            MinBitsGain: 0.2, MinWins: 2, MinTimeRatio: 3),
        _ => new(new WaveFlowConfig(MelBands: 40, Flows: 8, ResidualChannels: 64, Layers: 8), [2, 4, 16], Steps: 4000, Batch: 16,
            CropFrames: 64, LearningRates: [3e-4, 1e-3, 3e-3], Seeds: 5, HeldOutNotes: 12, ValidationNotes: 12, HeldOutSeconds: 2.0, Temperature: 0.6, TimingRepeats: 5,
            MinBitsGain: 0.2, MinWins: 4, MinTimeRatio: 3),
    };

    /// <summary>The notes, crops and batch in <see cref="WaveGlowSettings"/>' form (its data helpers are reused), with this model's mel.</summary>
    public WaveGlowSettings Data(Scale scale)
    {
        var data = WaveGlowSettings.For(scale);
        return data with
        {
            Model = data.Model with { MelBands = Model.MelBands, Hop = Model.Hop }, Steps = Steps, Batch = Batch, CropFrames = CropFrames,
            Seeds = Seeds, HeldOutNotes = HeldOutNotes, HeldOutSeconds = HeldOutSeconds,
        };
    }
}

/// <summary>One squeeze height's results.</summary>
/// <param name="Height">h.</param>
/// <param name="Parameters">Parameters of the WaveFlow (the same for every h).</param>
/// <param name="LearningRate">The peak learning rate chosen for this h (lowest validation bits/sample on the first seed).</param>
/// <param name="Sweep">The first seed's validation bits/sample at every learning rate tried (NaN: diverged).</param>
/// <param name="HeldOutBits">Held-out bits/sample after training at the chosen learning rate, over seeds.</param>
/// <param name="InitialBits">Held-out bits/sample at initialisation, over seeds.</param>
/// <param name="SequentialSteps">Sequential network passes to sample: h per flow.</param>
/// <param name="SamplingSeconds">Median wall time to sample the first held-out note (one thread, alternating with the other h).</param>
/// <param name="Generated">Seed 0: audio generated from each held-out note's mel.</param>
/// <param name="Curves">Per seed: (step, held-out bits/sample) at the evaluations.</param>
public sealed record WaveFlowHeight(int Height, long Parameters, double LearningRate, IReadOnlyDictionary<double, double> Sweep,
    SeedSummary HeldOutBits, SeedSummary InitialBits, int SequentialSteps, double SamplingSeconds, float[][] Generated, (long Step, double Bits)[][] Curves);

/// <summary>What the WaveFlow notebook draws.</summary>
public sealed record WaveFlowOutcome(WaveFlowSettings Settings, WaveFlowHeight[] Heights, string[] Names, float[][] Targets, int SampleRate);

/// <summary>
/// Ping, Peng, Zhao &amp; Song (2020), "WaveFlow: A Compact Flow-based Model for Raw Audio" — the experiment of
/// notebooks/audio/waveflow.ipynb. <see cref="WaveFlow"/>s with squeeze heights h (the same parameters, steps, notes and learning-rate
/// sweep) learn the harmonic notes of <see cref="WaveGlowExperiment"/> from their log-mel by maximum likelihood. Each h trains at every
/// learning rate of the sweep on the first seed and keeps the one with the lowest bits/sample on validation notes (not the held-out
/// ones) for all seeds (<see cref="LearningRateTuning"/>). Measured: held-out bits/sample per h and seed, and the wall time to sample
/// one held-out note (h sequential passes per flow), the heights timed alternately on one thread. Models train two at a time on
/// parallel threads. Metrics: <c>seed{n}/h{h}@{lr}/nll</c> per step and <c>seed{n}/h{h}@{lr}/heldout_nll</c> at the evaluations.
/// </summary>
public sealed class WaveFlowExperiment : IExperiment
{
    private readonly Func<Scale, WaveFlowSettings> _settings;

    /// <summary>The experiment with <see cref="WaveFlowSettings.For"/>'s sizes.</summary>
    public WaveFlowExperiment() : this(WaveFlowSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public WaveFlowExperiment(Func<Scale, WaveFlowSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "waveflow";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "WaveFlow: a compact flow-based model for raw audio (Ping, Peng, Zhao & Song, 2020)";

    /// <inheritdoc />
    public string? Narrower => "harmonic notes at 8 kHz with 16-band log-mel instead of speech at 22 kHz; h ∈ {2, 4, 16} (h = 2 is WaveGlow's " +
        "bipartite coupling) with 4 flows of 16 channels; likelihood and sampling time instead of listening tests; at cpu scale (300 steps, " +
        "every h at its best of the same sweep {3e-3, 1e-2, 3e-2}, all at 1e-2, inside the sweep) the likelihood half does not hold: h = 4 " +
        "beats h = 2 in every seed (by 0.063 bits/sample) but h = 16 is 0.071 bits/sample worse than h = 2 in every seed; the sampling-time " +
        "half holds (5.6×)";

    /// <inheritdoc />
    public string Claim => "at equal parameters, data, steps and learning-rate sweep (3 peak rates per h, each h at its best on " +
        "validation notes of the first seed), held-out bits/sample fall as the squeeze height h grows " +
        "(h = 16 ≥ 0.2 bits/sample below h = 2 in the mean and in ≥ 2 of 3 seeds, h = 4 between them in the mean), while sampling takes " +
        "h sequential passes per flow and its measured wall time grows with h (h = 16 ≥ 3× h = 2; one thread, alternating) " +
        "(smoke: h ∈ {2, 16}, 30 steps, one seed: h = 16 at most 0.05 bits/sample worse than h = 2 and ≥ 2× slower to sample)";

    /// <summary>The model name of height h in the tuning and the metrics: "h{h}".</summary>
    public static string HeightName(int h) => string.Create(CultureInfo.InvariantCulture, $"h{h}");

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var data = s.Data(context.Scale);
        var device = context.Device;
        using var melTransform = new LogMelSpectrogram(data.SampleRate, data.NFft, s.Model.Hop, s.Model.MelBands, power: 1, floor: 1e-5);
        var (names, pitches, heldOut) = WaveGlowExperiment.HeldOutNotes(data);
        var (melMean, melStd) = WaveGlowExperiment.MelStatistics(data, melTransform, pitches);
        var (heldOutAudio, heldOutMel) = Notes(heldOut, melTransform, melMean, melStd, s.Model.Hop, device);
        var (validationAudio, validationMel) = Notes(WaveGlowExperiment.ValidationNotes(data, s.ValidationNotes, pitches), melTransform, melMean,
            melStd, s.Model.Hop, device);
        var seeds = context.Seeds(s.Seeds);
        var models = s.Heights.Select(HeightName).ToArray();
        using (var probe = new WaveFlow(s.Model, device: device))
            context.Run.AddHyperparameters(new
            {
                model = s.Model.ToString(), heights = string.Join(",", s.Heights), parameters = probe.ParameterCount(), s.Steps, s.Batch,
                s.CropFrames, learning_rates = string.Join(",", s.LearningRates.Select(lr => lr.ToString(CultureInfo.InvariantCulture))),
                tuned = "peak learning rate, per h: lowest validation bits/sample on the first seed", s.Seeds, held_out = string.Join("; ", names),
                validation_notes = s.ValidationNotes, mel_mean = melMean, mel_std = melStd,
            });
        var firstSeed = new Dictionary<string, WaveFlow>();
        var trained = new Dictionary<(int Seed, string Config), TrainedRun>();
        try
        {
            var tuning = LearningRateTuning.Run(models, s.LearningRates, seeds, (seed, configs) =>
            {
                int n = seeds.ToList().IndexOf(seed);
                var nets = configs.Select(c =>
                {
                    ManualSeed(seed);                                                 // every learning rate of an h starts from the same weights
                    return new WaveFlow(s.Model with { Height = s.Heights[Array.IndexOf(models, c.Model)] }, device: device);
                }).ToArray();
                var scores = new ScoredRun[configs.Count];
                Parallel.For(0, configs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(2, Environment.ProcessorCount) }, i =>
                {
                    using var perThread = ThreadLimit.ForSmallModels();
                    var name = SideBySideTraining.ConfigName(configs[i].Model, configs[i].LearningRate);
                    var run = Train(context, s, data, $"seed{n}/{name}/", seed, configs[i].LearningRate, nets[i], melTransform, melMean, melStd,
                        pitches, heldOutAudio, heldOutMel);
                    double validation = double.IsFinite(run.Final) ? Bits(nets[i], validationAudio, validationMel) : double.NaN;
                    lock (trained) trained[(n, name)] = run;
                    scores[i] = new ScoredRun(validation, run.Final);
                });
                for (int i = 0; i < configs.Count; i++)
                {
                    var name = SideBySideTraining.ConfigName(configs[i].Model, configs[i].LearningRate);
                    context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                        $"seed {n}, {name}: validation {scores[i].Validation:F3}, held-out {scores[i].Test:F3} bits/sample"));
                    if (n == 0) firstSeed[name] = nets[i];
                    else nets[i].Dispose();
                }
                return scores;
            }, higherIsBetter: false);

            var chosen = models.Select(m => firstSeed[SideBySideTraining.ConfigName(m, tuning.Chosen[m])]).ToArray();
            var seconds = SamplingSeconds(s, chosen, heldOutMel.Narrow(0, 0, 1));
            var heights = s.Heights.Select((h, k) =>
            {
                var config = SideBySideTraining.ConfigName(models[k], tuning.Chosen[models[k]]);
                var runs = Enumerable.Range(0, seeds.Count).Select(i => trained[(i, config)]).ToArray();
                float[][] generated;
                using (NewScope())
                {
                    ManualSeed((ulong)data.DataSeed);
                    var audio = chosen[k].Generate(heldOutMel, s.Temperature);
                    generated = Enumerable.Range(0, heldOut.Length).Select(n => audio.Select(0, n).ToArray<float>()).ToArray();
                }
                return new WaveFlowHeight(h, chosen[k].ParameterCount(), tuning.Chosen[models[k]], tuning.Sweep[models[k]], tuning.Test[models[k]],
                    new SeedSummary(runs.Select(r => r.Initial)), h * s.Model.Flows, seconds[k], generated, runs.Select(r => r.Curve).ToArray());
            }).ToArray();

            var (low, high) = (heights[0], heights[^1]);
            var gain = low.HeldOutBits.Minus(high.HeldOutBits);
            var check = new ClaimCheck()
                .AtLeast($"held-out bits/sample, h = {low.Height} − h = {high.Height}", gain, s.MinBitsGain, minSeeds: s.MinWins, format: "F3");
            if (heights.Length > 2)
            {
                var mid = heights[heights.Length / 2];
                bool between = mid.HeldOutBits.Mean < low.HeldOutBits.Mean && mid.HeldOutBits.Mean > high.HeldOutBits.Mean;
                check.That($"mean held-out bits/sample of h = {mid.Height} between h = {low.Height} and h = {high.Height}", between,
                    $"{low.HeldOutBits.Mean:F3} > {mid.HeldOutBits.Mean:F3} > {high.HeldOutBits.Mean:F3}");
            }
            check.AtLeast($"sampling wall time, h = {high.Height} ÷ h = {low.Height}", high.SamplingSeconds / low.SamplingSeconds, s.MinTimeRatio,
                format: "F1");
            var metrics = new Dictionary<string, double> { ["parameters"] = low.Parameters };
            foreach (var h in heights)
            {
                metrics[$"h{h.Height}_heldout_bits"] = h.HeldOutBits.Mean;
                metrics[$"h{h.Height}_heldout_bits_spread"] = h.HeldOutBits.Spread;
                metrics[$"h{h.Height}_lr"] = h.LearningRate;
                metrics[$"h{h.Height}_sampling_s"] = h.SamplingSeconds;
            }
            var outcome = new WaveFlowOutcome(s, heights, names, heldOut, data.SampleRate);
            return check.Result(metrics, null, outcome);
        }
        finally
        {
            foreach (var net in firstSeed.Values) net.Dispose();
            foreach (var t in new[] { heldOutAudio, heldOutMel, validationAudio, validationMel }) t.Dispose();
        }
    }

    /// <summary>One training run: held-out bits/sample before and after (NaN: the loss diverged) and at the evaluations.</summary>
    private sealed record TrainedRun(double Initial, double Final, (long, double)[] Curve);

    /// <summary>Notes [n, samples] on the device and their standardised log-mel, both outside any scope.</summary>
    private static (Tensor Audio, Tensor Mel) Notes(float[][] notes, LogMelSpectrogram melTransform, double melMean, double melStd, int hop,
        Device device)
    {
        using var scope = NewScope();
        var audio = Tensor.From(notes.SelectMany(w => w).ToArray(), notes.Length, notes[0].Length).To(device);
        var mel = (WaveGlowExperiment.LogMel(melTransform, audio, hop) - melMean) / melStd;
        return (scope.Keep(audio).DetachFromScope(), scope.Keep(mel).DetachFromScope());
    }

    /// <summary>Bits/sample of <paramref name="audio"/> given its mel (no gradients).</summary>
    private static double Bits(WaveFlow net, Tensor audio, Tensor mel)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return net.BitsPerSample(audio, mel).Item<float>();
    }

    /// <summary>
    /// Trains one model: Adam with warm-up and cosine decay from <paramref name="learningRate"/>, gradients clipped to norm 1, fresh notes
    /// from the seed's generator (the same notes for every h and learning rate of a seed). A non-finite loss ends the run with a NaN result.
    /// </summary>
    private static TrainedRun Train(ExperimentContext context, WaveFlowSettings s, WaveGlowSettings data, string prefix, ulong seed,
        double learningRate, WaveFlow net, LogMelSpectrogram melTransform, double melMean, double melStd, double[] avoid, Tensor heldOutAudio,
        Tensor heldOutMel)
    {
        var random = new Random((int)(seed % int.MaxValue));
        var schedule = LearningRates.WarmupCosine(learningRate, Math.Max(1, s.Steps / 20), s.Steps, learningRate / 10);
        using var optimizer = new Adam(net.Parameters(), lr: learningRate);
        var curve = new List<(long, double)>();
        double Evaluate(long step)
        {
            double bits = Bits(net, heldOutAudio, heldOutMel);
            context.Run.Record(step, prefix + "heldout_nll", bits);
            curve.Add((step, bits));
            return bits;
        }
        double initial = Evaluate(0), last = initial;
        int every = Math.Max(1, s.Steps / 4);
        for (int step = 1; step <= s.Steps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using (NewScope())
            {
                var (audio, mel) = WaveGlowExperiment.TrainingBatch(data, random, melTransform, melMean, melStd, avoid, heldOutAudio.Device);
                try
                {
                    float value = WaveGlowExperiment.MaximumLikelihoodStep(net, optimizer, schedule(step - 1), net.BitsPerSample(audio, mel),
                        prefix.TrimEnd('/'), step);
                    context.Run.Record(step, prefix + "nll", value);
                }
                catch (InvalidOperationException diverged)
                {
                    context.Run.Log(diverged.Message);
                    return new TrainedRun(initial, double.NaN, [.. curve]);
                }
            }
            if (step % every == 0 || step == s.Steps) last = Evaluate(step);
        }
        return new TrainedRun(initial, last, [.. curve]);
    }

    /// <summary>Median seconds to sample one held-out note with each net, on one thread, the nets timed alternately.</summary>
    private static double[] SamplingSeconds(WaveFlowSettings s, WaveFlow[] nets, Tensor mel)
    {
        using var threads = ThreadLimit.To(1);
        var ms = AlternatingTimer.MedianMilliseconds(
            nets.Select(net => (Action)(() => { using (NewScope()) net.Generate(mel, s.Temperature).Sum().Item<float>(); })).ToArray(), s.TimingRepeats);
        return ms.Select(v => v / 1000).ToArray();
    }
}
