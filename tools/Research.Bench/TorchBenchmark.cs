using System.Diagnostics;
using System.Text.Json;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Bench;

/// <summary>
/// Research.Torch vs PyTorch on the same libtorch, same threads, one run: tiny-op overhead, an
/// overhead-bound training step and a kernel-bound one. Writes artifacts/bench/torch.json under <c>root</c>.
/// </summary>
public static class TorchBenchmark
{
    /// <summary>Runs every benchmark on both sides, prints a table and writes the JSON; returns the rows.</summary>
    public static IReadOnlyList<BenchmarkRow> Run(string root, TextWriter output)
    {
        int threads = NumThreads;
        // Rounds alternate between the two sides so that a busy machine slows both alike; each side keeps
        // its best median over the rounds.
        // PyTorch runs twice per round: as users run it, and with the glibc malloc settings Research.Torch
        // applies at load (large blocks reused instead of re-mapped and re-zeroed), so that a kernel-bound
        // ratio shows what is the allocator and what is the binding.
        var ours = new Dictionary<string, double>();
        var theirs = new Dictionary<string, double>();
        var theirsTuned = new Dictionary<string, double>();
        for (int round = 0; round < Rounds; round++)
        {
            Keep(ours, MeasureOurs());
            Keep(theirs, Bench.RunPyTorch(threads, tunedMalloc: false));
            Keep(theirsTuned, Bench.RunPyTorch(threads, tunedMalloc: true));
        }
        var rows = ours.Select(kv => new BenchmarkRow(kv.Key, Math.Round(kv.Value, 4), Math.Round(theirs[kv.Key], 4), Math.Round(kv.Value / theirs[kv.Key], 3),
            Math.Round(theirsTuned[kv.Key], 4), Math.Round(kv.Value / theirsTuned[kv.Key], 3))).ToList();
        var dir = Path.Combine(root, "artifacts", "bench");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "torch.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));

        output.WriteLine($"libtorch {Research.Torch.Torch.LibtorchVersion}, intra-op threads {threads}, BLAS: {string.Join(" ", BlasInfo.Split(" ").Take(2))} ({BlasThreading}, {BlasThreads} threads), {Environment.ProcessorCount} cores");
        output.WriteLine($"{"benchmark",-64} {"ours ms",10} {"pytorch ms",11} {"ratio",7} {"pytorch+malloc ms",18} {"ratio",7}");
        foreach (var r in rows)
            output.WriteLine($"{r.Name,-64} {r.OursMs,10:F4} {r.PytorchMs,11:F4} {r.Ratio,7:F3} {r.PytorchTunedMallocMs,18:F4} {r.RatioTunedMalloc,7:F3}");
        output.WriteLine($"wrote {Path.Combine(dir, "torch.json")}");
        return rows;
    }

    /// <summary>How many alternating rounds each side runs.</summary>
    public const int Rounds = 3;

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

    private static void Keep(Dictionary<string, double> best, Dictionary<string, double> round)
    {
        foreach (var (name, ms) in round) best[name] = best.TryGetValue(name, out var b) ? Math.Min(b, ms) : ms;
    }
}

/// <summary>
/// One benchmark: median milliseconds per iteration here and in PyTorch (as shipped, and with the same glibc
/// malloc settings as ours), and ours / theirs for each.
/// </summary>
public sealed record BenchmarkRow(string Name, double OursMs, double PytorchMs, double Ratio, double PytorchTunedMallocMs, double RatioTunedMalloc);

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
