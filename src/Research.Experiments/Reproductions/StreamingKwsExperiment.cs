using System.Diagnostics;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes and thresholds of the streaming keyword-spotting experiment at one scale.</summary>
/// <param name="SampleRate">Audio rate (Hz); frames are 10 ms hops of a 256-point STFT with 40 mel bands.</param>
/// <param name="Net">The keyword spotter.</param>
/// <param name="Steps">Adam steps (fresh noisy clips every step).</param>
/// <param name="Batch">Clips per step.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Seeds">Seeds.</param>
/// <param name="Speeds">espeak-ng speaking rates (words per minute).</param>
/// <param name="SnrDb">Range of the speech-to-noise ratio (dB).</param>
/// <param name="MinAccuracy">Held-out-voice accuracy (6 classes, chance 1/6) must be at least this (0: not checked).</param>
/// <param name="DataSeed">Seed of the held-out clips and the long stream.</param>
public sealed record StreamingKwsSettings(int SampleRate, KeywordSpotterConfig Net, int Steps, int Batch, double LearningRate, int Seeds,
    int[] Speeds, (double Min, double Max) SnrDb, double MinAccuracy, int DataSeed = 2020)
{
    /// <summary>smoke: 60 steps of 16, one seed, one speed, accuracy not checked; cpu: 2000 steps of 32 at lr 2e-3, 3 speeds, 5 seeds; gpu: 4000 steps, 5 seeds.</summary>
    public static StreamingKwsSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(8000, new KeywordSpotterConfig(Channels: 16, Hidden: 24, Classes: 6), 60, 16, 3e-3, 1, [150], (10, 20), 0),
        Scale.Cpu => new(8000, new KeywordSpotterConfig(Classes: 6), 2000, 32, 2e-3, 5, [120, 160, 200], (5, 20), 0.8),
        _ => new(8000, new KeywordSpotterConfig(Channels: 64, Hidden: 96, Classes: 6), 4000, 64, 1e-3, 5, [120, 160, 200], (5, 20), 0.8),
    };

    /// <summary>Samples per training and held-out clip (1 s).</summary>
    public int ClipLength => SampleRate;
}

/// <summary>What the streaming-kws notebook draws.</summary>
/// <param name="Settings">The settings.</param>
/// <param name="Parameters">Parameters of the spotter.</param>
/// <param name="Accuracy">Held-out-voice accuracy (non-streaming, last frame) per seed.</param>
/// <param name="StatelessAccuracy">The control: the streaming network reset every 10 frames (no state carried), per seed.</param>
/// <param name="StreamGap">Max |streaming − non-streaming| logit over the long held-out stream, chunks of 1 and 7 frames, per seed (float32).</param>
/// <param name="StreamGap64">The same in a float64 copy of the first seed's network.</param>
/// <param name="LatencyMs">Median milliseconds per streamed frame (chunks of one frame, one thread), first seed.</param>
/// <param name="Confusion">First seed: counts [true class][predicted class] on the held-out clips.</param>
/// <param name="Stream">The long held-out stream (samples).</param>
/// <param name="StreamWords">(start sample, class) of every word in the stream.</param>
/// <param name="Scores">First seed: softmax per streamed frame [frame][class].</param>
public sealed record StreamingKwsOutcome(StreamingKwsSettings Settings, long Parameters, SeedSummary Accuracy, SeedSummary StatelessAccuracy,
    SeedSummary StreamGap, double StreamGap64, double LatencyMs, double[][] Confusion, float[] Stream, (int Start, int Label)[] StreamWords,
    float[][] Scores);

/// <summary>
/// Rybakov et al. (2020), "Streaming keyword spotting on mobile devices" — the experiment of notebooks/audio/streaming-kws.ipynb.
/// A <see cref="KeywordSpotter"/> (causal dilated convolutions + GRU) learns to classify 1-s clips of espeak-ng words in red
/// noise (silence, unknown word, "yes", "no", "stop", "go") from its last frame; it is then run as a
/// <see cref="StreamingKeywordSpotter"/> (conv buffers, GRU state) over a long held-out stream and compared frame for frame
/// with the non-streaming network. Held-out clips use voices never trained on. The control runs the streaming network with
/// its state reset every 10 frames. Metrics per step: <c>seed{n}/kws/loss</c>.
/// </summary>
public sealed class StreamingKwsExperiment : IExperiment
{
    private readonly Func<Scale, StreamingKwsSettings> _settings;

    /// <summary>The experiment with <see cref="StreamingKwsSettings.For"/>'s sizes.</summary>
    public StreamingKwsExperiment() : this(StreamingKwsSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public StreamingKwsExperiment(Func<Scale, StreamingKwsSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "streaming-kws";

    /// <inheritdoc />
    public string Family => "audio analysis";

    /// <inheritdoc />
    public string Title => "Streaming keyword spotting on mobile devices (Rybakov et al., 2020)";

    /// <inheritdoc />
    public string? Narrower => "espeak-ng words in red noise at 8 kHz, 6 classes, one CNN+GRU model instead of the paper's model zoo, features computed offline";

    /// <inheritdoc />
    public string Claim => "a CNN+GRU keyword spotter converted to streaming inference (conv buffers, GRU state) gives the same logits as " +
        "the non-streaming network frame for frame (max |Δ| ≤ 1e-4 in float32) on held-out audio, and classifies clips of held-out voices " +
        "with accuracy ≥ 0.8 (chance 1/6); mean and every one of 5 seeds (smoke: one seed, 60 steps, the streaming identity only)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        var train = SpokenKeywords.Words(SpokenKeywords.TrainingVoices, s.Speeds, s.SampleRate);
        var held = SpokenKeywords.Words(SpokenKeywords.HeldOutVoices, s.Speeds, s.SampleRate);
        using var mel = new LogMelSpectrogram(s.SampleRate, nFft: 256, hopLength: Hop(s), nMels: s.Net.Mels);
        var heldRandom = new Random(s.DataSeed);
        var heldClips = held.Select(w => (SpokenKeywords.Clip(heldRandom, w, s.ClipLength, s.SnrDb), w.Label))
            .Concat(Enumerable.Range(0, held.Count / 10).Select(_ => (SpokenKeywords.Clip(heldRandom, null, s.ClipLength, s.SnrDb), 0))).ToArray();
        var (stream, streamWords) = Stream(s, held, new Random(s.DataSeed + 1));
        context.Run.AddHyperparameters(new { s.SampleRate, net = s.Net.ToString(), s.Steps, s.Batch, s.LearningRate, s.Seeds, training_words = train.Count, held_out_clips = heldClips.Length });

        var seeds = context.Seeds(s.Seeds);
        var accuracy = new List<double>();
        var stateless = new List<double>();
        var gaps = new List<double>();
        double gap64 = double.NaN, latency = double.NaN;
        double[][] confusion = [];
        float[][] scores = [];
        long parameters = 0;
        foreach (var seed in seeds)
        {
            int n = (int)(seed - context.Seed);
            ManualSeed(seed);
            using var net = new KeywordSpotter(s.Net, device: device);
            parameters = net.ParameterCount();
            using var optimizer = new Adam(net.Parameters(), lr: s.LearningRate);
            var random = new Random((int)(seed % int.MaxValue));
            for (int step = 1; step <= s.Steps; step++)
            {
                using var scope = NewScope();
                int frames = s.ClipLength / Hop(s) + 1;
                var targets = new long[s.Batch * frames];
                var clips = new float[s.Batch][];
                for (int b = 0; b < s.Batch; b++)
                {
                    int label = random.Next(SpokenKeywords.Classes.Count);
                    var pool = train.Where(w => w.Label == label).ToArray();
                    var word = label == 0 ? null : pool[random.Next(pool.Length)];
                    (clips[b], int start) = SpokenKeywords.ClipAt(random, word, s.ClipLength, s.SnrDb);
                    for (int t = 0; t < frames; t++) targets[b * frames + t] = FrameTarget(s, word, start, t);
                }
                var logits = net.Forward(Features(mel, clips, device));                                      // [batch, T, classes]
                var loss = F.CrossEntropy(logits.Reshape(-1, logits.Size(2)), Tensor.From(targets, s.Batch * frames).To(device));
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                context.Run.Record(step, $"seed{n}/kws/loss", loss.Item<float>());
                context.Cancellation.ThrowIfCancellationRequested();
            }

            var (acc, matrix) = Evaluate(net, mel, heldClips, device);
            accuracy.Add(acc);
            stateless.Add(StatelessAccuracy(net, mel, heldClips, device));
            using (NewScope())
            {
                var features = Features(mel, [stream], device);
                var whole = Logits(net, features);
                double gap = 0;
                foreach (var chunk in new[] { 1, 7 })
                    gap = Math.Max(gap, MaxAbs(whole, Streamed(net, features, chunk)));
                gaps.Add(gap);
                if (n == 0)
                {
                    confusion = matrix;
                    scores = Rows(whole.Softmax(2).Select(0, 0));
                    using var copy = new KeywordSpotter(s.Net, DType.Float64, device);
                    copy.LoadStateDict(net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Double()));
                    var f64 = features.Double();
                    gap64 = Math.Max(MaxAbs(Logits(copy, f64), Streamed(copy, f64, 1)), MaxAbs(Logits(copy, f64), Streamed(copy, f64, 7)));
                    latency = Latency(net, features);
                }
            }
            context.Run.Log($"seed {seed}: held-out accuracy {acc:F3}, stateless {stateless[^1]:F3}, stream gap {gaps[^1]:G3}");
        }

        var outcome = new StreamingKwsOutcome(s, parameters, new SeedSummary(accuracy), new SeedSummary(stateless), new SeedSummary(gaps), gap64,
            latency, confusion, stream, streamWords, scores);
        var check = new ClaimCheck()
            .AtMost("max |streaming − non-streaming| logit, held-out stream (float32)", outcome.StreamGap, 1e-4, format: "G3");
        if (s.MinAccuracy > 0) check.AtLeast("held-out-voice accuracy (6 classes)", outcome.Accuracy, s.MinAccuracy, format: "F3");
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = outcome.Accuracy.Mean, ["stateless_accuracy"] = outcome.StatelessAccuracy.Mean, ["stream_gap"] = outcome.StreamGap.Max,
            ["stream_gap_float64"] = gap64, ["latency_ms_per_frame"] = latency, ["parameters"] = parameters,
        };
        return check.Result(metrics, null, outcome);
    }

    /// <summary>Samples between frames (10 ms).</summary>
    public static int Hop(StreamingKwsSettings s) => s.SampleRate / 100;

    /// <summary>
    /// The training target of frame t (centred at sample t·hop): silence before the word (and throughout a silent clip), the
    /// word's class from 3 frames after its end, ignored (−100) while the word is being spoken.
    /// </summary>
    public static long FrameTarget(StreamingKwsSettings s, SpokenWord? word, int start, int t)
    {
        if (word is null) return 0;
        int hop = Hop(s), end = start + word.Samples.Length;
        if ((t + 2) * hop < start) return 0;
        return t * hop >= end + 2 * hop ? word.Label : -100;
    }

    /// <summary>Log-mel frames [n, mels, frames] of clips, scaled by fixed constants ((log-mel + 8) / 4, no per-clip statistics: causal).</summary>
    public static Tensor Features(LogMelSpectrogram mel, IReadOnlyList<float[]> clips, Device device)
    {
        using var scope = NewScope();
        var flat = clips.SelectMany(c => c).ToArray();
        var waves = Tensor.From(flat, clips.Count, clips[0].Length).To(device);
        return scope.Keep((mel.Forward(waves) + 8.0) / 4.0);
    }

    /// <summary>A long stream: every keyword of the held-out words once in a random order (one speed), 0.6–1.0 s of noise apart.</summary>
    public static (float[] Samples, (int Start, int Label)[] Words) Stream(StreamingKwsSettings s, IReadOnlyList<SpokenWord> held, Random random)
    {
        var words = held.Where(w => w.Label >= 2 && w.Speed == s.Speeds[0]).OrderBy(_ => random.Next()).Take(8).ToArray();
        var samples = new List<float>();
        var starts = new List<(int, int)>();
        foreach (var w in words)
        {
            samples.AddRange(SpokenKeywords.Clip(random, null, (int)((0.6 + 0.4 * random.NextDouble()) * s.SampleRate), s.SnrDb));
            var clip = SpokenKeywords.Clip(random, w, w.Samples.Length + 1, s.SnrDb);
            starts.Add((samples.Count, w.Label));
            samples.AddRange(clip);
        }
        samples.AddRange(SpokenKeywords.Clip(random, null, s.SampleRate / 2, s.SnrDb));
        return (samples.ToArray(), starts.ToArray());
    }

    private static Tensor Logits(KeywordSpotter net, Tensor features)
    {
        using var noGrad = NoGrad();
        return net.Forward(features);
    }

    private static Tensor Streamed(KeywordSpotter net, Tensor features, int chunk)
    {
        using var stream = new StreamingKeywordSpotter(net);
        var parts = new List<Tensor>();
        for (long t = 0; t < features.Size(2); t += chunk)
            parts.Add(stream.Step(features.Narrow(2, t, Math.Min(chunk, features.Size(2) - t))));
        return Tensor.Cat(parts.ToArray(), 1);
    }

    private static double MaxAbs(Tensor a, Tensor b) => (a - b).Abs().Max().Double().Item<double>();

    private static (double Accuracy, double[][] Confusion) Evaluate(KeywordSpotter net, LogMelSpectrogram mel, (float[] Clip, int Label)[] clips, Device device)
    {
        using var scope = NewScope();
        var logits = Logits(net, Features(mel, clips.Select(c => c.Clip).ToArray(), device));
        var predicted = logits.Select(1, logits.Size(1) - 1).ArgMax(1).To(Device.CPU).ToArray<long>();
        int k = SpokenKeywords.Classes.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new double[k]).ToArray();
        for (int i = 0; i < clips.Length; i++) confusion[clips[i].Label][predicted[i]]++;
        return (clips.Where((c, i) => c.Label == predicted[i]).Count() / (double)clips.Length, confusion);
    }

    // The control: streaming in chunks of 10 frames with the state reset before every chunk (no buffers, no GRU memory).
    private static double StatelessAccuracy(KeywordSpotter net, LogMelSpectrogram mel, (float[] Clip, int Label)[] clips, Device device)
    {
        using var scope = NewScope();
        var features = Features(mel, clips.Select(c => c.Clip).ToArray(), device);
        using var stream = new StreamingKeywordSpotter(net);
        Tensor last = features;
        for (long t = 0; t < features.Size(2); t += 10)
        {
            stream.Reset();
            last = stream.Step(features.Narrow(2, t, Math.Min(10, features.Size(2) - t)));
        }
        var predicted = last.Select(1, last.Size(1) - 1).ArgMax(1).To(Device.CPU).ToArray<long>();
        return clips.Where((c, i) => c.Label == predicted[i]).Count() / (double)clips.Length;
    }

    // Median milliseconds of one streamed frame (chunks of one frame).
    private static double Latency(KeywordSpotter net, Tensor features)
    {
        using var stream = new StreamingKeywordSpotter(net);
        var times = new List<double>();
        for (long t = 0; t < features.Size(2); t++)
        {
            using var scope = NewScope();
            var watch = Stopwatch.StartNew();
            using var output = stream.Step(features.Narrow(2, t, 1));
            output.Sum().Item<float>();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return PickScore.Median(times);
    }

    private static float[][] Rows(Tensor x)
    {
        using var cpu = x.Float().To(Device.CPU).Contiguous();
        var v = cpu.ToArray<float>();
        int cols = (int)x.Size(1);
        return Enumerable.Range(0, (int)x.Size(0)).Select(i => v.AsSpan(i * cols, cols).ToArray()).ToArray();
    }
}
