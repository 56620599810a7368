using System.Globalization;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>The sizes of the DEER experiment at one scale.</summary>
/// <param name="Hidden">GRU width d (the dense Jacobian is d × d per step).</param>
/// <param name="TrainLength">Sequence length of training.</param>
/// <param name="Batch">Sequences per training step.</param>
/// <param name="Steps">Adam steps of each training run.</param>
/// <param name="Seeds">Seeds (initialisation and data).</param>
/// <param name="LearningRate">Adam's learning rate (both sides train the same model: nothing to tune between them).</param>
/// <param name="ConvergenceLength">Length T at which convergence and gradients are measured on the trained GRU (the claim: T = 1000).</param>
/// <param name="ConvergenceBatch">Sequences in the convergence measurement.</param>
/// <param name="Lengths">Sequence lengths of the timing.</param>
/// <param name="TimingBatch">Sequences per timed pass.</param>
/// <param name="Rounds">Alternating timed rounds (median) per length.</param>
/// <param name="RequiredSpeedup">DEER's forward + backward speed-up over the sequential loop at the longest length (0: timed and reported, not checked).</param>
/// <param name="DoublingUpTo">The doubling scan (T·d³·log T work) is timed up to this length only (NaN beyond).</param>
public sealed record DeerSettings(int Hidden, int TrainLength, int Batch, int Steps, int Seeds, double LearningRate, int ConvergenceLength,
    int ConvergenceBatch, int[] Lengths, int TimingBatch, int Rounds, double RequiredSpeedup, int DoublingUpTo)
{
    /// <summary>Newton iterations allowed to reach the sequential trajectory within <see cref="StateTolerance"/> (fixed before the run: "a handful").</summary>
    public const int MaxIterations = 10;

    /// <summary>Max |DEER − sequential| of the states in float64 (the paper: no loss of accuracy; catalogue: &lt; 1e-6).</summary>
    public const double StateTolerance = 1e-6;

    /// <summary>Relative max |DEER − sequential| of the parameter gradients in float64.</summary>
    public const double GradientTolerance = 1e-8;

    /// <summary>Max |DEER − sequential| training loss over all steps, float64 ("the same loss curve").</summary>
    public const double LossTolerance = 1e-6;

    /// <summary>Max |DEER − float64 truth| of the states when DEER runs in float32 (states are in [−1, 1]).</summary>
    public const double Float32Tolerance = 1e-4;

    /// <summary>Residual at which training and the timing stop iterating: float64 training, float32 timing.</summary>
    public const double TrainingTolerance = 1e-11, TimingTolerance = 1e-5;

    /// <summary>
    /// The box (−1, 1)^d a GRU's states stay in: training, gradients, float32 and timing project Newton's iterates onto it
    /// (<see cref="NewtonOptions.StateBound"/>), because plain Newton overflows on the trained GRU (measured and shown).
    /// </summary>
    public const double StateBound = 1;

    /// <summary>
    /// Smoke: d = 8, 8 × 64 steps, 4 steps, 1 seed, convergence at T = 128, timing at T = 64, 128 (reported). cpu: d = 16, 16 × 128,
    /// 150 steps, 5 seeds, convergence at T = 1000, timing at T = 64 … 4096 (reported, not checked: one CPU thread). gpu: d = 32,
    /// 32 × 1024, 600 steps, 5 seeds, timing up to T = 65 536 with DEER ≥ 2× faster than the loop at the longest length.
    /// </summary>
    public static DeerSettings For(Scale scale) => scale switch
    {
        Scale.Smoke => new(8, 64, 8, 4, 1, 1e-2, 128, 4, [64, 128], TimingBatch: 8, Rounds: 2, RequiredSpeedup: 0, DoublingUpTo: 64),
        Scale.Cpu => new(16, 128, 16, 150, 5, 1e-2, 1000, 8, [64, 256, 1024, 4096], TimingBatch: 16, Rounds: 5, RequiredSpeedup: 0, DoublingUpTo: 1024),
        _ => new(32, 1024, 32, 600, 5, 3e-3, 1000, 32, [256, 1024, 4096, 16384, 65536], TimingBatch: 16, Rounds: 7, RequiredSpeedup: 2,
            DoublingUpTo: 65536),
    };
}

/// <summary>A GRU (<see cref="DeerGru"/>) over the whole sequence and a linear read-out of its last state.</summary>
public sealed class DeerClassifier : Module
{
    /// <summary>Creates the classifier of 1-D sequences into <paramref name="classes"/> classes.</summary>
    public DeerClassifier(int hidden, int classes, DType? dtype = null, Device? device = null)
    {
        Gru = RegisterModule("gru", new DeerGru(1, hidden, dtype, device));
        Head = RegisterModule("head", new Linear(hidden, classes, dtype: dtype, device: device));
    }

    /// <summary>The recurrent layer.</summary>
    public DeerGru Gru { get; }

    /// <summary>The read-out of the last state.</summary>
    public Linear Head { get; }

    /// <summary>Class logits [batch, classes] from the states [batch, time, d].</summary>
    public Tensor Logits(Tensor states)
    {
        using var scope = NewScope();
        return scope.Keep(Head.Forward(states.Select(1, states.Size(1) - 1)));
    }
}

/// <summary>Per Newton iteration k = 1.. of one linearisation: the residual max |f(h_{t−1}) − h_t| of h⁽ᵏ⁻¹⁾ and the error max |h⁽ᵏ⁾ − h_sequential|.</summary>
public sealed record NewtonTrace(string Name, double[] Residuals, double[] Errors)
{
    /// <summary>The error of the last iterate before the trace ended (+∞ when the first iterate already overflowed).</summary>
    public double Final => Errors.Length > 0 ? Errors[^1] : double.PositiveInfinity;

    /// <summary>The first iteration whose error is at most <paramref name="tolerance"/>, or int.MaxValue.</summary>
    public int IterationsTo(double tolerance)
    {
        int k = Array.FindIndex(Errors, e => e <= tolerance);
        return k < 0 ? int.MaxValue : k + 1;
    }
}

/// <summary>One seed's training of the same GRU sequentially and by DEER: losses per step, Newton iterations per step, held-out accuracies.</summary>
public sealed record DeerTraining(double[] SequentialLoss, double[] DeerLoss, int[] Iterations, double SequentialAccuracy, double DeerAccuracy)
{
    /// <summary>max over steps |ℓ_DEER − ℓ_sequential|.</summary>
    public double MaxLossDifference => SequentialLoss.Zip(DeerLoss, (a, b) => Math.Abs(a - b)).Max();
}

/// <summary>One seed's trained GRU at T = <see cref="DeerSettings.ConvergenceLength"/>: Newton, quasi-Newton and Jacobi traces, float32 errors, gradient agreement.</summary>
public sealed record DeerConvergence(IReadOnlyList<NewtonTrace> Traces, NewtonTrace Untrained, NewtonTrace Float32, double SequentialFloat32Error,
    double GradientError);

/// <summary>Median wall times (ms) at length <paramref name="T"/>: DEER by the chunked and the doubling scan, the GRU cell's loop and libtorch's GRU; forward and forward + backward.</summary>
public sealed record DeerTiming(int T, double ChunkedForward, double DoublingForward, double LoopForward, double GruForward,
    double ChunkedTrain, double DoublingTrain, double LoopTrain, double GruTrain, int Iterations);

/// <summary>What the DEER experiment measured, for the notebook to draw.</summary>
public sealed record DeerOutcome(IReadOnlyList<DeerTraining> Training, IReadOnlyList<DeerConvergence> Convergence, IReadOnlyList<DeerTiming> Timing,
    int Threads, long Parameters);

/// <summary>
/// Lim, Zhu, Selfridge and Kasim (2024), "Parallelizing non-linear sequential models over the sequence length" (DEER) — the
/// experiment of notebooks/sequence/deer.ipynb. The paper evaluates a GRU over the whole sequence by Newton's method, each
/// step one parallel scan of the linearised recurrence, and claims the result equals the sequential evaluation (states and
/// gradients), that training with it gives the same results, and that it is much faster on a GPU. Here, for a GRU classifying
/// noisy sines by their period (<see cref="SineClasses"/>), per seed: (1) the same initialisation trained sequentially and by
/// DEER on the same batches, float64; (2) on the trained GRU at T = 1000, the error to the sequential trajectory per Newton
/// iteration, against quasi-Newton (diagonal Jacobian) and Jacobi (no Jacobian) controls, the untrained GRU, and DEER in
/// float32; the parameter gradients of both; (3) wall time vs length, DEER (chunked and doubling scans) vs the cell's loop and
/// libtorch's GRU kernel, sides alternating, one thread.
/// Metrics: <c>seed{n}/{sequential,deer}/loss</c>, <c>seed{n}/deer/iterations</c> per step; <c>seed{n}/convergence/{name}/error</c> per
/// iteration; <c>timing/{side}_{forward,train}_ms</c> with step = T.
/// </summary>
public sealed class DeerExperiment : IExperiment
{
    /// <inheritdoc />
    public string Id => "deer";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "DEER: a GRU evaluated in parallel over time by Newton's method — same states, gradients and training (Lim et al., 2024)";

    /// <inheritdoc />
    public string? Narrower => "CPU only: the paper's GPU speed-ups are measured but not claimed at cpu scale (gpu scale has not run)";

    /// <inheritdoc />
    public string Claim => FormattableString.Invariant(
        $"on a trained GRU at T = 1000, Newton's method (DEER) reaches the sequential trajectory within {DeerSettings.StateTolerance:G} in at most ") +
        FormattableString.Invariant($"{DeerSettings.MaxIterations} iterations (float64, every seed), plainly and with its iterates projected onto the GRU's state box (−1, 1); ") +
        "with the projection, its parameter gradients equal backpropagation through the loop within " +
        FormattableString.Invariant($"{DeerSettings.GradientTolerance:G} (relative); in float32 its states are within {DeerSettings.Float32Tolerance:G} of the float64 truth; ") +
        FormattableString.Invariant($"and training with DEER follows the sequential loss curve within {DeerSettings.LossTolerance:G} at every step (float64, every seed). ") +
        "Speed is measured (one CPU thread) and reported; the paper's GPU speed-up is checked at gpu scale only";

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        var s = DeerSettings.For(context.Scale);
        var seeds = context.Seeds(s.Seeds);
        context.Run.AddHyperparameters(new
        {
            hidden = s.Hidden, train_length = s.TrainLength, batch = s.Batch, steps = s.Steps, seeds = s.Seeds, lr = s.LearningRate,
            convergence_length = s.ConvergenceLength, lengths = s.Lengths, timing_batch = s.TimingBatch, rounds = s.Rounds,
            periods = SineClasses.Periods, noise = SineClasses.Noise,
        });

        var training = new List<DeerTraining>();
        var convergence = new List<DeerConvergence>();
        DeerClassifier? first = null;
        long parameters = 0;
        for (int n = 0; n < seeds.Count; n++)
        {
            ManualSeed(seeds[n] + 1);
            var model = new DeerClassifier(s.Hidden, SineClasses.Count, DType.Float64);
            parameters = model.ParameterCount();
            var initial = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
            using var untrained = new DeerClassifier(s.Hidden, SineClasses.Count, DType.Float64);
            untrained.LoadStateDict(initial);
            training.Add(Train(context, n, (int)seeds[n], s, model, initial));
            convergence.Add(Convergence(context, n, (int)seeds[n], s, model, untrained));
            foreach (var t in initial.Values) t.Dispose();
            if (n == 0) first = model;
            else model.Dispose();
        }

        var timing = new List<DeerTiming>();
        int timingThreads;
        using (ThreadLimit.To(1))
        {
            timingThreads = NumThreads;
            foreach (var T in s.Lengths)
            {
                var t = Timing(first!, T, s.TimingBatch, s.Rounds, context.Seed, context.Device, doubling: T <= s.DoublingUpTo);
                timing.Add(t);
                foreach (var (side, forward, train) in new[] { ("deer_chunked", t.ChunkedForward, t.ChunkedTrain), ("deer_doubling", t.DoublingForward, t.DoublingTrain),
                    ("loop", t.LoopForward, t.LoopTrain), ("gru", t.GruForward, t.GruTrain) })
                {
                    if (double.IsNaN(forward)) continue;
                    context.Run.Record(T, $"timing/{side}_forward_ms", forward);
                    context.Run.Record(T, $"timing/{side}_train_ms", train);
                }
                context.Run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"T={T} (batch {s.TimingBatch}, d {s.Hidden}, threads {NumThreads}): forward DEER {t.ChunkedForward:F1} / doubling {t.DoublingForward:F1} / loop {t.LoopForward:F1} / " +
                    $"GRU {t.GruForward:F1} ms; forward+backward {t.ChunkedTrain:F1} / {t.DoublingTrain:F1} / {t.LoopTrain:F1} / {t.GruTrain:F1} ms; {t.Iterations} Newton iterations"));
            }
        }
        first!.Dispose();

        var iterations = new SeedSummary(convergence.Select(c => (double)Math.Min(c.Traces[0].IterationsTo(DeerSettings.StateTolerance), 9999)));
        var projected = new SeedSummary(convergence.Select(c => (double)Math.Min(c.Traces[1].IterationsTo(DeerSettings.StateTolerance), 9999)));
        var gradient = new SeedSummary(convergence.Select(c => c.GradientError));
        var float32 = new SeedSummary(convergence.Select(c => c.Float32.Final));
        var loss = new SeedSummary(training.Select(t => t.MaxLossDifference));
        var check = new ClaimCheck()
            .AtMost($"Newton iterations to |DEER − sequential| ≤ {DeerSettings.StateTolerance:G} at T = {s.ConvergenceLength} (trained GRU, float64)", iterations,
                DeerSettings.MaxIterations, minSeeds: s.Seeds, format: "F1")
            .AtMost($"the same with iterates projected onto (−1, 1)^d", projected, DeerSettings.MaxIterations, minSeeds: s.Seeds, format: "F1")
            .AtMost("relative |DEER − sequential| of the parameter gradients (float64)", gradient, DeerSettings.GradientTolerance, minSeeds: s.Seeds, format: "E1")
            .AtMost("|DEER float32 − float64 truth| of the states", float32, DeerSettings.Float32Tolerance, minSeeds: s.Seeds, format: "E1")
            .AtMost("max over steps |training loss DEER − sequential| (float64)", loss, DeerSettings.LossTolerance, minSeeds: s.Seeds, format: "E1");
        var longest = timing[^1];
        if (s.RequiredSpeedup > 0)
            check.AtLeast($"forward+backward speed-up of DEER over the sequential loop at T = {longest.T}", longest.LoopTrain / longest.ChunkedTrain, s.RequiredSpeedup, "F1");

        var metrics = new Dictionary<string, double>
        {
            ["newton_iterations"] = iterations.Mean,
            ["projected_newton_iterations"] = projected.Mean,
            ["gradient_error"] = gradient.Max,
            ["float32_error"] = float32.Max,
            ["sequential_float32_error"] = convergence.Max(c => c.SequentialFloat32Error),
            ["loss_difference"] = loss.Max,
            ["sequential_accuracy"] = training.Average(t => t.SequentialAccuracy),
            ["deer_accuracy"] = training.Average(t => t.DeerAccuracy),
            ["train_speedup_loop"] = longest.LoopTrain / longest.ChunkedTrain,
            ["forward_speedup_loop"] = longest.LoopForward / longest.ChunkedForward,
            ["parameters"] = parameters,
            ["timing_threads"] = timingThreads,
        };
        return check.Result(metrics, outcome: new DeerOutcome(training, convergence, timing, timingThreads, parameters));
    }

    /// <summary>Trains <paramref name="model"/> by DEER and a copy from the same <paramref name="initial"/> weights sequentially, on the same batches.</summary>
    private static DeerTraining Train(ExperimentContext context, int n, int seed, DeerSettings s, DeerClassifier model, Dictionary<string, Tensor> initial)
    {
        using var sequential = new DeerClassifier(s.Hidden, SineClasses.Count, DType.Float64);
        sequential.LoadStateDict(initial);
        using var seqOptimizer = new Adam(sequential.Parameters(), lr: s.LearningRate);
        using var deerOptimizer = new Adam(model.Parameters(), lr: s.LearningRate);
        var options = new NewtonOptions(DeerSettings.TrainingTolerance, StateBound: DeerSettings.StateBound);
        double[] seqLoss = new double[s.Steps], deerLoss = new double[s.Steps];
        var iterations = new int[s.Steps];
        for (int step = 0; step < s.Steps; step++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            using var scope = NewScope();
            var (x, y) = SineClasses.Batch(s.Batch, s.TrainLength, seed * 100_003 + step);
            var lossSeq = F.CrossEntropy(sequential.Logits(sequential.Gru.ForwardSequential(x)), y);
            seqOptimizer.ZeroGrad();
            lossSeq.Backward();
            seqOptimizer.Step();
            var solution = model.Gru.Forward(x, options: options);
            var lossDeer = F.CrossEntropy(model.Logits(solution.States), y);
            deerOptimizer.ZeroGrad();
            lossDeer.Backward();
            deerOptimizer.Step();
            seqLoss[step] = lossSeq.Item<double>();
            deerLoss[step] = lossDeer.Item<double>();
            iterations[step] = solution.Iterations;
            context.Run.Record(step, $"seed{n}/sequential/loss", seqLoss[step]);
            context.Run.Record(step, $"seed{n}/deer/loss", deerLoss[step]);
            context.Run.Record(step, $"seed{n}/deer/iterations", iterations[step]);
        }
        using var eval = NewScope();
        using var noGrad = NoGrad();
        var (xTest, yTest) = SineClasses.Batch(256, s.TrainLength, -seed - 1);
        double Accuracy(Tensor logits) => logits.ArgMax(-1).Eq(yTest).Double().Mean().Item<double>();
        double seqAccuracy = Accuracy(sequential.Logits(sequential.Gru.ForwardSequential(xTest)));
        double deerAccuracy = Accuracy(model.Logits(model.Gru.Forward(xTest, options: options).States));
        context.Run.Log(string.Create(CultureInfo.InvariantCulture,
            $"seed {n}: final loss sequential {seqLoss[^1]:F6} / DEER {deerLoss[^1]:F6}, held-out accuracy {seqAccuracy:F3} / {deerAccuracy:F3}, " +
            $"Newton iterations per step {iterations.Min()}–{iterations.Max()}"));
        return new DeerTraining(seqLoss, deerLoss, iterations, seqAccuracy, deerAccuracy);
    }

    /// <summary>Error per iteration of Newton, quasi-Newton and Jacobi on the trained GRU, of Newton on the untrained one and in float32; gradient agreement.</summary>
    private static DeerConvergence Convergence(ExperimentContext context, int n, int seed, DeerSettings s, DeerClassifier model, DeerClassifier untrained)
    {
        using var scope = NewScope();
        var (x, y) = SineClasses.Batch(s.ConvergenceBatch, s.ConvergenceLength, -seed - 1000);
        int jacobiIterations = Math.Min(s.ConvergenceLength, 4 * DeerSettings.MaxIterations);
        Tensor truth, freshTruth;
        using (NoGrad())
        {
            truth = model.Gru.ForwardSequential(x);
            freshTruth = untrained.Gru.ForwardSequential(x);
        }
        const double box = DeerSettings.StateBound;
        var traces = new List<NewtonTrace>
        {
            Trace("Newton (DEER)", model.Gru, x, truth, NewtonJacobian.Exact, DeerSettings.MaxIterations + 5),
            Trace("Newton, projected", model.Gru, x, truth, NewtonJacobian.Exact, jacobiIterations, box),
            Trace("quasi-Newton (diagonal J), projected", model.Gru, x, truth, NewtonJacobian.Diagonal, jacobiIterations, box),
            Trace("Jacobi (no J)", model.Gru, x, truth, NewtonJacobian.Zero, jacobiIterations),
        };
        var fresh = Trace("Newton (DEER), untrained GRU", untrained.Gru, x, freshTruth, NewtonJacobian.Exact, DeerSettings.MaxIterations + 5);

        // float32: DEER and the loop on the same weights, both against the float64 loop.
        using var model32 = new DeerClassifier(s.Hidden, SineClasses.Count);
        model32.LoadStateDict(model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Float()));
        double sequential32;
        using (NoGrad())
        using (NewScope())
            sequential32 = (model32.Gru.ForwardSequential(x.Float()).Double() - truth).Abs().Max().Item<double>();
        var float32 = Trace("Newton, projected, float32", model32.Gru, x.Float(), truth, NewtonJacobian.Exact, jacobiIterations, box);

        // Gradients of the classification loss at T = ConvergenceLength, DEER vs backpropagation through the loop.
        var parameters = model.Parameters().Cast<Tensor>().ToArray();
        var seqGrads = Autograd.Grad([F.CrossEntropy(model.Logits(model.Gru.ForwardSequential(x)), y)], parameters);
        var states = model.Gru.Forward(x, options: new NewtonOptions(DeerSettings.TrainingTolerance, StateBound: box)).States;
        var deerGrads = Autograd.Grad([F.CrossEntropy(model.Logits(states), y)], parameters);
        double gradientError = seqGrads.Select((g, i) => (deerGrads[i]! - g!).Abs().Max().Item<double>() / g!.Abs().Max().Item<double>()).Max();

        foreach (var trace in traces.Append(fresh).Append(float32))
            for (int k = 0; k < trace.Errors.Length; k++)
                context.Run.Record(k + 1, $"seed{n}/convergence/{trace.Name}/error", trace.Errors[k]);
        var counts = string.Join(", ", traces.Append(fresh).Select(t => $"{t.Name} {t.IterationsTo(DeerSettings.StateTolerance)}"));
        context.Run.Log(string.Create(CultureInfo.InvariantCulture,
            $"seed {n}, T = {s.ConvergenceLength}: iterations to error ≤ {DeerSettings.StateTolerance:G}: {counts}; " +
            $"float32 DEER error {float32.Final:E1} (float32 loop {sequential32:E1}); gradient error {gradientError:E1}"));
        return new DeerConvergence(traces, fresh, float32, sequential32, gradientError);
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> iterations of one linearisation of <paramref name="cell"/> on x and measures every iterate
    /// against <paramref name="truth"/> (the float64 sequential states, [batch, time, d]).
    /// </summary>
    public static NewtonTrace Trace(string name, INewtonRecurrence cell, Tensor x, Tensor truth, NewtonJacobian jacobian, int iterations,
        double? bound = null)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var errors = new List<double>();
        var options = new NewtonOptions(Tolerance: 0, MaxIterations: iterations, Jacobian: jacobian, StateBound: bound,
            Observe: (_, h) => errors.Add((h.Double() - truth).Abs().Max().Item<double>()));
        var solution = ParallelNewton.Solve(cell, x, options: options);
        int finite = errors.TakeWhile(double.IsFinite).Count();                // an overflowed iterate ends the trace
        return new NewtonTrace(name, solution.Residuals.Take(finite).ToArray(), errors.Take(finite).ToArray());
    }

    /// <summary>
    /// Median wall times over alternating rounds at [batch, T] in float32 on <paramref name="model"/>'s weights: DEER (residual ≤
    /// <see cref="DeerSettings.TimingTolerance"/>) by the chunked and the doubling scan, the GRU cell's loop, libtorch's GRU kernel;
    /// forward without gradients, and forward + backward of the mean square of all states.
    /// </summary>
    public static DeerTiming Timing(DeerClassifier model, int T, int batch, int rounds, ulong seed, Device device, bool doubling = true)
    {
        using var scope = NewScope();
        using var gru32 = new DeerGru(1, model.Gru.HiddenSize, device: device);
        gru32.LoadStateDict(model.Gru.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.To(device, DType.Float32)));
        using var kernel = new GRU(1, model.Gru.HiddenSize, batchFirst: true, device: device);
        var x = SineClasses.Batch(batch, T, (int)seed + T, DType.Float32, device).X;
        int newtonIterations = 0;
        Tensor Deer(AffineScanMethod method)
        {
            var solution = gru32.Forward(x, options: new NewtonOptions(DeerSettings.TimingTolerance, MaxIterations: 30, Method: method,
                StateBound: DeerSettings.StateBound));
            newtonIterations = solution.Iterations;
            return solution.States;
        }
        var sides = new List<Func<Tensor>> { () => Deer(AffineScanMethod.Chunked), () => gru32.ForwardSequential(x), () => kernel.Forward(x).Output };
        if (doubling) sides.Add(() => Deer(AffineScanMethod.Doubling));
        void Sync()                                           // on an accelerator, reading a value waits for the queued kernels
        {
            if (device == Device.CPU) return;
            using var flag = Tensor.Zeros([1], device: device);
            flag.Item<float>();
        }
        var forward = AlternatingTimer.MedianMilliseconds(sides.Select(f => (Action)(() =>
        {
            using var s = NewScope();
            using var g = NoGrad();
            f();
            Sync();
        })).ToArray(), rounds);
        int forwardIterations = newtonIterations;           // the chunked and the doubling scan iterate alike
        var train = AlternatingTimer.MedianMilliseconds(sides.Select(f => (Action)(() =>
        {
            using var s = NewScope();
            f().Square().Mean().Backward();
            Sync();
        })).ToArray(), rounds);
        double Doubling(double[] ms) => doubling ? ms[3] : double.NaN;
        return new DeerTiming(T, forward[0], Doubling(forward), forward[1], forward[2], train[0], Doubling(train), train[1], train[2], forwardIterations);
    }
}
