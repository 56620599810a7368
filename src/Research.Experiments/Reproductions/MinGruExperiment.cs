using System.Globalization;
using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Feng et al. (2024), "Were RNNs All We Needed?", with Grazzi et al. (2024) on negative eigenvalues — the experiment of
/// notebooks/sequence/mingru.ipynb: (1) <see cref="MinGru"/>'s log-space scan computes the loop's states (float64);
/// (2) a training step through the scan is faster than through the loop on a long sequence (small model, one thread);
/// (3) a diagonal linear RNN learns parity only with eigenvalues in (−1, 1) (<see cref="ParityStudy"/>).
/// Metrics with step = sequence length T: <c>agreement/float64</c>, <c>agreement/float32</c> (relative |scan − loop|),
/// <c>timing/{scan,loop}_{forward,train}_ms</c>, <c>timing/train_speedup</c>; the parity metrics of <see cref="ParityStudy"/>.
/// </summary>
public sealed class MinGruExperiment : IExperiment
{
    /// <summary>The sequence lengths of the agreement and timing checks; the timing claim is checked at the last.</summary>
    public static readonly int[] Lengths = [64, 256, 1024, 4096];

    /// <summary>The largest relative |scan − loop| allowed in float64.</summary>
    public const double Float64Tolerance = 1e-9;

    /// <inheritdoc />
    public string Id => "mingru";

    /// <inheritdoc />
    public string Family => "sequence models";

    /// <inheritdoc />
    public string Title => "minGRU: a GRU as a parallel scan (Feng et al., 2024), and negative eigenvalues for parity (Grazzi et al., 2024)";

    /// <inheritdoc />
    public string Claim => string.Create(CultureInfo.InvariantCulture,
        $"minGRU's log-space scan equals the sequential loop in float64 (relative error < {Float64Tolerance:0E+0}) and a training step through it is faster " +
        $"than through the loop at T = {Lengths[^1]} (batch 1, 16 channels, one thread); and {ParityStudy.Claim}");

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        using var threads = ThreadLimit.ForSmallModels();
        const int repeats = 7;
        context.Run.AddHyperparameters(new { lengths = Lengths, timing_repeats = repeats, timing_threads = 1 });

        var agreement = Lengths.Select(T => Agreement(T, context.Seed)).ToArray();
        foreach (var a in agreement)
        {
            context.Run.Record(a.T, "agreement/float64", a.Float64);
            context.Run.Record(a.T, "agreement/float32", a.Float32);
        }

        TimingRow[] timing;
        using (ThreadLimit.To(1))
            timing = Lengths.Select(T => Timing(T, context.Seed, repeats)).ToArray();
        foreach (var t in timing)
        {
            context.Run.Record(t.T, "timing/scan_forward_ms", t.ScanForward);
            context.Run.Record(t.T, "timing/loop_forward_ms", t.LoopForward);
            context.Run.Record(t.T, "timing/scan_train_ms", t.ScanTrain);
            context.Run.Record(t.T, "timing/loop_train_ms", t.LoopTrain);
            context.Run.Record(t.T, "timing/train_speedup", t.LoopTrain / t.ScanTrain);
        }

        var parity = ParityStudy.Run(context);

        double worst64 = agreement.Max(a => a.Float64);
        var last = timing[^1];
        bool agrees = worst64 < Float64Tolerance, faster = last.ScanTrain < last.LoopTrain;
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"scan vs loop in float64: max relative error {worst64:0.0E+0} {(agrees ? "<" : "≥")} {Float64Tolerance:0E+0} (float32 {agreement[^1].Float32:0.0E+0} at T={agreement[^1].T}); " +
            $"training step at T={last.T}: scan {last.ScanTrain:F1} ms, loop {last.LoopTrain:F1} ms ({last.LoopTrain / last.ScanTrain:F1}x{(faster ? "" : ", not faster")}); {parity.Detail}");
        var metrics = new Dictionary<string, double>(parity.Metrics)
        {
            ["float64_relative_error"] = worst64,
            ["float32_relative_error"] = agreement[^1].Float32,
            ["scan_train_ms"] = last.ScanTrain,
            ["loop_train_ms"] = last.LoopTrain,
            ["train_speedup"] = last.LoopTrain / last.ScanTrain,
        };
        return new ExperimentResult(agrees && faster && parity.Holds, detail, metrics, parity.Training);
    }

    /// <summary>Relative max |scan − loop| of one random minGRU (16 → 32) on a random [4, T, 16] input, in float64 and in float32.</summary>
    public static (int T, double Float64, double Float32) Agreement(int T, ulong seed)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        ManualSeed(seed);
        using var gru64 = new MinGru(16, 32, dtype: DType.Float64);
        using var gru32 = new MinGru(16, 32);
        gru32.LoadStateDict(gru64.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Float()));
        var x = Tensor.RandN([4, T, 16], DType.Float64);
        var reference = gru64.ForwardSequential(x);
        double scale = reference.Abs().Max().Item<double>();
        double Relative(Tensor h) => (h.Double() - reference).Abs().Max().Item<double>() / scale;
        return (T, Relative(gru64.Forward(x)), Relative(gru32.Forward(x.Float())));
    }

    /// <summary>Best-of-<paramref name="repeats"/> wall times of one minGRU layer (batch 1, 16 → 16) at length T: forward only, and forward + backward.</summary>
    public static TimingRow Timing(int T, ulong seed, int repeats = 7)
    {
        using var scope = NewScope();
        ManualSeed(seed);
        using var gru = new MinGru(16, 16);
        var x = Tensor.RandN(1, T, 16);
        double Forward(Func<Tensor, Tensor> f) => WallClock.BestMilliseconds(() => { using var s = NewScope(); using var g = NoGrad(); f(x); }, repeats);
        double Train(Func<Tensor, Tensor> f) => WallClock.BestMilliseconds(() => { using var s = NewScope(); f(x).Square().Mean().Backward(); }, repeats);
        return new TimingRow(T, Forward(gru.Forward), Forward(h => gru.ForwardSequential(h)), Train(gru.Forward), Train(h => gru.ForwardSequential(h)));
    }
}

/// <summary>Wall times in milliseconds of minGRU at length <paramref name="T"/>: scan and loop, forward only and forward + backward.</summary>
public sealed record TimingRow(int T, double ScanForward, double LoopForward, double ScanTrain, double LoopTrain);
