using System.Globalization;
using Research.Experiments.Data;
using Research.Models.Generative;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the Jacobi feed-forward experiment at one scale.</summary>
/// <param name="Seeds">Seeds (each trains its own MADEs and draws its own noise).</param>
/// <param name="Hidden">Units per hidden layer of every MADE (two hidden layers).</param>
/// <param name="TrainSteps">Adam steps of each trained MADE (batch 64, learning rate 3e-3).</param>
/// <param name="Samples">Samples drawn per model and seed (one batch).</param>
/// <param name="TimingRounds">Alternating timed rounds (median) of sequential vs Jacobi sampling.</param>
/// <param name="RnnLength">Steps T of the tanh RNN of part (b).</param>
/// <param name="CheckControls">Whether the controls (sticky chain, long-memory RNN) are part of the claim (not at smoke scale).</param>
public sealed record JacobiFeedforwardSettings(int Seeds, int Hidden, int TrainSteps, int Samples, int TimingRounds, int RnnLength, bool CheckControls)
{
    /// <summary>Pixels of a binarised digit, the positions T of the sampling equations.</summary>
    public const int Pixels = 64;

    /// <summary>Mean evaluations per sample must be at most T / this (the paper: 2–26× fewer; the brief: ≤ T/2).</summary>
    public const double RequiredReduction = 2;

    /// <summary>Jacobi sampling must be at least this many times faster in wall time than sequential sampling (the paper's smallest speed-up is 2.1×).</summary>
    public const double RequiredSpeedup = 2;

    /// <summary>A control must need at least this many times the sweeps of its counterpart ("many more").</summary>
    public const double ControlRatio = 2;

    /// <summary>Probability that a pixel of the sticky-chain control differs from its predecessor.</summary>
    public const double ChainFlip = 0.05;

    /// <summary>Relative error at which the RNN's Jacobi iterate counts as converged.</summary>
    public const double RnnTolerance = 1e-6;

    /// <summary>Spectral gain of the short-memory RNN (contractive) and of the long-memory control.</summary>
    public static readonly double[] RnnGains = [0.5, 1.5];

    /// <summary>Width, batch and learning rate of the RNN of part (b).</summary>
    public const int RnnHidden = 32, RnnBatch = 8;

    /// <summary>Smoke: 1 seed, MADE 128 units × 150 steps, 32 samples, RNN T = 64, controls reported only. cpu: 5 seeds, 256 units × 2000 steps, 200 samples, T = 256. gpu: 5 seeds, 512 units × 5000 steps, 1000 samples, T = 1024.</summary>
    public static JacobiFeedforwardSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(1, 128, 150, 32, 3, 64, CheckControls: false),
        Scale.Cpu => new(5, 256, 2000, 200, 5, 256, CheckControls: true),
        _ => new(5, 512, 5000, 1000, 7, 1024, CheckControls: true),
    };
}

/// <summary>One MADE's sampling by Jacobi: per sample the sweeps to its fixed point and the evaluations spent (the stopping test included), evaluations of the GS–Jacobi hybrid with blocks of 8, and whether every sample equals the sequential one bit for bit.</summary>
public sealed record SamplingSweeps(int[] Sweeps, int[] Evaluations, int[] BlockEvaluations, bool Exact, double TestNll);

/// <summary>
/// What the experiment measured. Sampling: per model ("digits", "chain", "untrained") and seed; the fraction of pixels that
/// differ from the sequential sample after each Jacobi sweep (seed 0); the Jacobi iterates of the first samples after each
/// sweep [sweeps][samples, 64] and their sequential samples (seed 0, digits). Timing per seed (ms). RNN: relative error per
/// sweep (seed 0) and sweeps to tolerance per seed, by gain.
/// </summary>
public sealed record JacobiFeedforwardOutcome(IReadOnlyDictionary<string, SamplingSweeps[]> Sampling,
    IReadOnlyDictionary<string, double[]> WrongPixels, double[][][] Iterates, double[][] SequentialSamples,
    double[] SequentialMs, double[] JacobiMs, IReadOnlyDictionary<double, double[]> RnnError, IReadOnlyDictionary<double, int[]> RnnSweeps, int Threads);

/// <summary>
/// Song et al. (2021), "Accelerating Feedforward Computation via Parallel Nonlinear Equation Solving" — the experiment of
/// notebooks/sequence/jacobi-feedforward.ipynb. (a) Autoregressive sampling from a MADE trained on binarised digits, with
/// the uniforms fixed up front: sequential (T = 64 network evaluations) vs Jacobi sweeps (<see cref="FixedPointSweeps"/>);
/// every Jacobi sample must equal the sequential one bit for bit, Jacobi must need ≤ T/2 evaluations on average and be ≥ 2×
/// faster in wall time (sides alternating, medians); control: the same MADE trained on a sticky Markov chain (long dependency
/// chains) needs ≥ 2× the sweeps. (b) A tanh RNN over T steps solved by Jacobi over time: relative error vs sweep; a
/// contractive RNN (gain 0.5) reaches 1e-6 within T/2 sweeps, a long-memory one (gain 1.5) needs ≥ 2× as many.
/// Metrics: <c>seed{n}/{digits,chain}/loss</c> (per step), <c>seed{n}/{model}/mean_evaluations</c>, <c>rnn/gain{g}/error</c> (per sweep, seed 0).
/// </summary>
public sealed class JacobiFeedforwardExperiment : IExperiment
{
    /// <summary>The three MADEs: trained on digits, trained on the sticky chain (control), untrained (marker).</summary>
    public static readonly string[] Models = ["digits", "chain", "untrained"];

    /// <inheritdoc />
    public string Id => "jacobi-feedforward";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "Feed-forward computation as nonlinear equations: Jacobi sweeps reach the sequential MADE sample exactly in far fewer than T steps (Song et al., 2021)";

    /// <inheritdoc />
    public string? Narrower => "a 64-pixel MADE on binarised digits and a tanh RNN on one CPU thread; no PixelCNN++ or DenseNet";

    /// <inheritdoc />
    public string Claim =>
        "Jacobi sampling from a MADE on binarised digits gives every sequential sample bit for bit with at most T/2 = 32 network " +
        FormattableString.Invariant($"evaluations on average and ≥ {JacobiFeedforwardSettings.RequiredSpeedup}× less wall time, in every seed; a MADE trained on a ") +
        "sticky chain (each pixel copies its predecessor with probability 0.95) needs ≥ 2× the sweeps; a contractive tanh RNN (gain 0.5) " +
        "reaches relative error 1e-6 within T/2 Jacobi sweeps over time and a long-memory one (gain 1.5) needs ≥ 2× as many (smoke: exactness and ≤ T/2 only)";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = JacobiFeedforwardSettings.For(context.Scale);
        var seeds = context.Seeds(s.Seeds);
        const int T = JacobiFeedforwardSettings.Pixels;
        context.Run.AddHyperparameters(new
        {
            seeds = s.Seeds, hidden = s.Hidden, hidden_layers = 2, train_steps = s.TrainSteps, samples = s.Samples, timing_rounds = s.TimingRounds,
            chain_flip = JacobiFeedforwardSettings.ChainFlip, rnn_length = s.RnnLength, rnn_hidden = JacobiFeedforwardSettings.RnnHidden,
            rnn_gains = JacobiFeedforwardSettings.RnnGains, rnn_tolerance = JacobiFeedforwardSettings.RnnTolerance, block = 8,
        });
        var (train, test) = BinaryDigits();
        var sampling = Models.ToDictionary(m => m, _ => new SamplingSweeps[seeds.Count]);
        var wrong = new Dictionary<string, double[]>();
        double[][][] iterates = [];
        double[][] sequentialSamples = [];
        var sequentialMs = new double[seeds.Count];
        var jacobiMs = new double[seeds.Count];
        for (int n = 0; n < seeds.Count; n++)
        {
            using var scope = NewScope();
            ManualSeed(seeds[n]);
            var chain = StickyChain(train.Size(0), JacobiFeedforwardSettings.ChainFlip);
            var chainTest = StickyChain(test.Size(0), JacobiFeedforwardSettings.ChainFlip);
            var uniforms = Tensor.Rand([s.Samples, T]);
            foreach (var name in Models)
            {
                using var made = new Made(T, s.Hidden, 2);
                var (data, held) = name == "chain" ? (chain, chainTest) : (train, test);
                if (name != "untrained") Train(made, data, s.TrainSteps, context, $"seed{n}/{name}");
                double nll;
                using (NoGrad()) nll = made.NegativeLogLikelihood(held).Item<float>();
                CausalUpdate update = (x, rows) => made.SampleUpdate(x, uniforms.IndexSelect(0, rows));
                var x0 = Tensor.Zeros([s.Samples, T]);
                var sequential = FixedPointSweeps.Sequential(update, x0);
                var trace = new List<double>();
                var snapshots = new List<double[][]>();
                var jacobi = FixedPointSweeps.Jacobi(update, x0, afterSweep: (k, x) =>
                {
                    trace.Add((x - sequential).Abs().Mean().Item<float>());
                    if (n == 0 && name == "digits") snapshots.Add(Rows(x.Narrow(0, 0, 6)));
                });
                var block = FixedPointSweeps.GaussSeidelJacobi(update, x0, 8);
                bool exact = (jacobi.Solution - sequential).Abs().Max().Item<float>() == 0 && (block.Solution - sequential).Abs().Max().Item<float>() == 0;
                sampling[name][n] = new SamplingSweeps(jacobi.Sweeps, jacobi.Evaluations, block.Evaluations, exact, nll);
                context.Run.Record(n, $"seed{n}/{name}/mean_evaluations", jacobi.Evaluations.Average());
                if (n == 0)
                {
                    wrong[name] = trace.ToArray();
                    if (name == "digits") (iterates, sequentialSamples) = (snapshots.ToArray(), Rows(sequential.Narrow(0, 0, 6)));
                }
                if (name == "digits")
                {
                    using (ThreadLimit.To(1))
                    {
                        var ms = AlternatingTimer.MedianMilliseconds([
                            () => { using var t = NewScope(); FixedPointSweeps.Sequential(update, x0); },
                            () => { using var t = NewScope(); FixedPointSweeps.Jacobi(update, x0); }], s.TimingRounds);
                        (sequentialMs[n], jacobiMs[n]) = (ms[0], ms[1]);
                    }
                }
                var timing = name == "digits" ? FormattableString.Invariant($", sequential {sequentialMs[n]:F1} ms vs Jacobi {jacobiMs[n]:F1} ms") : "";
                context.Run.Log(FormattableString.Invariant(
                    $"seed {n} {name}: test NLL {nll:F2} nats, Jacobi evaluations {jacobi.Evaluations.Average():F2} (max {jacobi.Evaluations.Max()}), ") +
                    FormattableString.Invariant($"GS-Jacobi(8) {block.Evaluations.Average():F2}, exact {exact}{timing}"));
            }
        }

        var rnnError = new Dictionary<double, double[]>();
        var rnnSweeps = JacobiFeedforwardSettings.RnnGains.ToDictionary(g => g, _ => new int[seeds.Count]);
        foreach (var gain in JacobiFeedforwardSettings.RnnGains)
            for (int n = 0; n < seeds.Count; n++)
            {
                var error = RnnJacobiError(s.RnnLength, gain, seeds[n]);
                int reached = Array.FindIndex(error, e => e <= JacobiFeedforwardSettings.RnnTolerance) + 1;
                rnnSweeps[gain][n] = reached > 0 ? reached : s.RnnLength;
                if (n > 0) continue;
                rnnError[gain] = error;
                for (int k = 0; k < error.Length; k++) context.Run.Record(k + 1, $"rnn/gain{gain.ToString(CultureInfo.InvariantCulture)}/error", error[k]);
            }

        var digits = sampling["digits"];
        var meanEvaluations = new SeedSummary(digits.Select(d => d.Evaluations.Average()));
        var speedup = new SeedSummary(sequentialMs.Zip(jacobiMs, (a, b) => a / b));
        var chainRatio = new SeedSummary(sampling["chain"].Zip(digits, (c, d) => c.Sweeps.Average() / d.Sweeps.Average()));
        double shortGain = JacobiFeedforwardSettings.RnnGains[0], longGain = JacobiFeedforwardSettings.RnnGains[1];
        var rnnShort = new SeedSummary(rnnSweeps[shortGain].Select(v => (double)v));
        var rnnRatio = new SeedSummary(rnnSweeps[longGain].Zip(rnnSweeps[shortGain], (l, sh) => (double)l / sh));
        int allSeeds = seeds.Count;
        var check = new ClaimCheck()
            .That("every Jacobi (and GS-Jacobi) sample equals the sequential sample bit for bit", sampling.Values.All(v => v.All(x => x.Exact)),
                $"{sampling.Values.Sum(v => v.Count(x => x.Exact))} of {sampling.Values.Sum(v => v.Length)} model-seeds exact")
            .AtMost("digits MADE: mean network evaluations per sample (T = 64)", meanEvaluations, T / JacobiFeedforwardSettings.RequiredReduction, allSeeds, "F2");
        if (s.CheckControls)
            check.AtLeast("wall-time speed-up of Jacobi over sequential sampling", speedup, JacobiFeedforwardSettings.RequiredSpeedup, allSeeds, "F2")
                .AtLeast("sticky-chain control / digits: mean sweeps", chainRatio, JacobiFeedforwardSettings.ControlRatio, allSeeds, "F2")
                .AtMost($"RNN gain {shortGain}: sweeps to relative error 1e-6 (T = {s.RnnLength})", rnnShort, s.RnnLength / JacobiFeedforwardSettings.RequiredReduction, allSeeds, "F1")
                .AtLeast($"RNN gain {longGain} / gain {shortGain}: sweeps to 1e-6", rnnRatio, JacobiFeedforwardSettings.ControlRatio, allSeeds, "F2");

        var metrics = new Dictionary<string, double>
        {
            ["speedup"] = speedup.Mean, ["sequential_ms"] = sequentialMs.Average(), ["jacobi_ms"] = jacobiMs.Average(),
            ["rnn_short_sweeps"] = rnnShort.Mean, ["rnn_long_sweeps"] = rnnSweeps[longGain].Average(), ["threads"] = 1,
        };
        foreach (var name in Models)
        {
            metrics[$"{name}_mean_sweeps"] = sampling[name].Average(v => v.Sweeps.Average());
            metrics[$"{name}_mean_evaluations"] = sampling[name].Average(v => v.Evaluations.Average());
            metrics[$"{name}_block8_evaluations"] = sampling[name].Average(v => v.BlockEvaluations.Average());
            metrics[$"{name}_test_nll"] = sampling[name].Average(v => v.TestNll);
        }
        return check.Result(metrics, outcome: new JacobiFeedforwardOutcome(sampling, wrong, iterates, sequentialSamples, sequentialMs, jacobiMs,
            rnnError, rnnSweeps, 1));
    }

    /// <summary>scikit-learn's digits binarised at half intensity (pixel / 16 &gt; ½), split 80/20 (seed 0): [n, 64] float32 in {0, 1}.</summary>
    public static (Tensor Train, Tensor Test) BinaryDigits()
    {
        var (train, test) = Sklearn.Digits().Split(0.2, seed: 0);
        using var scope = NewScope();
        Tensor Binary(TabularDataset part) => scope.Keep((part.FeatureTensor() / 16.0 > 0.5).To(DType.Float32));
        return (Binary(train), Binary(test));
    }

    /// <summary>
    /// The control's data: n binary chains of 64 pixels, the first a fair coin and each next one a copy of its predecessor
    /// flipped with probability <paramref name="flip"/> (torch's generator) — every pixel depends on the whole chain before it.
    /// </summary>
    public static Tensor StickyChain(long n, double flip)
    {
        using var scope = NewScope();
        var first = (Tensor.Rand([n, 1]) < 0.5).To(DType.Float32);
        var flips = (Tensor.Rand([n, JacobiFeedforwardSettings.Pixels - 1]) < flip).To(DType.Float32);
        return scope.Keep(Tensor.Cat([first, (first + flips.CumSum(1)).Fmod(2)], 1));
    }

    /// <summary>Maximum-likelihood training of <paramref name="made"/> on binary rows of <paramref name="data"/>: Adam (3e-3), batches of 64.</summary>
    public static void Train(Made made, Tensor data, int steps, ExperimentContext? context = null, string? metric = null)
    {
        using var optimizer = new Adam(made.Parameters(), lr: 3e-3);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewScope();
            var batch = data.IndexSelect(0, Tensor.RandInt(0, data.Size(0), [64]));
            var loss = made.NegativeLogLikelihood(batch);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (context is not null && (step % 25 == 0 || step == steps - 1)) context.Run.Record(step, $"{metric}/loss", loss.Item<float>());
        }
    }

    /// <summary>
    /// A tanh RNN h_t = tanh(W h_{t−1} + U x_t) (width 32, batch 8, W = gain · N(0, 1/32), U = N(0, 1/32), x_t ~ N(0, 1), float64)
    /// run by its loop and by Jacobi sweeps over time from h = 0: the relative max error max|h^k − h| / max|h| after each sweep k.
    /// </summary>
    public static double[] RnnJacobiError(int length, double gain, ulong seed)
    {
        using var scope = NewScope();
        ManualSeed(seed);
        const int H = JacobiFeedforwardSettings.RnnHidden, B = JacobiFeedforwardSettings.RnnBatch;
        var w = Tensor.RandN([H, H], DType.Float64) * (gain / Math.Sqrt(H));
        var drive = Tensor.RandN([B, length, H], DType.Float64).Matmul(Tensor.RandN([H, H], DType.Float64).T / Math.Sqrt(H));
        var loop = RnnLoop(w, drive);
        double scale = loop.Abs().Max().Item<double>();
        var error = new List<double>();
        CausalUpdate update = (h, rows) =>
        {
            var previous = Tensor.Cat([Tensor.Zeros([h.Size(0), 1, H], DType.Float64), h.Narrow(1, 0, h.Size(1) - 1)], 1);
            return (previous.Matmul(w.T) + drive.IndexSelect(0, rows)).Tanh();
        };
        FixedPointSweeps.Jacobi(update, Tensor.Zeros([B, length, H], DType.Float64),
            afterSweep: (_, h) => error.Add((h - loop).Abs().Max().Item<double>() / scale));
        return error.ToArray();
    }

    /// <summary>The RNN as usually computed, one step after another: drive [batch, T, H] → states [batch, T, H].</summary>
    public static Tensor RnnLoop(Tensor w, Tensor drive)
    {
        using var scope = NewScope();
        var h = Tensor.Zeros([drive.Size(0), drive.Size(2)], drive.DType);
        var states = new Tensor[drive.Size(1)];
        for (int t = 0; t < states.Length; t++)
            states[t] = h = (h.Matmul(w.T) + drive[.., t]).Tanh();
        return scope.Keep(Tensor.Stack(states, 1));
    }

    private static double[][] Rows(Tensor x)
    {
        using var scope = NewScope();
        var values = x.Double().ToArray<double>();
        int width = (int)x.Size(1);
        return Enumerable.Range(0, (int)x.Size(0)).Select(r => values[(r * width)..((r + 1) * width)]).ToArray();
    }
}
