using Research.Experiments.Data;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the VSSM experiment at one scale.</summary>
/// <param name="Latent">Latent channels per step of the VSSM.</param>
/// <param name="Width">Channels of the VSSM's encoder and decoder stacks.</param>
/// <param name="State">State channels of every SSM layer.</param>
/// <param name="Layers">SSM layers in the encoder and in the decoder.</param>
/// <param name="Steps">Adam steps for both models.</param>
/// <param name="Batch">Digits per step.</param>
/// <param name="LearningRates">Learning rates swept for both models on the first seed (chosen on validation bits).</param>
/// <param name="Seeds">Seeds.</param>
/// <param name="TestSamples">Posterior samples averaged in the VSSM's test ELBO.</param>
/// <param name="ImportanceSamples">Samples of the importance-weighted bound (reported, not checked).</param>
/// <param name="TimingLengths">Sequence lengths at which generation is timed.</param>
/// <param name="TimingBatch">Sequences generated per call in the timing.</param>
/// <param name="TimingRounds">Alternating rounds per length (medians are reported).</param>
/// <param name="SamplerDraws">Sequences drawn independently from each sampler (parallel, token loop, control) per seed's VSSM.</param>
/// <param name="Permutations">Relabellings of the permutation test that compares the samplers (<see cref="BinaryTwoSampleTest"/>).</param>
/// <param name="MaxElboRatio">VSSM's test −ELBO may be at most this multiple of the GRU's test NLL (0: not checked).</param>
/// <param name="MinSpeedup">
/// At the longest length, GRU generation time / VSSM generation time, and the VSSM's token-loop time / its parallel time, must
/// reach this (0: not checked).
/// </param>
public sealed record VssmSettings(int Latent, int Width, int State, int Layers, int Steps, int Batch, double[] LearningRates, int Seeds,
    int TestSamples, int ImportanceSamples, int[] TimingLengths, int TimingBatch, int TimingRounds, int SamplerDraws, int Permutations,
    double MaxElboRatio, double MinSpeedup)
{
    /// <summary>
    /// Family-wise level of the sampler comparison: each seed's permutation test runs at α / seeds, so that five samplers that
    /// agree all pass with probability ≥ 95 %. The parallel sampler's p-value must exceed it (no detectable difference to the
    /// token loop) and the control's must not (the test detects a sampler that gets the recurrence wrong).
    /// </summary>
    public const double SamplerAlpha = 0.05;

    /// <summary>Lags of the pixel pairs compared besides the pixels: right neighbour (1) and the pixel below (8).</summary>
    public static readonly int[] SamplerLags = [1, 8];

    /// <summary>Pixels per row: the control's token loop resets the decoder's state at the start of every row.</summary>
    public const int Row = 8;

    /// <summary>Pixels per digit: the sequence length of the likelihood comparison.</summary>
    public const int Length = 64;

    /// <summary>
    /// The control: the VSSM's −ELBO must be at most this multiple of the −ELBO of the same decoder trained with latents that
    /// carry no information (q(z | x) = p(z), <see cref="VssmExperiment.CreateControl"/>) — the inferred latents must buy at
    /// least 10 %, the tolerance of the comparison with the GRU (checked where <see cref="MaxElboRatio"/> is).
    /// </summary>
    public const double MaxControlRatio = 0.9;

    /// <summary>
    /// Sampler comparison: 2,000 sequences from each sampler per seed and 999 permutations at cpu and gpu, 400 and 199 at smoke
    /// (printed, not checked). smoke: 15 steps at lr 2e-2, one seed, timing at T = 64 (printed); checked only that the VSSM's −ELBO is below
    /// 64 ln 2 (a fair coin per pixel). cpu: 400 steps, lr ∈ {3e-3, 1e-2}, 5 seeds (3 left the margin of the likelihood ratio
    /// below twice its seed-to-seed spread), timing at T = 64 … 4096, 5 rounds;
    /// gpu: 3000 steps, lr ∈ {1e-3, 3e-3, 1e-2}, 5 seeds. VSSM: 8 latents per step, encoder and decoder of 2 SSM layers ×
    /// 32 channels × 32 states (scan chunks of 8 steps).
    /// </summary>
    public static VssmSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(8, 32, 32, 2, Steps: 15, Batch: 32, LearningRates: [2e-2], Seeds: 1, TestSamples: 1, ImportanceSamples: 2,
            TimingLengths: [64], TimingBatch: 16, TimingRounds: 1, SamplerDraws: 400, Permutations: 199, MaxElboRatio: 0, MinSpeedup: 0),
        Scale.Cpu => new(8, 32, 32, 2, Steps: 400, Batch: 32, LearningRates: [3e-3, 1e-2], Seeds: 5, TestSamples: 8, ImportanceSamples: 64,
            TimingLengths: [64, 256, 1024, 4096], TimingBatch: 16, TimingRounds: 5, SamplerDraws: 2000, Permutations: 999,
            MaxElboRatio: 1.1, MinSpeedup: 5),
        _ => new(8, 32, 32, 2, Steps: 3000, Batch: 32, LearningRates: [1e-3, 3e-3, 1e-2], Seeds: 5, TestSamples: 8, ImportanceSamples: 256,
            TimingLengths: [64, 256, 1024, 4096, 16384], TimingBatch: 16, TimingRounds: 5, SamplerDraws: 2000, Permutations: 999,
            MaxElboRatio: 1.1, MinSpeedup: 5),
    };
}

/// <summary>
/// Median generation wall times (ms for the whole batch) at one length, timed in alternating rounds: the VSSM's parallel
/// sampler, the GRU's token loop and the VSSM's own token loop (<see cref="VariationalSsm.GenerateStepwise"/>).
/// </summary>
public sealed record GenerationTiming(int Length, double VssmMs, double GruMs, double VssmLoopMs);

/// <summary>
/// One seed's VSSM sampled three ways, independent draws each: the parallel sampler against the token loop (the same
/// distribution: the test must not reject) and against the control, the token loop with the decoder's state reset at every
/// row (a wrong recurrence: the test must reject).
/// </summary>
public sealed record SamplerComparison(TwoSampleOutcome LoopVsParallel, TwoSampleOutcome ControlVsParallel);

/// <summary>What the VSSM notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">Parameters per model ("vssm", "gru", "vssm-prior").</param>
/// <param name="Tuning">Chosen learning rates, the first seed's validation sweep and the test scores (nats per digit: VSSM and control −ELBO, GRU NLL).</param>
/// <param name="ImportanceBound">The first seed's VSSM: −(importance-weighted bound) on the test digits, nats per digit.</param>
/// <param name="Timing">Generation wall times per length.</param>
/// <param name="Threads">Intra-op threads during the timing.</param>
/// <param name="Samples">
/// Per source ("test digits", "VSSM", "VSSM token loop", "GRU", "control"): 16 digits tiled 4 × 4 (8×8 each, one-pixel gaps
/// of 0.5).
/// </param>
/// <param name="Samplers">Per seed, the comparison of the VSSM's samplers.</param>
/// <param name="PixelMeans">
/// The first seed's per-pixel means, 8×8: "test digits", "parallel", "token loop", "control (state reset per row)".
/// </param>
/// <param name="SamplerThreads">Intra-op threads while sampling for the comparison.</param>
public sealed record VssmOutcome(VssmSettings Settings, IReadOnlyDictionary<string, long> Parameters, TuningOutcome Tuning, double ImportanceBound,
    GenerationTiming[] Timing, int Threads, IReadOnlyDictionary<string, double[][]> Samples, SamplerComparison[] Samplers,
    IReadOnlyDictionary<string, double[][]> PixelMeans, int SamplerThreads);

/// <summary>
/// VSSM ("Parallelizing Autoregressive Generation with Variational State Space Models"): a VAE whose encoder and decoder are
/// diagonal linear SSMs (<see cref="VariationalSsm"/>) against an autoregressive GRU (<see cref="AutoregressiveGru"/>) with about
/// as many parameters, on binarised sequential digits (8×8, 64 pixels), the same batches, steps and learning-rate sweep.
/// Control, trained alongside with the same budget and sweep: the VSSM's decoder alone, widened to the same parameters, whose
/// latents are drawn from the prior in training too ("vssm-prior": they carry no information about the digit).
/// Then, per seed, the VSSM's parallel sampler against its token loop on independent draws (<see cref="BinaryTwoSampleTest"/>,
/// control: the loop with the decoder's state reset every row), generation wall time against the sequence length (sides
/// alternated, medians, one thread) and sample grids.
/// Metrics: <c>seed{n}/digits/{model@lr}/loss</c> and <c>…/validation_nats</c>. Outcome: <see cref="VssmOutcome"/>.
/// </summary>
public sealed class VssmExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "vssm";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "VSSM: parallel generation with variational state space models";

    /// <inheritdoc />
    public string? Narrower => "binarised 8×8 digits (64 pixels) against a GRU only; the autoregressive (prefix-conditioned) VSSM is not tried";

    /// <inheritdoc />
    public string Claim =>
        "on binarised sequential 8×8 digits a VSSM (SSM encoder and decoder, i.i.d. latents) has a test −ELBO at most 1.1× the test NLL of an " +
        "autoregressive GRU with about as many parameters (same steps and learning-rate sweep), mean and every one of 5 seeds; and it generates " +
        "4096-step sequences at least 5× faster than the GRU's token loop (one thread, medians of alternating rounds). Control: its −ELBO is " +
        FormattableString.Invariant($"at most {VssmSettings.MaxControlRatio}× that of the same decoder trained with latents that carry no information (q(z | x) = p(z), ") +
        "widened to the same parameters; mean and every seed). The check that matters for parallel generation: 2,000 independent " +
        "samples of each seed's VSSM from the parallel sampler and from a token loop through the decoder's recurrence are not told " +
        "apart by a permutation test on pixel and neighbour-pair frequencies (p > 0.05 / 5 in every seed), while the control, the loop " +
        "with the decoder's state reset every row, is (p ≤ 0.01 in every seed); and the parallel sampler is ≥ 5× faster than the " +
        "token loop at T = 4096; smoke: 15 steps, VSSM −ELBO below 64 ln 2";

    /// <summary>The models compared: the VSSM, the GRU and the control (the decoder alone, latents from the prior).</summary>
    public static readonly string[] Models = ["vssm", "gru", "vssm-prior"];

    /// <summary>The VSSM of the settings.</summary>
    public static VariationalSsm CreateVssm(VssmSettings s, Device? device = null) => new(s.Latent, s.Width, s.State, s.Layers, Chunk, device: device);

    /// <summary>
    /// The control: a VSSM without an encoder (q(z | x) = p(z)), whose decoder's width and state size W are chosen so that it
    /// has about the VSSM's parameters.
    /// </summary>
    public static VariationalSsm CreateControl(VssmSettings s, Device? device = null)
    {
        long target = VariationalSsm.ParameterCountOf(s.Latent, s.Width, s.State, s.Layers);
        int w = Enumerable.Range(1, 512).MinBy(w => Math.Abs(VariationalSsm.ParameterCountOf(s.Latent, w, w, s.Layers, encoder: false) - target));
        return new(s.Latent, w, w, s.Layers, Chunk, encoder: false, device: device);
    }

    /// <summary>The model named <paramref name="name"/> in <see cref="Models"/>.</summary>
    public static Module<Tensor, Tensor> Create(string name, VssmSettings s, Device? device = null) => name switch
    {
        "vssm" => CreateVssm(s, device),
        "gru" => CreateGru(s, device),
        "vssm-prior" => CreateControl(s, device),
        _ => throw new ArgumentException($"no model '{name}' (known: {string.Join(", ", Models)})", nameof(name)),
    };

    /// <summary>Chunk length of the SSM scans (<see cref="LinearRecurrence.Chunked"/>).</summary>
    public const int Chunk = 8;

    /// <summary>The GRU with about the VSSM's parameter count.</summary>
    public static AutoregressiveGru CreateGru(VssmSettings s, Device? device = null)
    {
        using var vssm = CreateVssm(s);
        return new AutoregressiveGru(AutoregressiveGru.HiddenFor(vssm.ParameterCount()), device: device);
    }

    /// <summary>
    /// scikit-learn's digits binarised (pixel ≥ 8 of 16) as sequences [n, 64] in raster order: training, validation (the last
    /// fifth of the training split) and test (the held-out fifth of <see cref="Sklearn.Digits"/>' seeded split).
    /// </summary>
    public static (Tensor Train, Tensor Validation, Tensor Test) BinaryDigits(Device? device = null)
    {
        var (train, test) = Sklearn.Digits().Split(0.2, 0);
        using var scope = NewScope();
        var all = (train.FeatureTensor() >= 8.0).Float();
        long validation = all.Size(0) / 5, fit = all.Size(0) - validation;
        Tensor Place(Tensor t) => (device is { } d ? t.To(d) : t.Contiguous()).DetachFromScope();
        return (Place(all.Narrow(0, 0, fit)), Place(all.Narrow(0, fit, validation)), Place((test.FeatureTensor() >= 8.0).Float()));
    }

    /// <summary>Nats per digit on <paramref name="x"/>: the GRU's NLL, or the VSSM's −ELBO averaged over <paramref name="samples"/> draws.</summary>
    public static double NatsPerDigit(Module<Tensor, Tensor> model, Tensor x, int samples)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        int draws = model is VariationalSsm ? samples : 1;
        return Enumerable.Range(0, draws).Average(_ => model.Forward(x).Item<float>());
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = VssmSettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        var (train, validation, test) = BinaryDigits(device);
        var parameters = new Dictionary<string, long>();
        foreach (var name in Models)
        {
            using var m = Create(name, s);
            parameters[name] = m.ParameterCount();
        }
        using (var g = CreateGru(s))
        using (var c = CreateControl(s))
        {
            context.Run.AddHyperparameters(new
            {
                s.Latent, s.Width, s.State, s.Layers, gru_hidden = g.Cell.HiddenSize, control_width = c.Decoder.In.OutFeatures, s.Steps, s.Batch, learning_rates = s.LearningRates,
                seeds = seeds.Count, parameters, timing_lengths = s.TimingLengths, timing_batch = s.TimingBatch, timing_rounds = s.TimingRounds,
            });
        }
        var kept = seeds.ToDictionary(seed => seed, _ => new Dictionary<string, Module<Tensor, Tensor>>());
        try
        {
            var tuning = LearningRateTuning.Run(Models, s.LearningRates, seeds, (seed, configs) =>
                SideBySideTraining.Train<Module<Tensor, Tensor>>(context, seed, configs, "digits", s.Steps,
                    context.Scale == Scale.Smoke ? s.Steps : Math.Max(1, s.Steps / 10),                    // smoke: one validation pass
                    name => Create(name, s, device),
                    (step, bits) => Batch(train, s.Batch, (int)(bits % int.MaxValue)),
                    (m, batch) => m.Forward(batch.Inputs),
                    m => ("validation_nats", NatsPerDigit(m, validation, 1)),
                    m => (NatsPerDigit(m, validation, s.TestSamples), NatsPerDigit(m, test, s.TestSamples)),
                    keep: kept[seed]), higherIsBetter: false);

            VariationalSsm VssmOf(ulong seed) => (VariationalSsm)kept[seed][SideBySideTraining.ConfigName("vssm", tuning.Chosen["vssm"])];
            var vssm = VssmOf(seeds[0]);
            var gru = (AutoregressiveGru)kept[seeds[0]][SideBySideTraining.ConfigName("gru", tuning.Chosen["gru"])];
            var control = (VariationalSsm)kept[seeds[0]][SideBySideTraining.ConfigName("vssm-prior", tuning.Chosen["vssm-prior"])];
            double importance;
            using (NoGrad()) importance = -vssm.ImportanceWeightedBound(test, s.ImportanceSamples).Mean().Item<float>();
            ManualSeed(context.Seed);
            var samples = new Dictionary<string, double[][]>
            {
                ["test digits"] = Tile(test.Narrow(0, 0, 16)),
                ["VSSM"] = Tile(vssm.Generate(16, VssmSettings.Length)),
                ["VSSM token loop"] = Tile(vssm.GenerateStepwise(16, VssmSettings.Length)),
                ["GRU"] = Tile(gru.Generate(16, VssmSettings.Length)),
                ["control"] = Tile(control.Generate(16, VssmSettings.Length)),
            };

            int samplerThreads = NumThreads;
            var samplers = new List<SamplerComparison>();
            var pixelMeans = new Dictionary<string, double[][]> { ["test digits"] = PixelMeans(test) };
            for (int i = 0; i < seeds.Count; i++)
            {
                using var sampled = NewScope();
                ManualSeed(seeds[i] + 1000);
                var model = VssmOf(seeds[i]);
                var parallel = model.Generate(s.SamplerDraws, VssmSettings.Length);
                var loop = model.GenerateStepwise(s.SamplerDraws, VssmSettings.Length);
                var reset = model.GenerateStepwise(s.SamplerDraws, VssmSettings.Length, resetEvery: VssmSettings.Row);
                var comparison = new SamplerComparison(
                    BinaryTwoSampleTest.Run(loop, parallel, VssmSettings.SamplerLags, s.Permutations, 2 * i),
                    BinaryTwoSampleTest.Run(reset, parallel, VssmSettings.SamplerLags, s.Permutations, 2 * i + 1));
                samplers.Add(comparison);
                context.Run.Record(i, "samplers/loop_vs_parallel_p", comparison.LoopVsParallel.PValue);
                context.Run.Record(i, "samplers/loop_vs_parallel_statistic", comparison.LoopVsParallel.Statistic);
                context.Run.Record(i, "samplers/control_vs_parallel_p", comparison.ControlVsParallel.PValue);
                context.Run.Record(i, "samplers/control_vs_parallel_statistic", comparison.ControlVsParallel.Statistic);
                if (i > 0) continue;
                pixelMeans["parallel"] = PixelMeans(parallel);
                pixelMeans["token loop"] = PixelMeans(loop);
                pixelMeans["control (state reset per row)"] = PixelMeans(reset);
            }

            int timingThreads;
            var timing = new List<GenerationTiming>();
            using (ThreadLimit.To(1))
            {
                timingThreads = NumThreads;
                foreach (var T in s.TimingLengths)
                {
                    var t = Time(vssm, gru, T, s.TimingBatch, s.TimingRounds);
                    timing.Add(t);
                    context.Run.Record(T, "timing/vssm_ms", t.VssmMs);
                    context.Run.Record(T, "timing/gru_ms", t.GruMs);
                    context.Run.Record(T, "timing/vssm_loop_ms", t.VssmLoopMs);
                }
            }

            var ratio = Ratio(tuning, "vssm", "gru");
            var controlRatio = Ratio(tuning, "vssm", "vssm-prior");
            var longest = timing[^1];
            double alpha = VssmSettings.SamplerAlpha / seeds.Count;
            var loopP = new SeedSummary(samplers.Select(c => c.LoopVsParallel.PValue));
            var controlP = new SeedSummary(samplers.Select(c => c.ControlVsParallel.PValue));
            var check = new ClaimCheck();
            if (s.MaxElboRatio > 0)
                check.AtMost("VSSM test −ELBO / GRU test NLL", ratio, s.MaxElboRatio, format: "F3")
                    .AtLeast($"generation speed-up over the GRU at T = {longest.Length}", longest.GruMs / longest.VssmMs, s.MinSpeedup, "F1")
                    .AtMost("VSSM test −ELBO / control (latents from the prior) test −ELBO", controlRatio, VssmSettings.MaxControlRatio, format: "F3")
                    .AtLeast("parallel vs token-loop sampler: permutation p-value (must not reject)", loopP, alpha + 1e-9, format: "F3")
                    .AtMost("parallel sampler vs control (loop, state reset every row): p-value (must reject)", controlP, alpha, format: "F3")
                    .AtLeast($"VSSM token-loop / parallel generation time at T = {longest.Length}", longest.VssmLoopMs / longest.VssmMs, s.MinSpeedup, "F1");
            else
                check.AtMost("VSSM test −ELBO (nats per digit; a fair coin per pixel: 44.4)", tuning.Test["vssm"], VssmSettings.Length * Math.Log(2), format: "F2");
            var metrics = new Dictionary<string, double>
            {
                ["vssm_parameters"] = parameters["vssm"], ["gru_parameters"] = parameters["gru"],
                ["vssm_neg_elbo"] = tuning.Test["vssm"].Mean, ["gru_nll"] = tuning.Test["gru"].Mean, ["vssm_neg_iw_bound"] = importance,
                ["control_parameters"] = parameters["vssm-prior"], ["control_neg_elbo"] = tuning.Test["vssm-prior"].Mean,
                ["speedup_longest"] = longest.GruMs / longest.VssmMs, ["loop_speedup_longest"] = longest.VssmLoopMs / longest.VssmMs,
                ["sampler_p_min"] = loopP.Values.Min(), ["control_p_max"] = controlP.Values.Max(),
            };
            return check.Result(metrics, null, new VssmOutcome(s, parameters, tuning, importance, timing.ToArray(), timingThreads, samples,
                samplers.ToArray(), pixelMeans, samplerThreads));
        }
        finally
        {
            foreach (var m in kept.Values.SelectMany(k => k.Values)) m.Dispose();
            train.Dispose();
            validation.Dispose();
            test.Dispose();
        }
    }

    /// <summary>Per seed, test nats of <paramref name="model"/> / test nats of <paramref name="reference"/>.</summary>
    public static SeedSummary Ratio(TuningOutcome tuning, string model, string reference) =>
        new(tuning.Test[model].Values.Zip(tuning.Test[reference].Values, (a, b) => a / b));

    private static TaskBatch Batch(Tensor train, int batch, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, batch).Select(_ => (long)random.Next((int)train.Size(0))).ToArray();
        using var index = Tensor.From(rows).To(train.Device);
        var x = train.IndexSelect(0, index);
        return new TaskBatch(x, x.Alias());
    }

    /// <summary>
    /// Median wall times of generating <paramref name="batch"/> sequences of <paramref name="length"/> steps, the VSSM's parallel
    /// sampler, the GRU and the VSSM's token loop alternating (<see cref="AlternatingTimer"/>).
    /// </summary>
    public static GenerationTiming Time(VariationalSsm vssm, AutoregressiveGru gru, int length, int batch, int rounds)
    {
        var ms = AlternatingTimer.MedianMilliseconds([() => vssm.Generate(batch, length).Dispose(), () => gru.Generate(batch, length).Dispose(),
            () => vssm.GenerateStepwise(batch, length).Dispose()], rounds);
        return new GenerationTiming(length, ms[0], ms[1], ms[2]);
    }

    /// <summary>Per-pixel means of binary digits [n, 64] as an 8×8 image, row 0 at the top.</summary>
    public static double[][] PixelMeans(Tensor digits)
    {
        using var scope = NewScope();
        var means = digits.Double().Mean(0).ToArray<double>();
        return Enumerable.Range(0, VssmSettings.Row).Select(r => means.Skip(r * VssmSettings.Row).Take(VssmSettings.Row).ToArray()).ToArray();
    }

    /// <summary>16 binary digits [16, 64] → one 4 × 4 tile image (35 × 35, gaps 0.5), row 0 at the top.</summary>
    public static double[][] Tile(Tensor digits)
    {
        var pixels = digits.Double().ToArray<double>();
        var image = Enumerable.Range(0, 35).Select(_ => Enumerable.Repeat(0.5, 35).ToArray()).ToArray();
        for (int n = 0; n < 16; n++)
            for (int p = 0; p < 64; p++)
                image[(n / 4) * 9 + p / 8][(n % 4) * 9 + p % 8] = pixels[n * 64 + p];
        return image;
    }
}
