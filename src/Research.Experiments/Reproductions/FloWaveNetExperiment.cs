using Research.Experiments.Audio;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes and thresholds of the FloWaveNet experiment at one scale.</summary>
/// <param name="Model">The FloWaveNet (mel bands and hop as the notes of <see cref="WaveGlowSettings"/> at the same scale).</param>
/// <param name="Steps">Adam steps per seed.</param>
/// <param name="LearningRate">Peak Adam learning rate (warm-up, cosine decay to a tenth; gradients clipped to norm 1).</param>
/// <param name="Seeds">Seeds (initialisation, training notes).</param>
/// <param name="Evaluations">Held-out evaluations after the ActNorm initialisation, evenly spaced.</param>
/// <param name="Temperature">σ of the latent when generating (0.7, as the catalogue's claim).</param>
/// <param name="TimingFrames">Clip lengths in mel frames for the sampling-time comparison.</param>
/// <param name="TimingRepeats">Alternating rounds of the timing.</param>
/// <param name="MinNllDrop">Held-out bits/sample must fall by at least this from the ActNorm-initialised flow.</param>
/// <param name="MaxMismatchRatio">Mel L1 of samples to their own mel over to another note's mel must be at most this (0: not checked).</param>
/// <param name="MaxGrowthRatio">The flow's sampling-time growth over the length range, divided by WaveNet's, must be at most this (0: not checked).</param>
/// <param name="MinSpeedup">The flow's samples per second on the longest clip over WaveNet's must be at least this (0: not checked).</param>
public sealed record FloWaveNetSettings(FloWaveNetConfig Model, int Steps, double LearningRate, int Seeds, int Evaluations, double Temperature,
    int[] TimingFrames, int TimingRepeats, double MinNllDrop, double MaxMismatchRatio, double MaxGrowthRatio, double MinSpeedup)
{
    /// <summary>
    /// smoke: 2 blocks × 1 flow of 8 channels, 30 steps, one seed; cpu: 3 blocks × 2 flows (ActNorm + coupling), WN of 3 layers ×
    /// 16 channels, 600 steps, 3 seeds; gpu: 4 blocks × 4 flows of 64 channels, 5000 steps, 5 seeds. The notes, crops and batch
    /// are WaveGlow's at the same scale.
    /// </summary>
    public static FloWaveNetSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new FloWaveNetConfig(Blocks: 2, FlowsPerBlock: 1, ResidualChannels: 8, Layers: 2), Steps: 30, LearningRate: 2e-3,
            Seeds: 1, Evaluations: 1, Temperature: 0.7, TimingFrames: [1, 4], TimingRepeats: 1, MinNllDrop: 0.05, MaxMismatchRatio: 0,
            MaxGrowthRatio: 0, MinSpeedup: 10),
        Scale.Cpu => new(new FloWaveNetConfig(Blocks: 3, FlowsPerBlock: 2, ResidualChannels: 16, Layers: 3), Steps: 600, LearningRate: 3e-3,
            Seeds: 3, Evaluations: 4, Temperature: 0.7, TimingFrames: [4, 8, 16, 32], TimingRepeats: 2, MinNllDrop: 0.5, MaxMismatchRatio: 0.8,
            MaxGrowthRatio: 0.5, MinSpeedup: 0),
        _ => new(new FloWaveNetConfig(MelBands: 40, Blocks: 4, FlowsPerBlock: 4, ResidualChannels: 64, Layers: 4), Steps: 5000,
            LearningRate: 1e-3, Seeds: 5, Evaluations: 10, Temperature: 0.7, TimingFrames: [8, 16, 32, 64, 128], TimingRepeats: 5,
            MinNllDrop: 0.5, MaxMismatchRatio: 0.8, MaxGrowthRatio: 0.5, MinSpeedup: 0),
    };

    /// <summary>The notes, crops and batch: WaveGlow's at this scale, with this model's mel bands.</summary>
    public static WaveGlowSettings Data(Scale scale, FloWaveNetConfig model)
    {
        var data = WaveGlowSettings.For(scale);
        return data with { Model = data.Model with { MelBands = model.MelBands, Hop = model.Hop } };
    }
}

/// <summary>What the FloWaveNet notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">FloWaveNet's parameters.</param>
/// <param name="WaveNet">The parameter-matched autoregressive WaveNet of the timing.</param>
/// <param name="HeldOutBits">Held-out bits/sample after training, over seeds.</param>
/// <param name="InitialBits">Held-out bits/sample after the ActNorm initialisation, over seeds.</param>
/// <param name="MelL1">Mel L1 of samples at <see cref="FloWaveNetSettings.Temperature"/> to their own mel, over seeds.</param>
/// <param name="MismatchedMelL1">The same samples' mel L1 to another held-out note's mel, over seeds.</param>
/// <param name="Curves">Per seed, the held-out evaluations in order.</param>
/// <param name="TimingSamples">Clip lengths of the timing, in samples.</param>
/// <param name="FlowSeconds">Median seconds for FloWaveNet to generate each length (one pass).</param>
/// <param name="WaveNetSeconds">Median seconds for the autoregressive WaveNet to generate each length.</param>
/// <param name="Names">Held-out note names.</param>
/// <param name="Targets">Held-out notes.</param>
/// <param name="Generated">First seed: samples from each held-out note's mel.</param>
public sealed record FloWaveNetOutcome(FloWaveNetSettings Settings, long Parameters, WaveNetConfig WaveNet, SeedSummary HeldOutBits,
    SeedSummary InitialBits, SeedSummary MelL1, SeedSummary MismatchedMelL1, WaveGlowEvaluation[][] Curves, int[] TimingSamples,
    double[] FlowSeconds, double[] WaveNetSeconds, string[] Names, float[][] Targets, float[][] Generated);

/// <summary>
/// Kim et al. (2019), "FloWaveNet: A Generative Flow for Raw Audio" — the experiment of notebooks/audio/flowavenet.ipynb. A
/// <see cref="FloWaveNet"/> (squeeze, ActNorm and affine coupling with a non-causal WaveNet, the layers of
/// <see cref="Research.Models.Flows"/>) learns the harmonic notes of <see cref="WaveGlowExperiment"/> from their log-mel by exact
/// likelihood alone. Measured: held-out bits/sample against the ActNorm-initialised flow, the mel L1 of samples at temperature
/// 0.7 to their own and to another note's mel, and the sampling time over clip lengths against a parameter-matched
/// autoregressive WaveNet (alternating, one thread). Metrics: <c>seed{n}/flowavenet/nll</c>, <c>…/heldout_nll</c>, <c>…/mel_l1</c>.
/// </summary>
public sealed class FloWaveNetExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "flowavenet";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "FloWaveNet: a generative flow for raw audio (Kim et al., 2019)";

    /// <inheritdoc />
    public string? Narrower => "harmonic notes at 8 kHz with 16-band log-mel instead of speech at 22 kHz; 3 blocks × 2 flows of 16 channels; " +
        "mel L1 of samples instead of listening tests; sampling time on one CPU thread, where a parallel pass is cheap but not flat; at cpu " +
        "scale the samples' mel L1 ratio (0.91, below 1 in every seed) and the time-growth ratio (2.0) miss their thresholds";

    /// <inheritdoc />
    public string Claim => "a flow of squeeze, ActNorm and affine coupling with a non-causal WaveNet, trained by exact likelihood alone, " +
        "lowers held-out bits/sample by ≥ 0.5 from its ActNorm-initialised start; its samples at temperature 0.7 follow their mel " +
        "(mel L1 ≤ 0.8× the same samples' L1 to another note's mel); its sampling time grows over an 8× range of clip lengths by at most " +
        "half the factor an autoregressive WaveNet's does; every one of 3 seeds (smoke: one seed, 30 steps, a 0.05-bit drop, and ≥ 10× " +
        "WaveNet's samples per second instead of the growth, which tiny clips leave to load noise)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = FloWaveNetSettings.For(context.Scale);
        var data = FloWaveNetSettings.Data(context.Scale, s.Model);
        var m = s.Model;
        var device = context.Device;
        using var melTransform = new LogMelSpectrogram(data.SampleRate, data.NFft, m.Hop, m.MelBands, power: 1, floor: 1e-5);
        var (names, pitches, heldOut) = WaveGlowExperiment.HeldOutNotes(data);
        var (melMean, melStd) = WaveGlowExperiment.MelStatistics(data, melTransform, pitches);
        using var heldOutAudio = Tensor.From(heldOut.SelectMany(w => w).ToArray(), heldOut.Length, heldOut[0].Length).To(device).DetachFromScope();
        using var heldOutMel = ((WaveGlowExperiment.LogMel(melTransform, heldOutAudio, m.Hop) - melMean) / melStd).DetachFromScope();
        var seeds = context.Seeds(s.Seeds);
        var nets = new FloWaveNet[seeds.Count];
        for (int i = 0; i < seeds.Count; i++)
        {
            ManualSeed(seeds[i]);
            nets[i] = new FloWaveNet(m, device: device);
        }
        long parameters = nets[0].ParameterCount();
        var waveNet = data.WaveNet(parameters);
        context.Run.AddHyperparameters(new { model = m.ToString(), parameters, wavenet = waveNet.ToString(), s.Steps, lr = s.LearningRate, s.Seeds });
        var results = new (WaveGlowEvaluation[] Curve, float[][] Generated)[seeds.Count];
        try
        {
            Parallel.For(0, seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(2, Environment.ProcessorCount) }, i =>
            {
                using var perThread = ThreadLimit.ForSmallModels();
                results[i] = TrainSeed(context, s, data, i, seeds[i], nets[i], melTransform, melMean, melStd, pitches, heldOutAudio, heldOutMel);
            });
            var (flowSeconds, waveNetSeconds) = Timings(s, nets[0], waveNet, heldOutMel, device);
            SeedSummary Over(Func<WaveGlowEvaluation[], double> f) => new(results.Select(r => f(r.Curve)));
            var bits = Over(c => c[^1].Bits);
            var initial = Over(c => c[0].Bits);
            var l1 = Over(c => c[^1].MelL1);
            var mismatched = Over(c => c[^1].MismatchedMelL1);
            double flowGrowth = flowSeconds[^1] / flowSeconds[0], waveNetGrowth = waveNetSeconds[^1] / waveNetSeconds[0];
            var check = new ClaimCheck().AtLeast("held-out bits/sample, ActNorm start − trained", initial.Minus(bits), s.MinNllDrop, format: "F2");
            if (s.MaxMismatchRatio > 0)
                check.AtMost("mel L1 of samples to their own mel ÷ to another note's mel", new SeedSummary(l1.Values.Zip(mismatched.Values, (a, b) => a / b)),
                    s.MaxMismatchRatio, format: "F3");
            if (s.MaxGrowthRatio > 0)
                check.AtMost($"sampling-time growth over {s.TimingFrames[^1] / s.TimingFrames[0]}× length, FloWaveNet ÷ WaveNet", flowGrowth / waveNetGrowth,
                    s.MaxGrowthRatio, format: "F3");
            if (s.MinSpeedup > 0)
                check.AtLeast("samples per second on the longest clip, FloWaveNet ÷ WaveNet", waveNetSeconds[^1] / flowSeconds[^1], s.MinSpeedup, format: "F0");
            var metrics = new Dictionary<string, double>
            {
                ["parameters"] = parameters, ["wavenet_parameters"] = waveNet.ParameterCount, ["heldout_bits"] = bits.Mean, ["initial_bits"] = initial.Mean,
                ["mel_l1"] = l1.Mean, ["mismatched_mel_l1"] = mismatched.Mean, ["flow_growth"] = flowGrowth, ["wavenet_growth"] = waveNetGrowth,
                ["flowavenet_samples_per_s"] = s.TimingFrames[^1] * m.Hop / flowSeconds[^1], ["wavenet_samples_per_s"] = s.TimingFrames[^1] * m.Hop / waveNetSeconds[^1],
            };
            var outcome = new FloWaveNetOutcome(s, parameters, waveNet, bits, initial, l1, mismatched, results.Select(r => r.Curve).ToArray(),
                s.TimingFrames.Select(f => f * m.Hop).ToArray(), flowSeconds, waveNetSeconds, names, heldOut, results[0].Generated);
            return check.Result(metrics, null, outcome);
        }
        finally
        {
            foreach (var net in nets) net.Dispose();
        }
    }

    private static (WaveGlowEvaluation[] Curve, float[][] Generated) TrainSeed(ExperimentContext context, FloWaveNetSettings s, WaveGlowSettings data,
        int index, ulong seed, FloWaveNet net, LogMelSpectrogram melTransform, double melMean, double melStd, double[] avoid, Tensor heldOutAudio,
        Tensor heldOutMel)
    {
        var prefix = $"seed{index}/flowavenet/";
        var random = new Random((int)(seed % int.MaxValue));
        var schedule = LearningRates.WarmupCosine(s.LearningRate, Math.Max(1, s.Steps / 20), s.Steps, s.LearningRate / 10);
        using (NewScope())                                                              // ActNorm's data-dependent start: the first batch
        using (NoGrad())
        {
            var (audio, mel) = WaveGlowExperiment.TrainingBatch(data, random, melTransform, melMean, melStd, avoid, heldOutAudio.Device);
            net.BitsPerSample(audio, mel);
        }
        using var optimizer = new Adam(net.Parameters(), lr: s.LearningRate);
        var curve = new List<WaveGlowEvaluation>();
        Tensor Sample()
        {
            lock (s_noise)
            {
                ManualSeed((ulong)data.DataSeed);
                return net.Generate(heldOutMel, s.Temperature);
            }
        }
        void Evaluate(long step)
        {
            using var scope = NewScope();
            double bits;
            using (NoGrad()) bits = net.BitsPerSample(heldOutAudio, heldOutMel).Item<float>();
            var target = heldOutMel * melStd + melMean;
            var produced = WaveGlowExperiment.LogMel(melTransform, Sample(), s.Model.Hop);
            double l1 = (produced - target).Abs().Mean().Item<float>(), other = (produced - target.Roll(1, 0)).Abs().Mean().Item<float>();
            context.Run.Record(step, prefix + "heldout_nll", bits);
            context.Run.Record(step, prefix + "mel_l1", l1);
            context.Run.Record(step, prefix + "mismatched_mel_l1", other);
            curve.Add(new WaveGlowEvaluation(step, bits, l1, other));
        }
        Evaluate(0);
        int every = Math.Max(1, s.Steps / s.Evaluations);
        for (int step = 1; step <= s.Steps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using (NewScope())
            {
                var (audio, mel) = WaveGlowExperiment.TrainingBatch(data, random, melTransform, melMean, melStd, avoid, heldOutAudio.Device);
                float value = WaveGlowExperiment.MaximumLikelihoodStep(net, optimizer, schedule(step - 1), net.BitsPerSample(audio, mel), $"seed {index}", step);
                context.Run.Record(step, prefix + "nll", value);
            }
            if (step % every == 0 || step == s.Steps) Evaluate(step);
        }
        using var final = NewScope();
        var samples = Sample();
        return ([.. curve], Enumerable.Range(0, (int)samples.Size(0)).Select(n => samples.Select(0, n).ToArray<float>()).ToArray());
    }

    private static readonly Lock s_noise = new();

    /// <summary>Median seconds per clip length: FloWaveNet's one pass from the first held-out mel, and WaveNet's sample-by-sample generation.</summary>
    private static (double[] Flow, double[] WaveNet) Timings(FloWaveNetSettings s, FloWaveNet net, WaveNetConfig config, Tensor mel, Device device)
    {
        using var threads = ThreadLimit.To(1);
        using var scope = NewScope();
        ManualSeed(0);
        using var waveNet = new WaveNet(config, device: device);
        var flow = new double[s.TimingFrames.Length];
        var ar = new double[s.TimingFrames.Length];
        for (int k = 0; k < s.TimingFrames.Length; k++)
        {
            var clip = mel.Narrow(0, 0, 1).Narrow(2, 0, s.TimingFrames[k]);
            long samples = s.TimingFrames[k] * s.Model.Hop;
            var ms = AlternatingTimer.MedianMilliseconds(
            [
                () => { using (NewScope()) net.Generate(clip, s.Temperature).Sum().Item<float>(); },
                () => { using (NewScope()) waveNet.Generate(samples, seed: 0).Sum().Item<long>(); },
            ], s.TimingRepeats);
            (flow[k], ar[k]) = (ms[0] / 1000, ms[1] / 1000);
        }
        return (flow, ar);
    }
}
