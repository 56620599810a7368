using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Bench;

/// <summary>
/// Research.Torch vs PyTorch on the same libtorch, same threads, one run: tiny-op overhead, an overhead-bound
/// training step, a kernel-bound conv stack, a matmul-heavy MLP step (with its fraction of the measured sgemm peak)
/// and one training step of five reproduction models against their PyTorch twins (twins.py), whose first losses must
/// agree. Writes artifacts/bench/torch.json and artifacts/bench/blas-threading.json under <c>root</c>.
/// </summary>
public static class TorchBenchmark
{
    /// <summary>How many alternating rounds each side runs by default.</summary>
    public const int Rounds = 3;

    /// <summary>Losses each twin pair compares before timing.</summary>
    public const int LossSteps = 3;

    /// <summary>Timed steps per model case and round (after the loss steps, which warm up).</summary>
    public const int TimedSteps = 20;

    /// <summary>Largest relative difference of the twins' first losses accepted as "same".</summary>
    public const double LossTolerance = 1e-4;

    /// <summary>Runs every benchmark on both sides, prints a table and writes the JSON; returns the rows.</summary>
    public static IReadOnlyList<BenchmarkRow> Run(string root, TextWriter output, int rounds = Rounds)
    {
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "need at least one round");
        int threads = NumThreads;
        var cases = ModelCases.All();
        var caseDir = Directory.CreateTempSubdirectory("research-bench-").FullName;
        try
        {
            var files = cases.Select(c =>
            {
                var path = Path.Combine(caseDir, c.Key + ".safetensors");
                c.Save(path);
                return path;
            }).ToList();
            // Rounds alternate between the two sides so that a busy machine slows both alike; each side keeps
            // its best median over the rounds.
            // PyTorch runs twice per round: as users run it, and with the glibc malloc settings Research.Torch
            // applies at load (large blocks reused instead of re-mapped and re-zeroed), so that a kernel-bound
            // ratio shows what is the allocator and what is the binding.
            var ours = new Dictionary<string, double>();
            var theirs = new Dictionary<string, double>();
            var theirsTuned = new Dictionary<string, double>();
            var ourLosses = new Dictionary<string, double[]>();
            var theirLosses = new Dictionary<string, double[]>();
            double peak = 0, stepGemms = 0;
            for (int round = 0; round < rounds; round++)
            {
                Keep(ours, MeasureOurs());
                peak = Math.Max(peak, SgemmPeak.MeasureGflops());
                stepGemms = Math.Max(stepGemms, SgemmPeak.StepGemmsGflops(ModelCases.MlpWidths, ModelCases.MlpBatch));
                foreach (var c in cases)
                {
                    var (losses, ms) = c.Train(LossSteps, TimedSteps);
                    ourLosses.TryAdd(c.Name, losses);
                    Keep(ours, new() { [c.Name] = ms!.Value });
                }
                Keep(theirs, Bench.RunPyTorch(threads, tunedMalloc: false));
                Keep(theirsTuned, Bench.RunPyTorch(threads, tunedMalloc: true));
                foreach (var (tuned, best) in new[] { (false, theirs), (true, theirsTuned) })
                {
                    var twins = PyTorchTwins.Run(threads, tuned, files, LossSteps, TimedSteps);
                    foreach (var c in cases)
                    {
                        var twin = twins[c.Key];
                        if (!tuned) theirLosses.TryAdd(c.Name, twin.Losses);
                        Keep(best, new() { [c.Name] = twin.Ms!.Value });
                    }
                }
            }
            var blas = BlasThreadingComparison.Run(TimedSteps);
            var rows = ours.Select(kv =>
            {
                var flops = cases.FirstOrDefault(c => c.Name == kv.Key)?.Flops;
                double? gflops = flops is { } f ? Math.Round(f / kv.Value / 1e6, 2) : null;
                double? lossDiff = ourLosses.TryGetValue(kv.Key, out var a) ? MaxRelativeDifference(a, theirLosses[kv.Key]) : null;
                return new BenchmarkRow(kv.Key, Math.Round(kv.Value, 4), Math.Round(theirs[kv.Key], 4), Math.Round(kv.Value / theirs[kv.Key], 3),
                    Math.Round(theirsTuned[kv.Key], 4), Math.Round(kv.Value / theirsTuned[kv.Key], 3))
                {
                    Gflops = gflops,
                    SgemmPeakGflops = gflops is null ? null : Math.Round(peak, 2),
                    PeakFraction = gflops is { } g ? Math.Round(g / peak, 3) : null,
                    PytorchPeakFraction = flops is { } f2 ? Math.Round(f2 / theirs[kv.Key] / 1e6 / peak, 3) : null,
                    StepGemmsPeakFraction = gflops is null ? null : Math.Round(stepGemms / peak, 3),
                    LossRelDiff = lossDiff,
                    OursLosses = a,
                    PytorchLosses = a is null ? null : theirLosses[kv.Key],
                };
            }).ToList();
            var dir = Path.Combine(root, "artifacts", "bench");
            Directory.CreateDirectory(dir);
            var json = new JsonSerializerOptions
            {
                WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            };
            File.WriteAllText(Path.Combine(dir, "torch.json"), JsonSerializer.Serialize(rows, json));
            File.WriteAllText(Path.Combine(dir, "blas-threading.json"), JsonSerializer.Serialize(blas, json));

            output.WriteLine($"libtorch {Research.Torch.Torch.LibtorchVersion}, intra-op threads {threads}, BLAS: {string.Join(" ", BlasInfo.Split(" ").Take(2))} ({BlasThreading}, {BlasThreads} threads, {BlasCore} kernels{(BlasCoreForced ? ", chosen by Research.Torch" : "")}), CPU allocator: {CpuAllocator}, {Environment.ProcessorCount} cores, {rounds} rounds");
            output.WriteLine($"{"benchmark",-72} {"ours ms",10} {"pytorch ms",11} {"ratio",7} {"pytorch+malloc ms",18} {"ratio",7}  twins' first {LossSteps} losses");
            foreach (var r in rows)
            {
                var twin = r.LossRelDiff is { } d ? $"  {(d <= LossTolerance ? "agree" : "DIFFER")} (max rel. diff {d:E1})" : "";
                output.WriteLine($"{r.Name,-72} {r.OursMs,10:F4} {r.PytorchMs,11:F4} {r.Ratio,7:F3} {r.PytorchTunedMallocMs,18:F4} {r.RatioTunedMalloc,7:F3}{twin}");
            }
            output.WriteLine($"sgemm {SgemmPeak.Size}x{SgemmPeak.Size} float32 peak (ours, {threads} threads): {peak:F1} GFLOP/s");
            foreach (var r in rows.Where(r => r.Gflops is not null))
                output.WriteLine($"{r.Name}: {r.Gflops:F1} GFLOP/s = {r.PeakFraction:P1} of the sgemm peak (PyTorch {r.PytorchPeakFraction:P1}); " +
                    $"its GEMMs alone, same shapes and order: {stepGemms:F1} GFLOP/s = {stepGemms / peak:P1} of the peak (the step's ceiling)");
            foreach (var m in blas)
                output.WriteLine($"matmul step in a child process, {m.Setting,-22} (BLAS threading {m.BlasThreading}): {m.StepMs,9:F3} ms, sgemm {m.SgemmGflops:F1} GFLOP/s");
            output.WriteLine($"wrote {Path.Combine(dir, "torch.json")} and blas-threading.json");
            return rows;
        }
        finally
        {
            Directory.Delete(caseDir, true);
        }
    }

    private static Dictionary<string, double> MeasureOurs()
    {
        var ours = new Dictionary<string, double>
        {
            ["tiny add (1 element)"] = Bench.MedianMs(n => Bench.TinyAdd(n, grad: false), 30, 20000),
            ["tiny add, requires_grad"] = Bench.MedianMs(n => Bench.TinyAdd(n, grad: true), 30, 20000),
        };
        using (var mlp = new Bench.Mlp()) ours["MLP step, batch 16 (overhead-bound)"] = Bench.MedianMs(mlp.Steps, 30, 100);
        using (var conv = new Bench.ConvStack()) ours["dilated causal conv stack, 8x1s@16kHz fwd+bwd (kernel-bound)"] = Bench.MedianMs(conv.Steps, 5, 1);
        return ours;
    }

    /// <summary>max |a − b| / |b| over the pairs (the twins' losses).</summary>
    public static double MaxRelativeDifference(IReadOnlyList<double> ours, IReadOnlyList<double> theirs)
    {
        if (ours.Count != theirs.Count) throw new ArgumentException($"{ours.Count} losses vs {theirs.Count}");
        return ours.Zip(theirs, (a, b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), double.Epsilon)).DefaultIfEmpty(0).Max();
    }

    private static void Keep(Dictionary<string, double> best, Dictionary<string, double> round)
    {
        foreach (var (name, ms) in round) best[name] = best.TryGetValue(name, out var b) ? Math.Min(b, ms) : ms;
    }
}

/// <summary>
/// One benchmark: median milliseconds per iteration here and in PyTorch (as shipped, and with the same glibc
/// malloc settings as ours), and ours / theirs for each. Model steps add their twins' first losses and the largest
/// relative difference between them; the matmul-heavy step adds its GFLOP/s and fraction of the measured sgemm peak.
/// </summary>
public sealed record BenchmarkRow(string Name, double OursMs, double PytorchMs, double Ratio, double PytorchTunedMallocMs, double RatioTunedMalloc)
{
    /// <summary>Our step's achieved GFLOP/s (analytic FLOP count / median time), for the matmul-heavy step.</summary>
    public double? Gflops { get; init; }

    /// <summary>The sgemm rate measured in the same run.</summary>
    public double? SgemmPeakGflops { get; init; }

    /// <summary><see cref="Gflops"/> / <see cref="SgemmPeakGflops"/>.</summary>
    public double? PeakFraction { get; init; }

    /// <summary>PyTorch's step rate over the same peak.</summary>
    public double? PytorchPeakFraction { get; init; }

    /// <summary>The step's GEMMs alone (same shapes and order) over the same peak: the most the step could reach.</summary>
    public double? StepGemmsPeakFraction { get; init; }

    /// <summary>max |ours − pytorch| / |pytorch| over the first losses, for model steps.</summary>
    public double? LossRelDiff { get; init; }

    /// <summary>Our first losses.</summary>
    public double[]? OursLosses { get; init; }

    /// <summary>The PyTorch twin's first losses.</summary>
    public double[]? PytorchLosses { get; init; }
}

internal static class Bench
{
    internal static double MedianMs(Action<int> run, int repeats, int inner)
    {
        for (int i = 0; i < Math.Max(1, repeats / 5); i++) run(inner);
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run(inner);
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / inner;
        }
        Array.Sort(samples);
        return samples[repeats / 2];
    }

    internal static void TinyAdd(int n, bool grad)
    {
        using var a = Tensor.Ones(1).RequiresGrad_(grad);
        using var b = Tensor.Ones(1);
        for (int i = 0; i < n; i++)
        {
            using var c = a + b;
        }
    }

    internal sealed class Mlp : IDisposable
    {
        private readonly Tensor[] _ps;
        private readonly Tensor _x, _y;

        public Mlp()
        {
            ManualSeed(0);
            _ps = [(Tensor.RandN(32, 64) * 0.1).RequiresGrad_(), Tensor.Zeros([64], requiresGrad: true),
                   (Tensor.RandN(64, 64) * 0.1).RequiresGrad_(), Tensor.Zeros([64], requiresGrad: true),
                   (Tensor.RandN(64, 10) * 0.1).RequiresGrad_(), Tensor.Zeros([10], requiresGrad: true)];
            _x = Tensor.RandN(16, 32);
            _y = Tensor.RandN(16, 10);
        }

        public void Steps(int n)
        {
            for (int i = 0; i < n; i++)
            {
                using var scope = NewScope();
                var h = (_x.Matmul(_ps[0]) + _ps[1]).Relu();
                h = (h.Matmul(_ps[2]) + _ps[3]).Relu();
                var loss = (h.Matmul(_ps[4]) + _ps[5] - _y).Pow(2).Mean();
                foreach (var p in _ps) p.Grad = null;
                loss.Backward();
                using (NoGrad())
                    foreach (var p in _ps) p.Sub_(p.Grad!, 0.01);
            }
        }

        public void Dispose()
        {
            foreach (var p in _ps) p.Dispose();
            _x.Dispose();
            _y.Dispose();
        }
    }

    internal sealed class ConvStack : IDisposable
    {
        private static readonly Op s_conv1d = new("conv1d");
        private readonly Tensor[] _ws;
        private readonly Tensor _x;

        public ConvStack()
        {
            ManualSeed(0);
            _ws = Enumerable.Range(0, 10).Select(_ => (Tensor.RandN(64, 32, 2) * 0.1).RequiresGrad_()).ToArray();
            _x = Tensor.RandN(8, 32, 16000);
        }

        public void Steps(int n)
        {
            for (int i = 0; i < n; i++)
            {
                using var scope = NewScope();
                var h = _x;
                for (int l = 0; l < _ws.Length; l++)
                {
                    long d = 1L << l;
                    var z = s_conv1d.Call(h.Pad([d, 0]), _ws[l], OpArg.None, 1L, 0L, d, 1L);
                    var fg = z.Chunk(2, 1);
                    h = h + fg[0].Tanh() * fg[1].Sigmoid();
                }
                var loss = h.Square().Mean();
                foreach (var w in _ws) w.Grad = null;
                loss.Backward();
            }
        }

        public void Dispose()
        {
            foreach (var w in _ws) w.Dispose();
            _x.Dispose();
        }
    }

    internal static Dictionary<string, double> RunPyTorch(int threads, bool tunedMalloc)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true };
        PyTorchTwins.SameBlasKernels(psi);
        if (tunedMalloc) psi.Environment["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824";
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bench.py"));
        psi.ArgumentList.Add(threads.ToString());
        using var p = Process.Start(psi)!;
        var json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"bench.py failed with {p.ExitCode}");
        return JsonSerializer.Deserialize<Dictionary<string, double>>(json)!;
    }

}
