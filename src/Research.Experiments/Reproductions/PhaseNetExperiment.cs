using System.Globalization;
using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Models.Audio;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes and thresholds of the PhaseNet experiment at one scale (times in samples at 100 Hz).</summary>
/// <param name="Data">How traces are drawn.</param>
/// <param name="Net">The PhaseNet.</param>
/// <param name="Steps">Adam steps (fresh synthetic traces every step).</param>
/// <param name="Batch">Traces per step.</param>
/// <param name="LearningRates">Adam learning rates swept on the first seed (chosen by validation F1).</param>
/// <param name="Seeds">Seeds (network initialisation, training traces and the STA/LTA's tuning traces).</param>
/// <param name="TuningTraces">Training traces the STA/LTA's 108 settings per phase are tuned on, per seed.</param>
/// <param name="ValidationTraces">Traces that choose the learning rate.</param>
/// <param name="TestTraces">Held-out traces (the same for every seed), <see cref="NoiseOnlyFraction"/> of them without an event.</param>
/// <param name="NoiseOnlyFraction">Share of noise-only traces in the tuning, validation and test sets (every pick on them is false).</param>
/// <param name="LabelSigma">σ of the Gaussian targets (the paper: 0.1 s = 10 samples).</param>
/// <param name="Threshold">Minimum probability of a pick (the paper: 0.5).</param>
/// <param name="Tolerance">A pick within this many samples of the arrival is a true positive (the paper: 0.1 s).</param>
/// <param name="SnrEdges">Edges of the SNR bins (dB) the comparison is read in.</param>
/// <param name="MaxPError">PhaseNet's median |P pick − arrival| must be at most this (samples).</param>
/// <param name="MaxSError">…and its median S error at most this.</param>
/// <param name="MinRecall">PhaseNet's recall of P and of S must be at least this.</param>
/// <param name="MinPrecision">…and its precision.</param>
/// <param name="CompareBins">Check that PhaseNet's F1 is at least the STA/LTA's in every SNR bin (P and S).</param>
/// <param name="DataSeed">Seed of the validation and test traces.</param>
public sealed record PhaseNetSettings(SeismogramSettings Data, PhaseNetConfig Net, int Steps, int Batch, double[] LearningRates, int Seeds,
    int TuningTraces, int ValidationTraces, int TestTraces, double NoiseOnlyFraction, double LabelSigma, double Threshold, int Tolerance,
    double[] SnrEdges, double MaxPError, double MaxSError, double MinRecall, double MinPrecision, bool CompareBins, int DataSeed = 2019)
{
    /// <summary>
    /// smoke: 512-sample traces, a PhaseNet of 3 levels, 60 steps of 12, one seed, weaker thresholds; cpu: 1024 samples
    /// (10.24 s), the paper's 4 levels of 8 … 32 channels, 3000 steps of 16, lr ∈ {1e-3, 3e-3, 1e-2, 3e-2, 0.1}, 5 seeds; gpu: 3072 samples (the paper's 30 s), 20 000 steps of 64, lr ∈ {3e-4, 1e-3, 3e-3}, 5 seeds.
    /// </summary>
    public static PhaseNetSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(new SeismogramSettings(Length: 512), new PhaseNetConfig(Levels: 3), Steps: 60, Batch: 12, LearningRates: [3e-3],
            Seeds: 1, TuningTraces: 40, ValidationTraces: 30, TestTraces: 80, NoiseOnlyFraction: 0.1, LabelSigma: 10, Threshold: 0.5,
            Tolerance: 10, SnrEdges: [0, 10, 20], MaxPError: 10, MaxSError: 10, MinRecall: 0.3, MinPrecision: 0.3, CompareBins: false),
        Scale.Cpu => new(new SeismogramSettings(Length: 1024), new PhaseNetConfig(), Steps: 3000, Batch: 16, LearningRates: [1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
            Seeds: 5, TuningTraces: 400, ValidationTraces: 200, TestTraces: 600, NoiseOnlyFraction: 0.1, LabelSigma: 10, Threshold: 0.5,
            Tolerance: 10, SnrEdges: [0, 5, 10, 15, 20], MaxPError: 3, MaxSError: 5, MinRecall: 0.9, MinPrecision: 0.9, CompareBins: true),
        _ => new(new SeismogramSettings(Length: 3072), new PhaseNetConfig(), Steps: 20000, Batch: 64, LearningRates: [3e-4, 1e-3, 3e-3],
            Seeds: 5, TuningTraces: 2000, ValidationTraces: 1000, TestTraces: 5000, NoiseOnlyFraction: 0.1, LabelSigma: 10, Threshold: 0.5,
            Tolerance: 10, SnrEdges: [0, 5, 10, 15, 20], MaxPError: 3, MaxSError: 5, MinRecall: 0.9, MinPrecision: 0.9, CompareBins: true),
    };

    /// <summary>Picks of one phase closer than this are merged into the higher peak (samples).</summary>
    public int MinDistance => (int)(5 * LabelSigma);

    /// <summary>The STA/LTA's S search starts this many samples after its P trigger (below the shortest S − P interval).</summary>
    public int SGap => (int)(Data.SMinusPRange.Min * Data.Length / 2);
}

/// <summary>One picker's scores on the held-out traces of one SNR bin (or all of them), one seed.</summary>
/// <param name="P">P picks.</param>
/// <param name="S">S picks.</param>
public sealed record PhaseScores(PickScore P, PickScore S);

/// <summary>An example held-out trace with both pickers' output.</summary>
/// <param name="Trace">The seismogram.</param>
/// <param name="Probabilities">PhaseNet's p(P), p(S), p(noise) per sample (first seed).</param>
/// <param name="PhaseNetPicks">PhaseNet's P and S picks.</param>
/// <param name="StaLtaPicks">The STA/LTA's P and S picks.</param>
public sealed record PickedTrace(Seismogram Trace, float[][] Probabilities, (int[] P, int[] S) PhaseNetPicks, (int[] P, int[] S) StaLtaPicks);

/// <summary>What the PhaseNet notebook draws.</summary>
/// <param name="Settings">The settings of the run.</param>
/// <param name="Parameters">PhaseNet's parameter count.</param>
/// <param name="Sweep">Validation F1 (mean of P and S) per learning rate, first seed.</param>
/// <param name="LearningRate">The chosen learning rate.</param>
/// <param name="StaLta">Per seed, the STA/LTA settings chosen for P and S on that seed's tuning traces.</param>
/// <param name="Overall">Per picker ("PhaseNet", "STA/LTA"), per seed, the scores on all held-out traces.</param>
/// <param name="Bins">Per picker, per seed, per SNR bin, the scores on the held-out events in that bin.</param>
/// <param name="Wide">Per picker, first seed: scores with a ±50-sample tolerance (their residuals draw the error histogram).</param>
/// <param name="Examples">Held-out traces at low, middle and high SNR with both pickers' output.</param>
public sealed record PhaseNetOutcome(PhaseNetSettings Settings, long Parameters, IReadOnlyDictionary<double, double> Sweep, double LearningRate,
    IReadOnlyList<(StaLtaSettings P, StaLtaSettings S)> StaLta, IReadOnlyDictionary<string, PhaseScores[]> Overall,
    IReadOnlyDictionary<string, PhaseScores[][]> Bins, IReadOnlyDictionary<string, PhaseScores> Wide, PickedTrace[] Examples)
{
    /// <summary>The label of SNR bin b, e.g. "5–10 dB".</summary>
    public string BinName(int b) => string.Create(CultureInfo.InvariantCulture, $"{Settings.SnrEdges[b]:0}–{Settings.SnrEdges[b + 1]:0} dB");

    /// <summary>A quantity of one picker over seeds.</summary>
    public SeedSummary Over(string picker, Func<PhaseScores, double> quantity) => new(Overall[picker].Select(quantity));
}

/// <summary>
/// Zhu &amp; Beroza (2019), "PhaseNet: a deep-neural-network-based seismic arrival-time picking method" — the experiment of
/// notebooks/audio/phasenet.ipynb. A <see cref="PhaseNet"/> learns p(P), p(S), p(noise) per sample from synthetic
/// 3-component seismograms (<see cref="Seismograms"/>: Ricker P and S wavelets with codas in red noise, SNR 0–20 dB), with
/// Gaussian targets around the arrivals; its picks are the probability peaks above 0.5. The baseline is the classic
/// STA/LTA picker (<see cref="StaLtaPicker"/>), whose windows, characteristic function, thresholds and bias are tuned per
/// phase and seed over 108 settings on training traces. Both are scored on the same held-out traces (10 % noise-only),
/// overall and per SNR bin. Metrics per step: <c>seed{n}/picking/phasenet@{lr}/loss</c> and <c>…/val_f1</c>. The outcome
/// is a <see cref="PhaseNetOutcome"/>.
/// </summary>
public sealed class PhaseNetExperiment : IExperiment
{
    /// <summary>PhaseNet's name in outcomes.</summary>
    public const string PhaseNetName = "PhaseNet";

    /// <summary>The baseline's name in outcomes.</summary>
    public const string StaLtaName = "STA/LTA";

    /// <summary>The STA/LTA grid: short windows, long windows, characteristic functions and thresholds (3·3·2·6 = 108 settings).</summary>
    public static readonly (int[] Short, int[] Long, bool[] Differenced, double[] Thresholds) StaLtaGrid =
        ([5, 10, 20], [50, 100, 200], [false, true], [1.5, 2, 3, 4, 6, 8]);

    private readonly Func<Scale, PhaseNetSettings> _settings;

    /// <summary>The experiment with <see cref="PhaseNetSettings.For"/>'s sizes.</summary>
    public PhaseNetExperiment() : this(PhaseNetSettings.For)
    {
    }

    /// <summary>The experiment with other sizes per scale.</summary>
    public PhaseNetExperiment(Func<Scale, PhaseNetSettings> settings) => _settings = settings;

    /// <inheritdoc />
    public string Id => "phasenet";

    /// <inheritdoc />
    public string Family => "audio analysis";

    /// <inheritdoc />
    public string Title => "PhaseNet: a deep-neural-network-based seismic arrival-time picking method (Zhu & Beroza, 2019)";

    /// <inheritdoc />
    public string? Narrower => "synthetic 3-component seismograms (Ricker P and S wavelets with codas in red noise, SNR 0–20 dB) " +
        "instead of Northern California's archive; 10.24 s windows instead of 30 s";

    /// <inheritdoc />
    public string Claim => "on held-out synthetic seismograms (SNR 0–20 dB, 10 % noise-only), PhaseNet picks P with a median error " +
        "≤ 3 samples and S ≤ 5 samples (100 Hz), with recall and precision ≥ 0.9 for both phases, and its F1 is at least the tuned " +
        "STA/LTA picker's in every 5-dB SNR bin for both phases; mean and every one of " + PhaseNetSettings.For(Scale.Cpu).Seeds +
        " seeds (smoke: one seed, 60 steps, " +
        "median errors ≤ 10 samples, recall and precision ≥ 0.3)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = _settings(context.Scale);
        var device = context.Device;
        var validation = Seismograms.Draw(s.Data, s.DataSeed + 1, s.ValidationTraces, s.NoiseOnlyFraction);
        var test = Seismograms.Draw(s.Data, s.DataSeed, s.TestTraces, s.NoiseOnlyFraction);
        context.Run.AddHyperparameters(new
        {
            length = s.Data.Length, net = s.Net.ToString(), parameters = s.Net.ParameterCount, s.Steps, s.Batch, learning_rates = s.LearningRates,
            s.Seeds, s.TuningTraces, s.ValidationTraces, s.TestTraces, s.LabelSigma, s.Threshold, s.Tolerance,
        });

        var seeds = context.Seeds(s.Seeds);
        var kept = seeds.ToDictionary(seed => seed, _ => new Dictionary<string, PhaseNet>());
        try
        {
            var tuning = LearningRateTuning.Run([PhaseNetName], s.LearningRates, seeds, (seed, runs) =>
                SideBySideTraining.Train(context, seed, runs, "picking", s.Steps, Math.Max(1, s.Steps / 5),
                    create: _ => new PhaseNet(s.Net, device: device),
                    batchFor: (_, stepSeed) => Batch(s, Seismograms.Draw(s.Data, (int)(stepSeed % int.MaxValue), s.Batch), device),
                    loss: (net, batch) => PhaseNet.Loss(net.Forward(batch.Inputs), batch.Targets),
                    evaluate: net => ("val_f1", MeanF1(Score(s, validation, Pick(s, net, validation, out _)))),
                    score: net => (MeanF1(Score(s, validation, Pick(s, net, validation, out _))), 0),
                    keep: kept[seed]),
                higherIsBetter: true);
            double lr = tuning.Chosen[PhaseNetName];

            var overall = new Dictionary<string, PhaseScores[]> { [PhaseNetName] = new PhaseScores[seeds.Count], [StaLtaName] = new PhaseScores[seeds.Count] };
            var bins = new Dictionary<string, PhaseScores[][]> { [PhaseNetName] = new PhaseScores[seeds.Count][], [StaLtaName] = new PhaseScores[seeds.Count][] };
            var staLta = new List<(StaLtaSettings, StaLtaSettings)>();
            var wide = new Dictionary<string, PhaseScores>();
            float[][][] firstProbabilities = [];
            (int[] P, int[] S)[] firstNet = [], firstStaLta = [];
            for (int k = 0; k < seeds.Count; k++)
            {
                var net = kept[seeds[k]][SideBySideTraining.ConfigName(PhaseNetName, lr)];
                var netPicks = Pick(s, net, test, out var probabilities);
                var tuningTraces = Seismograms.Draw(s.Data, (int)(seeds[k] % 1_000_000) + 1_000_000, s.TuningTraces, s.NoiseOnlyFraction);
                var (p, sp) = TuneStaLta(s, tuningTraces);
                staLta.Add((p, sp));
                context.Run.Log($"seed {seeds[k]}: STA/LTA P {p}, S {sp}");
                var basePicks = test.Select(t => StaLtaPicker.Pick(t.Components, p, sp, s.SGap)).ToArray();
                foreach (var (name, picks) in new[] { (PhaseNetName, netPicks), (StaLtaName, basePicks) })
                {
                    overall[name][k] = Score(s, test, picks);
                    bins[name][k] = Enumerable.Range(0, s.SnrEdges.Length - 1).Select(b =>
                    {
                        var inBin = Enumerable.Range(0, test.Length).Where(i => !test[i].NoiseOnly
                            && test[i].SnrDb >= s.SnrEdges[b] && (test[i].SnrDb < s.SnrEdges[b + 1] || b == s.SnrEdges.Length - 2)).ToArray();
                        return Score(s, inBin.Select(i => test[i]).ToArray(), inBin.Select(i => picks[i]).ToArray());
                    }).ToArray();
                    if (k == 0) wide[name] = Score(s, test, picks, tolerance: 50);
                }
                if (k == 0) (firstProbabilities, firstNet, firstStaLta) = (probabilities, netPicks, basePicks);
            }

            var examples = ExampleIndices(s, test).Select(i => new PickedTrace(test[i], firstProbabilities[i], firstNet[i], firstStaLta[i])).ToArray();
            var outcome = new PhaseNetOutcome(s, s.Net.ParameterCount, tuning.Sweep[PhaseNetName], lr, staLta, overall, bins, wide, examples);
            var check = new ClaimCheck()
                .AtMost("PhaseNet median |P pick − arrival| (samples)", outcome.Over(PhaseNetName, x => x.P.MedianAbsError(s.Tolerance)), s.MaxPError, format: "F2")
                .AtMost("PhaseNet median |S pick − arrival| (samples)", outcome.Over(PhaseNetName, x => x.S.MedianAbsError(s.Tolerance)), s.MaxSError, format: "F2")
                .AtLeast("PhaseNet P recall", outcome.Over(PhaseNetName, x => x.P.Recall), s.MinRecall, format: "F3")
                .AtLeast("PhaseNet P precision", outcome.Over(PhaseNetName, x => x.P.Precision), s.MinPrecision, format: "F3")
                .AtLeast("PhaseNet S recall", outcome.Over(PhaseNetName, x => x.S.Recall), s.MinRecall, format: "F3")
                .AtLeast("PhaseNet S precision", outcome.Over(PhaseNetName, x => x.S.Precision), s.MinPrecision, format: "F3");
            if (s.CompareBins)
            {
                SeedSummary worst(Func<PhaseScores, double> f) => new(Enumerable.Range(0, seeds.Count)
                    .Select(k => Enumerable.Range(0, s.SnrEdges.Length - 1).Min(b => f(bins[PhaseNetName][k][b]) - f(bins[StaLtaName][k][b]))));
                check.AtLeast("PhaseNet − STA/LTA P F1, worst SNR bin", worst(x => x.P.F1), 0, format: "F3")
                    .AtLeast("PhaseNet − STA/LTA S F1, worst SNR bin", worst(x => x.S.F1), 0, format: "F3");
            }
            var metrics = new Dictionary<string, double> { ["parameters"] = s.Net.ParameterCount, ["lr"] = lr };
            foreach (var name in overall.Keys)
                foreach (var (phase, of) in new (string, Func<PhaseScores, PickScore>)[] { ("p", x => x.P), ("s", x => x.S) })
                {
                    metrics[$"{name}/{phase}_f1"] = outcome.Over(name, x => of(x).F1).Mean;
                    metrics[$"{name}/{phase}_median_error"] = outcome.Over(name, x => of(x).MedianAbsError(s.Tolerance)).Mean;
                }
            return check.Result(metrics, null, outcome);
        }
        finally
        {
            foreach (var nets in kept.Values)
                foreach (var net in nets.Values) net.Dispose();
        }
    }

    /// <summary>A training batch: traces [n, 3, T] and PhaseNet's Gaussian targets [n, 3, T].</summary>
    public static TaskBatch Batch(PhaseNetSettings s, IReadOnlyList<Seismogram> traces, Device? device = null) =>
        new(Seismograms.Stack(traces, device), PhaseNet.Targets(traces.Select(t => t.P).ToArray(), traces.Select(t => t.S).ToArray(),
            s.Data.Length, s.LabelSigma, device));

    /// <summary>
    /// PhaseNet's picks of every trace (peaks of p(P) and p(S) ≥ the threshold), in evaluation mode without gradients; the
    /// probabilities [trace][class][t] are returned too. The network is left in training mode.
    /// </summary>
    public static (int[] P, int[] S)[] Pick(PhaseNetSettings s, PhaseNet net, IReadOnlyList<Seismogram> traces, out float[][][] probabilities)
    {
        net.Eval();
        try
        {
            var picks = new List<(int[], int[])>();
            var all = new List<float[][]>();
            for (int start = 0; start < traces.Count; start += 100)
            {
                using var scope = NewScope();
                using var noGrad = NoGrad();
                var chunk = traces.Skip(start).Take(100).ToArray();
                using var p = net.Probabilities(Seismograms.Stack(chunk, net.Output.Weight.Device)).Float().To(Device.CPU);
                var values = p.ToArray<float>();
                int length = s.Data.Length;
                for (int i = 0; i < chunk.Length; i++)
                {
                    var classes = Enumerable.Range(0, 3).Select(c => values.AsSpan((i * 3 + c) * length, length).ToArray()).ToArray();
                    all.Add(classes);
                    picks.Add((PhaseNet.Picks(classes[0], s.Threshold, s.MinDistance), PhaseNet.Picks(classes[1], s.Threshold, s.MinDistance)));
                }
            }
            probabilities = all.ToArray();
            return picks.ToArray();
        }
        finally
        {
            net.Train();
        }
    }

    /// <summary>P and S scores of <paramref name="picks"/> on <paramref name="traces"/> (the settings' tolerance unless given).</summary>
    public static PhaseScores Score(PhaseNetSettings s, IReadOnlyList<Seismogram> traces, IReadOnlyList<(int[] P, int[] S)> picks, int? tolerance = null)
    {
        int tol = tolerance ?? s.Tolerance;
        return new PhaseScores(PickScore.Of(traces.Select(t => t.P).ToArray(), picks.Select(x => x.P).ToArray(), tol),
            PickScore.Of(traces.Select(t => t.S).ToArray(), picks.Select(x => x.S).ToArray(), tol));
    }

    /// <summary>
    /// The STA/LTA tuned on <paramref name="traces"/>: for P, every setting of <see cref="StaLtaGrid"/> on the vertical, with
    /// its bias the median lag of the triggers within ±50 samples of the arrival; the best F1 wins (ties: the smaller median
    /// error). Then S the same way on the horizontals, after the chosen P triggers.
    /// </summary>
    public static (StaLtaSettings P, StaLtaSettings S) TuneStaLta(PhaseNetSettings s, IReadOnlyList<Seismogram> traces)
    {
        var components = traces.Select(t => (IReadOnlyList<float[]>)t.Components).ToArray();
        var p = Best(traces.Select(t => t.P).ToArray(), settings => components.Select(c => StaLtaPicker.TriggerP(c, settings)).ToArray(), s.Tolerance);
        var pTriggers = components.Select(c => StaLtaPicker.TriggerP(c, p)).ToArray();
        var sp = Best(traces.Select(t => t.S).ToArray(),
            settings => components.Select((c, i) => StaLtaPicker.TriggerS(c, settings, pTriggers[i], s.SGap)).ToArray(), s.Tolerance);
        return (p, sp);
    }

    private static StaLtaSettings Best(int[] arrivals, Func<StaLtaSettings, int[]> triggers, int tolerance)
    {
        StaLtaSettings? best = null;
        (double F1, double Error) bestScore = (-1, double.MaxValue);
        foreach (var ns in StaLtaGrid.Short)
            foreach (var nl in StaLtaGrid.Long)
                foreach (var diff in StaLtaGrid.Differenced)
                    foreach (var threshold in StaLtaGrid.Thresholds)
                    {
                        var settings = new StaLtaSettings(ns, nl, threshold, diff);
                        var t = triggers(settings);
                        var lags = t.Select((x, i) => (double)(x - arrivals[i])).Where((d, i) => t[i] >= 0 && arrivals[i] >= 0 && Math.Abs(d) <= 50).ToArray();
                        int bias = lags.Length == 0 ? 0 : -(int)Math.Round(PickScore.Median(lags));
                        var score = PickScore.Of(arrivals, t.Select(x => x < 0 ? Array.Empty<int>() : [x + bias]).ToArray(), tolerance);
                        var key = (score.F1, score.MedianAbsError(tolerance));
                        if (key.F1 > bestScore.F1 || (key.F1 == bestScore.F1 && key.Item2 < bestScore.Error))
                            (best, bestScore) = (settings with { Bias = bias }, key);
                    }
        return best!;
    }

    private static double MeanF1(PhaseScores x) => (x.P.F1 + x.S.F1) / 2;

    // Three event traces: the first at low, middle and high SNR.
    private static int[] ExampleIndices(PhaseNetSettings s, Seismogram[] test)
    {
        double lo = s.Data.SnrRange.Min, span = s.Data.SnrRange.Max - lo;
        return new[] { 0.1, 0.5, 0.9 }.Select(f => Enumerable.Range(0, test.Length).Where(i => !test[i].NoiseOnly)
            .MinBy(i => Math.Abs(test[i].SnrDb - (lo + f * span)))).ToArray();
    }
}
