using System.Diagnostics;
using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the sashimi experiment at one scale.</summary>
/// <param name="SampleRate">Audio sample rate in Hz.</param>
/// <param name="Seconds">Length of every unseen note (the test and the selection notes).</param>
/// <param name="TestNotes">Unseen notes per set: pitches spread over 100–400 Hz, as the wavenet notebook's.</param>
/// <param name="SaShiMi">The SaShiMi (Hurwitz); the unconstrained control differs only in its parameterisation.</param>
/// <param name="WaveNet">The WaveNet baseline, its parameters within 10 % of the SaShiMi's.</param>
/// <param name="Steps">Adam steps for every model.</param>
/// <param name="Batch">Fresh training notes per step.</param>
/// <param name="Crop">Samples per training note (the training length L).</param>
/// <param name="LearningRates">The Adam learning rates swept for every model on the first seed.</param>
/// <param name="Seeds">Seeds (initialisation and training notes; the unseen notes stay the same).</param>
/// <param name="GenerateSeconds">Length of the generated continuations (the stability check runs over them).</param>
/// <param name="SpeedSamples">Samples generated (batch 1) to time each model's sample loop.</param>
/// <param name="MaxNllRatio">SaShiMi's NLL on unseen notes over WaveNet's must be at most this (0: not checked).</param>
/// <param name="MaxHurwitzGrowth">log10 of the Hurwitz model's state growth over generation must be at most this.</param>
/// <param name="MinExplodedFraction">Fraction of seeds whose unconstrained state grows by more than 10^MaxHurwitzGrowth (0: not checked).</param>
public sealed record SaShiMiSettings(int SampleRate, double Seconds, int TestNotes, SaShiMiConfig SaShiMi, WaveNetConfig WaveNet, int Steps,
    int Batch, int Crop, double[] LearningRates, int Seeds, double GenerateSeconds, int SpeedSamples, double MaxNllRatio,
    double MaxHurwitzGrowth, double MinExplodedFraction)
{
    /// <summary>The seed of the unseen test notes' timbres (the wavenet notebook's).</summary>
    public const int TestSeed = 2016;

    /// <summary>The seed of the selection notes' timbres (the same pitches, other timbres).</summary>
    public const int SelectionSeed = 2017;

    /// <summary>The same notes as <see cref="WaveNetExperiment"/> draws (HarmonicNotes, 100–400 Hz, half a semitone kept free).</summary>
    public WaveNetSettings Notes(int dataSeed) => new(SampleRate, Seconds, TestNotes, 100, 400, 0.5, WaveNet, Steps, Batch, Crop,
        LearningRates[0], Seeds, GenerateSeconds, 0, 5.0, dataSeed);

    /// <summary>The unconstrained control: the same SaShiMi with Re λ free.</summary>
    public SaShiMiConfig Unconstrained => SaShiMi with { Parameterisation = StateParameterisation.Unconstrained };

    /// <summary>Samples of every test note that are only conditioned on (WaveNet's receptive field): NLL is scored after them.</summary>
    public int ScoreFrom => WaveNet.ReceptiveField;

    /// <summary>Samples generated after the prime: at least 10× the training length at cpu and gpu scale.</summary>
    public int GenerateSamples => (int)Math.Round(GenerateSeconds * SampleRate);

    /// <summary>
    /// smoke: 4 kHz, widths 8/16, one seed, lr 1e-2, 30 steps; only SaShiMi below uniform and the Hurwitz state bounded.
    /// cpu: 8 kHz, widths 16/32/64 (pools 4, 4), ≈ 100 k parameters against a 2×6-layer WaveNet of equal size, 3 seeds,
    /// lr ∈ {3e-3, 1e-2} swept for all three models, 300 steps of 8 × 512 samples, 1 s generated (15× the training length).
    /// gpu: the paper's SaShiMi widths (64, pools 4, 4, 8 layers per stage, 4.3 M parameters) against a 3×10-layer WaveNet of 140
    /// channels (4.4 M), 5 seeds, 5.2 s generated (10× the 4096-sample crops) from 6 s unseen notes (documented, not run).
    /// </summary>
    public static SaShiMiSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(4000, 0.2, 2, new SaShiMiConfig(Width: 8, Modes: 8, Pools: [4], Layers: 1),
            new WaveNetConfig(ResidualChannels: 6, GateChannels: 6, SkipChannels: 12, HeadChannels: 12, Blocks: 1, LayersPerBlock: 4),
            Steps: 30, Batch: 4, Crop: 128, LearningRates: [1e-2], Seeds: 1, GenerateSeconds: 0.05, SpeedSamples: 50,
            MaxNllRatio: 0, MaxHurwitzGrowth: 3, MinExplodedFraction: 0),
        Scale.Cpu => new(8000, 1.25, 6, new SaShiMiConfig(Width: 16, Modes: 16, Pools: [4, 4], Layers: 2),
            new WaveNetConfig(ResidualChannels: 28, GateChannels: 28, SkipChannels: 56, HeadChannels: 56, Blocks: 2, LayersPerBlock: 6),
            Steps: 300, Batch: 8, Crop: 512, LearningRates: [3e-3, 1e-2], Seeds: 3, GenerateSeconds: 1.0, SpeedSamples: 1000,
            MaxNllRatio: 1.0, MaxHurwitzGrowth: 3, MinExplodedFraction: 0.5),
        _ => new(8000, 6.0, 12, new SaShiMiConfig(Width: 64, Modes: 32, Pools: [4, 4], Layers: 8),
            new WaveNetConfig(ResidualChannels: 140, GateChannels: 140, SkipChannels: 280, HeadChannels: 280, Blocks: 3, LayersPerBlock: 10),
            Steps: 5000, Batch: 16, Crop: 4096, LearningRates: [1e-3, 3e-3, 1e-2], Seeds: 5, GenerateSeconds: 5.2, SpeedSamples: 4000,
            MaxNllRatio: 1.0, MaxHurwitzGrowth: 3, MinExplodedFraction: 0.5),
    };
}

/// <summary>
/// What the sashimi notebook draws.
/// </summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">Parameter count per model.</param>
/// <param name="Tuning">The learning-rate sweep (first seed, selection notes) and the NLL on the unseen notes per model over seeds.</param>
/// <param name="NllRatio">SaShiMi / WaveNet NLL on the unseen notes, per seed.</param>
/// <param name="Growth">log10(max |state| over the whole generation / max over its first L samples) per SaShiMi variant, per seed.</param>
/// <param name="RightHalfPlane">Fraction of state eigenvalues with Re λ &gt; 0 after training, per SaShiMi variant, per seed.</param>
/// <param name="EigenReal">First seed: Re λ of every mode of every S4D layer, per SaShiMi variant.</param>
/// <param name="EigenImag">First seed: Im λ, in the same order.</param>
/// <param name="StateNorms">First seed: max |state| after every generation step (prime included), per SaShiMi variant.</param>
/// <param name="TestNotes">The unseen notes.</param>
/// <param name="Targets">The real continuations of the unseen notes [note][sample].</param>
/// <param name="Samples">First seed: generated continuations per model [note][sample].</param>
/// <param name="SamplesPerSecond">Generated samples per second of each model's sample loop (batch 1, one thread).</param>
public sealed record SaShiMiOutcome(SaShiMiSettings Settings, IReadOnlyDictionary<string, long> Parameters, TuningOutcome Tuning,
    SeedSummary NllRatio, IReadOnlyDictionary<string, SeedSummary> Growth, IReadOnlyDictionary<string, SeedSummary> RightHalfPlane,
    IReadOnlyDictionary<string, double[]> EigenReal, IReadOnlyDictionary<string, double[]> EigenImag,
    IReadOnlyDictionary<string, double[]> StateNorms, WaveNetNote[] TestNotes, float[][] Targets,
    IReadOnlyDictionary<string, float[][]> Samples, IReadOnlyDictionary<string, double> SamplesPerSecond);

/// <summary>
/// Goel, Gu, Donahue &amp; Ré (2022), "It's Raw! Audio Generation with State-Space Models" — the experiment of
/// notebooks/audio/sashimi.ipynb. Three autoregressive μ-law models learn the wavenet notebook's harmonic notes side by side
/// (the same fresh notes every step, the same steps and learning-rate sweep): <see cref="SaShiMi"/> with Hurwitz state
/// matrices, the same SaShiMi with unconstrained Re λ (the control of the stability argument), and a <see cref="WaveNet"/>
/// with as many parameters (±10 %). Scored by NLL on unseen notes; then every SaShiMi continues the unseen notes in
/// recurrent mode for ≥ 10× its training length while its state magnitudes are recorded. Metrics:
/// <c>seed{n}/notes/{model@lr}/loss</c> per step and <c>…/heldout_nll</c>.
/// </summary>
public sealed class SaShiMiExperiment : IExperiment
{
    /// <summary>The models: SaShiMi (Hurwitz), the unconstrained control and WaveNet.</summary>
    public static readonly string[] Models = ["sashimi", "sashimi-free", "wavenet"];

    /// <inheritdoc />
    public string Id => "sashimi";

    /// <inheritdoc />
    public string Family => "audio generation";

    /// <inheritdoc />
    public string Title => "SaShiMi: audio generation with state-space models (Goel et al., 2022)";

    /// <inheritdoc />
    public string? Narrower => "harmonic notes at 8 kHz instead of speech, music and piano; ≈ 100 k parameters and 300 steps instead of millions and days; " +
        "S4D (diagonal) layers, B fixed to 1, instead of the paper's DPLR S4";

    /// <inheritdoc />
    public string Claim =>
        "with the same notes, steps, learning-rate sweep (3e-3, 1e-2) and parameters (±10 %), SaShiMi's NLL on unseen notes is at most " +
        "1.0× a WaveNet's, on average and in every one of 3 seeds; generating 15× its training length in recurrent mode, the Hurwitz SaShiMi's " +
        "state magnitude grows by at most 10³ in every seed, while the same model with unconstrained Re λ grows by more than 10³ in at least " +
        "half the seeds (smoke: one seed, SaShiMi's NLL below uniform 5.55 and the Hurwitz state bounded)";

    /// <summary>Creates one of <see cref="Models"/>.</summary>
    public static Module Create(string model, SaShiMiSettings s, Device? device = null) => model switch
    {
        "sashimi" => new SaShiMi(s.SaShiMi, device: device),
        "sashimi-free" => new SaShiMi(s.Unconstrained, device: device),
        "wavenet" => new WaveNet(s.WaveNet, device: device),
        _ => throw new ArgumentException($"unknown model '{model}'; expected one of {string.Join(", ", Models)}", nameof(model)),
    };

    /// <summary>Teacher-forced NLL (nats/sample) of either kind of model on codes [batch, time], targets t ≥ <paramref name="conditionOn"/>.</summary>
    public static Tensor Nll(Module model, Tensor codes, long conditionOn = 1) => model switch
    {
        SaShiMi s => s.NextSampleNll(codes, conditionOn),
        WaveNet w => w.NextSampleNll(codes, conditionOn),
        _ => throw new ArgumentException($"not an autoregressive audio model: {model.GetType().Name}", nameof(model)),
    };

    /// <summary>NLL without gradients as a number.</summary>
    public static double HeldOutNll(Module model, Tensor codes, long conditionOn)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return Nll(model, codes, conditionOn).Item<float>();
    }

    /// <summary>
    /// log10 of the state growth over a generation: max |state| over all steps divided by the max over the first
    /// <paramref name="trainingLength"/> steps; +∞ when the state stopped being finite.
    /// </summary>
    public static double LogGrowth(IReadOnlyList<double> magnitudes, int trainingLength)
    {
        double early = magnitudes.Take(trainingLength).Max();
        double all = magnitudes.Max();
        return double.IsFinite(all) ? Math.Log10(all / Math.Max(early, 1e-30)) : double.PositiveInfinity;
    }

    /// <summary>Re λ and Im λ of every mode of every S4D layer of <paramref name="model"/>, flattened in layer order.</summary>
    public static (double[] Real, double[] Imag) Eigenvalues(SaShiMi model)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var pairs = model.StateSpaceLayers.Select(l => l.Eigenvalues()).ToArray();
        return (pairs.SelectMany(p => p.Real.Double().Reshape(-1).ToArray<double>()).ToArray(),
            pairs.SelectMany(p => p.Imag.Double().Reshape(-1).ToArray<double>()).ToArray());
    }

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = SaShiMiSettings.For(context.Scale);
        var device = context.Device;
        var seeds = context.Seeds(s.Seeds);
        var parameters = Models.ToDictionary(m => m, m => { using var net = Create(m, s); return net.ParameterCount(); });
        context.Run.AddHyperparameters(new
        {
            sample_rate = s.SampleRate, test_notes = s.TestNotes, s.Steps, s.Batch, s.Crop, learning_rates = s.LearningRates, seeds = seeds.Count,
            generate_samples = s.GenerateSamples, score_from = s.ScoreFrom, max_nll_ratio = s.MaxNllRatio, max_hurwitz_growth = s.MaxHurwitzGrowth,
            min_exploded_fraction = s.MinExplodedFraction, sashimi = s.SaShiMi.ToString(), wavenet = s.WaveNet.ToString(), parameters,
        });
        var testNotes = WaveNetExperiment.TestNotes(s.Notes(SaShiMiSettings.TestSeed));
        var pitches = testNotes.Select(n => n.Pitch).ToArray();
        using var test = WaveNetExperiment.Codes(testNotes.Select(n => n.Clip), device).DetachFromScope();          // [notes, frames]
        using var selection = WaveNetExperiment.Codes(WaveNetExperiment.TestNotes(s.Notes(SaShiMiSettings.SelectionSeed)).Select(n => n.Clip), device)
            .DetachFromScope();
        var kept = new Dictionary<string, Module>();
        try
        {
            var tuning = LearningRateTuning.Run(Models, s.LearningRates, seeds, (seed, configs) =>
            {
                int k = (int)(seed - context.Seed);
                var keep = new Dictionary<string, Module>();
                var scores = SideBySideTraining.Train<Module>(context, seed, configs, "notes", s.Steps, Math.Max(1, s.Steps / 5),
                    m => Create(m, s, device),
                    (_, stepSeed) => TrainingBatch(s, pitches, stepSeed, device),
                    (net, batch) => Nll(net, batch.Inputs),
                    net => ("heldout_nll", HeldOutNll(net, test, s.ScoreFrom)),
                    net => (HeldOutNll(net, selection, s.ScoreFrom), HeldOutNll(net, test, s.ScoreFrom)), keep);
                foreach (var (name, net) in keep) kept[$"{k}/{name}"] = net;
                return scores;
            }, higherIsBetter: false);

            Module Trained(int k, string model) => kept[$"{k}/{SideBySideTraining.ConfigName(model, tuning.Chosen[model])}"];
            string[] variants = ["sashimi", "sashimi-free"];
            var growth = variants.ToDictionary(v => v, _ => new List<double>());
            var rightHalf = variants.ToDictionary(v => v, _ => new List<double>());
            var eigenReal = new Dictionary<string, double[]>();
            var eigenImag = new Dictionary<string, double[]>();
            var norms = new Dictionary<string, double[]>();
            var samples = new Dictionary<string, float[][]>();
            float[][] targets = [];
            using var prime = test.Narrow(1, 0, s.ScoreFrom);
            for (int k = 0; k < seeds.Count; k++)
            {
                foreach (var v in variants)
                {
                    var model = (SaShiMi)Trained(k, v);
                    var (re, im) = Eigenvalues(model);
                    rightHalf[v].Add(re.Count(x => x > 0) / (double)re.Length);
                    var magnitudes = new List<double>();
                    using var scope = NewScope();
                    var generated = model.Generate(s.GenerateSamples, seed: (int)seeds[k], prime: prime, stateMagnitudes: magnitudes);
                    growth[v].Add(LogGrowth(magnitudes, s.Crop));
                    context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                        $"seed {seeds[k]} {v}: log10 state growth {growth[v][^1]:F2}, Re λ > 0 in {rightHalf[v][^1]:P1} of the modes"));
                    if (k > 0) continue;
                    eigenReal[v] = re;
                    eigenImag[v] = im;
                    norms[v] = [.. magnitudes];
                    samples[v] = Rows(MuLaw.Decode(generated));
                }
                if (k > 0) continue;
                using var waveScope = NewScope();
                var wave = ((WaveNet)Trained(k, "wavenet")).Generate(s.GenerateSamples, seed: (int)seeds[k], prime: prime);
                samples["wavenet"] = Rows(MuLaw.Decode(wave));
                targets = Rows(MuLaw.Decode(test.Narrow(1, s.ScoreFrom, s.GenerateSamples)));
            }
            var speed = GenerationSpeed((SaShiMi)Trained(0, "sashimi"), (WaveNet)Trained(0, "wavenet"), s.SpeedSamples);

            var nll = tuning.Test;
            var ratio = new SeedSummary(nll["sashimi"].Values.Zip(nll["wavenet"].Values, (a, b) => a / b));
            var growthSummary = growth.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value));
            double exploded = growth["sashimi-free"].Count(g => g > s.MaxHurwitzGrowth) / (double)seeds.Count;
            var check = new ClaimCheck();
            if (s.MaxNllRatio > 0)
                check.AtMost("SaShiMi / WaveNet NLL on unseen notes", ratio, s.MaxNllRatio, format: "F3");
            else
                check.AtMost("SaShiMi NLL on unseen notes (nats/sample)", nll["sashimi"], Math.Log(s.SaShiMi.Classes), format: "F3");
            check.AtMost("Hurwitz SaShiMi: log10 state growth over generation", growthSummary["sashimi"], s.MaxHurwitzGrowth, format: "F2");
            if (s.MinExplodedFraction > 0)
                check.AtLeast($"unconstrained SaShiMi: fraction of seeds with log10 state growth > {s.MaxHurwitzGrowth}", exploded,
                    s.MinExplodedFraction, format: "F2");
            var metrics = new Dictionary<string, double>
            {
                ["nll_ratio"] = ratio.Mean, ["unconstrained_exploded_fraction"] = exploded,
                ["sashimi_samples_per_second"] = speed["sashimi"], ["wavenet_samples_per_second"] = speed["wavenet"],
            };
            foreach (var m in Models) metrics[$"{m}/heldout_nll"] = nll[m].Mean;
            foreach (var v in variants) metrics[$"{v}/log10_growth"] = growthSummary[v].Mean;
            return check.Result(metrics, null, new SaShiMiOutcome(s, parameters, tuning, ratio, growthSummary,
                rightHalf.ToDictionary(kv => kv.Key, kv => new SeedSummary(kv.Value)), eigenReal, eigenImag, norms, testNotes, targets,
                samples, speed));
        }
        finally
        {
            foreach (var net in kept.Values) net.Dispose();
        }
    }

    /// <summary>One training batch: μ-law codes [batch, crop] of fresh notes drawn from the step's seed, away from the test pitches.</summary>
    public static TaskBatch TrainingBatch(SaShiMiSettings s, double[] testPitches, ulong stepSeed, Device? device = null)
    {
        var codes = WaveNetExperiment.TrainingNotes(s.Notes(SaShiMiSettings.TestSeed), new Random((int)(stepSeed % int.MaxValue)), testPitches, device);
        return new TaskBatch(codes, codes.Alias());
    }

    /// <summary>
    /// Generated samples per second of each model's sample loop (batch 1, the thread limit in force): the two loops alternate
    /// twice and the faster of each is kept.
    /// </summary>
    public static Dictionary<string, double> GenerationSpeed(SaShiMi sashimi, WaveNet wavenet, int samples)
    {
        var best = new Dictionary<string, double> { ["sashimi"] = 0, ["wavenet"] = 0 };
        for (int round = 0; round < 2; round++)
        {
            foreach (var (name, generate) in new (string, Func<Tensor>)[]
                     { ("sashimi", () => sashimi.Generate(samples, seed: round)), ("wavenet", () => wavenet.Generate(samples, seed: round)) })
            {
                var watch = Stopwatch.StartNew();
                using (generate()) { }
                best[name] = Math.Max(best[name], samples / watch.Elapsed.TotalSeconds);
            }
        }
        return best;
    }

    private static float[][] Rows(Tensor waves)
    {
        using var cpu = waves.Float().To(Device.CPU);
        return Enumerable.Range(0, (int)cpu.Size(0)).Select(i => { using var row = cpu.Select(0, i); return row.ToArray<float>(); }).ToArray();
    }
}
