using System.Diagnostics;
using System.Globalization;
using Research.Torch;
using Research.Torch.Distributed;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Bench;

/// <summary>
/// One data-parallel training step (MLP 256→1024→1024→10, global batch 512, float32, SGD) in one process vs two
/// processes on Gloo over loopback, each with half the batch and its share of the cores; Research.Torch and PyTorch side
/// by side, rounds alternating so that a busy machine slows both alike (each keeps its best median). One process with one
/// thread is the baseline that separates what data parallelism gains from what a multi-threaded process loses on a
/// machine whose cores are busy (OpenMP threads waiting at barriers for a descheduled sibling).
/// </summary>
public static class DataParallelBenchmark
{

    /// <summary>Runs the configurations (<paramref name="steps"/> timed steps each, <paramref name="rounds"/> rounds), prints a table of median step times and ratios.</summary>
    public static void Run(TextWriter output, int steps = 20, int rounds = 2)
    {
        int cores = Environment.ProcessorCount;
        var configs = new (string Name, int World, int Threads, double BucketMB)[]
        {
            ($"1 process, {cores} threads, batch 512", 1, cores, 25),
            ("1 process, 1 thread, batch 512", 1, 1, 25),
            ($"2 processes x {Math.Max(1, cores / 2)} thread(s), batch 256 each, 25 MB buckets", 2, Math.Max(1, cores / 2), 25),
            ($"2 processes x {Math.Max(1, cores / 2)} thread(s), 0.5 MB buckets (more overlap with backward)", 2, Math.Max(1, cores / 2), 0.5),
        };
        var ours = new double[configs.Length];
        var theirs = new double[configs.Length];
        Array.Fill(ours, double.MaxValue);
        Array.Fill(theirs, double.MaxValue);
        var self = typeof(DataParallelBenchmark).Assembly.Location;
        var python = Path.Combine(AppContext.BaseDirectory, "ddp_rank.py");
        for (int round = 0; round < rounds; round++)
            for (int c = 0; c < configs.Length; c++)
            {
                var (name, world, threads, bucket) = configs[c];
                double a = Job("dotnet", [self, "ddp-rank"], world, threads, bucket, steps);
                double b = Job("/usr/bin/python3", [python], world, threads, bucket, steps);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1}: {name}: ours {a:F2} ms, pytorch {b:F2} ms"));
                (ours[c], theirs[c]) = (Math.Min(ours[c], a), Math.Min(theirs[c], b));
            }
        output.WriteLine($"libtorch {LibtorchVersion}, {cores} cores, Gloo over loopback, median of {steps} steps, best of {rounds} rounds");
        output.WriteLine($"{"configuration",-78} {"ours ms",8} {"vs 1 proc",9} {"pytorch ms",10} {"vs 1 proc",9} {"ours/pytorch",12}");
        for (int c = 0; c < configs.Length; c++)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{configs[c].Name,-78} {ours[c],8:F2} {ours[c] / ours[0],9:F2} {theirs[c],10:F2} {theirs[c] / theirs[0],9:F2} {ours[c] / theirs[c],12:F2}"));
    }

    // Starts the ranks of one job (rank 0 first: it prints the store's port) and returns rank 0's median step time.
    private static double Job(string program, string[] prefix, int world, int threads, double bucketMB, int steps)
    {
        var ranks = new List<Process>();
        try
        {
            string port = "0";
            for (int rank = 0; rank < world; rank++)
            {
                var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var a in prefix) psi.ArgumentList.Add(a);
                foreach (var a in new object[] { rank, world, port, threads, bucketMB, steps })
                    psi.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
                psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
                psi.Environment["RESEARCH_TORCH_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
                var p = Process.Start(psi)!;
                ranks.Add(p);
                if (rank == 0 && world > 1) port = ReadValue(p, "port");
            }
            var ms = double.Parse(ReadValue(ranks[0], "ms"), CultureInfo.InvariantCulture);
            foreach (var p in ranks)
                if (!p.WaitForExit(120_000)) throw new TimeoutException("a benchmark rank did not finish in 120 s");
            return ms;
        }
        finally
        {
            foreach (var p in ranks)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
    }

    private static string ReadValue(Process p, string key)
    {
        var read = Task.Run(() =>
        {
            while (p.StandardOutput.ReadLine() is { } line)
                if (line.StartsWith(key + " ", StringComparison.Ordinal)) return line[(key.Length + 1)..];
            throw new InvalidOperationException($"a benchmark rank ended without printing '{key}'");
        });
        return read.Wait(TimeSpan.FromSeconds(120)) ? read.Result : throw new TimeoutException($"no '{key}' from a benchmark rank in 120 s");
    }

    /// <summary>One rank (args: rank world port threads bucketMB steps); rank 0 of a multi-rank job with port 0 prints "port N".</summary>
    public static void Rank(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int rank = int.Parse(args[0], inv), world = int.Parse(args[1], inv), port = int.Parse(args[2], inv), steps = int.Parse(args[5], inv);
        double bucketMB = double.Parse(args[4], inv);
        ManualSeed(0);
        using var model = new Sequential(new Linear(256, 1024), new ReLU(), new Linear(1024, 1024), new ReLU(), new Linear(1024, 10));
        ProcessGroup? group = null;
        DistributedDataParallel? ddp = null;
        if (world > 1)
        {
            using var store = Store.Tcp("127.0.0.1", port, isServer: rank == 0, world, TimeSpan.FromSeconds(120));
            if (rank == 0) Console.WriteLine($"port {store.Port}");
            group = ProcessGroup.Init(Backend.Gloo, store, rank, world, TimeSpan.FromSeconds(120), hostname: "127.0.0.1");
            ddp = new DistributedDataParallel(group, model, bucketMB);
        }
        using var opt = new SGD(model.Parameters(), lr: 0.01);
        int batch = 512 / world;
        using var x = Tensor.RandN(batch, 256).DetachFromScope();
        using var y = Tensor.RandInt(0, 10, [batch]).DetachFromScope();
        var times = new List<double>();
        for (int step = 0; step < steps + 5; step++)
        {
            var clock = Stopwatch.StartNew();
            using (NewScope())
            {
                var loss = F.CrossEntropy(model.Forward(x), y);
                opt.ZeroGrad();
                if (ddp is not null) ddp.Backward(loss);
                else loss.Backward();
                opt.Step();
            }
            if (step >= 5) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine(string.Create(inv, $"ms {times[times.Count / 2]}"));
        ddp?.Dispose();
        group?.Dispose();
    }
}
