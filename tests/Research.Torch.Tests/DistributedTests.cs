using System.Diagnostics;
using Research.Torch.Distributed;
using Research.Torch.NN;
using Research.Torch.Optim;
using Research.TestSupport;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

/// <summary>
/// Distributed training on c10d over loopback. Each rank is a process of its own (tests/Research.Torch.DistributedRank,
/// or Debian's PyTorch); rank 0 hosts the TCP store on a port the OS picks and prints it; every wait has a timeout and
/// every child is killed in finally.
/// </summary>
public class DistributedTests
{
    private static readonly string[] Expected = ["allreduce 3 30", "max 1", "broadcast 42", "allgather 0 2", "barrier"];

    [Fact]
    public void CollectivesAgreeAcrossTwoRanks()
    {
        using var job = new RankJob();
        var rank0 = job.StartRank("collectives", 0, "0");
        var rank1 = job.StartRank("collectives", 1, job.PortOf(rank0));
        Assert.Equal(Expected, job.Finish(rank0).Where(l => !l.StartsWith("port ")));
        Assert.Equal(Expected, job.Finish(rank1));
    }

    [Fact]
    public void CollectivesRendezvousThroughAFileStore()
    {
        using var job = new RankJob();
        var file = Path.Combine(job.Directory, "store");
        var rank0 = job.StartRank("collectives", 0, file);
        var rank1 = job.StartRank("collectives", 1, file);
        Assert.Equal(Expected, job.Finish(rank0));
        Assert.Equal(Expected, job.Finish(rank1));
    }

    [Fact]
    public void ACSharpRankAndAPyTorchRankAllReduceInOneGlooGroup()
    {
        using var job = new RankJob();
        var rank0 = job.StartRank("collectives", 0, "0");
        var script = Path.Combine(job.Directory, "rank.py");
        File.WriteAllText(script, """
            import datetime, sys, torch, torch.distributed as dist
            dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{sys.argv[1]}", rank=1, world_size=2,
                                    timeout=datetime.timedelta(seconds=60))
            f64 = lambda *v: torch.tensor(v, dtype=torch.float64)
            def show(v): return " ".join(f"{x:g}" for x in v.tolist())
            t = f64(2.0, 20.0); dist.all_reduce(t); print("allreduce", show(t))
            m = f64(1.0); dist.all_reduce(m, op=dist.ReduceOp.MAX); print("max", show(m))
            b = f64(-1.0); dist.broadcast(b, 0); print("broadcast", show(b))
            out = [f64(0.0), f64(0.0)]; dist.all_gather(out, f64(2.0)); print("allgather", show(torch.cat(out)))
            dist.barrier(); print("barrier")
            """);
        var python = job.Start(PyTorchReference.Python, [script, job.PortOf(rank0)]);
        Assert.Equal(Expected, job.Finish(python));
        Assert.Equal(Expected, job.Finish(rank0).Where(l => !l.StartsWith("port ")));
    }

    [Fact]
    public void TwoRanksTrainExactlyAsOneProcessOnTheConcatenatedBatch()
    {
        using var job = new RankJob();
        var prefix = Path.Combine(job.Directory, "model");
        var rank0 = job.StartRank("train", 0, "0", prefix);
        var rank1 = job.StartRank("train", 1, job.PortOf(rank0), prefix);
        job.Finish(rank0);
        job.Finish(rank1);

        // The same 20 steps in this process, on whole batches of 16 rows, from rank 0's initial weights.
        using var scope = NewScope();
        ManualSeed(7);
        var x = Tensor.RandN([20, 16, 4], DType.Float64);
        var y = Tensor.RandN([20, 16, 1], DType.Float64);
        ManualSeed(100);
        using var model = new Sequential(new Linear(4, 8, dtype: DType.Float64), new Tanh(), new Linear(8, 1, dtype: DType.Float64));
        using var opt = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        for (int step = 0; step < 20; step++)
        {
            var loss = F.MseLoss(model.Forward(x[step]), y[step]);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }
        var expected = model.StateDict();
        foreach (var rank in new[] { 0, 1 })
        {
            var trained = Load($"{prefix}.{rank}.pt");
            Assert.Equal(expected.Keys.Order(), trained.Keys.Order());
            foreach (var (name, value) in expected)
            {
                double diff = (trained[name] - value).Abs().Max().Item<double>();
                Assert.True(diff <= 1e-12, $"rank {rank}: {name} differs from one-process training by {diff:G3}");
            }
        }
        // And training moved the weights: equal because the gradients were averaged, not because nothing happened.
        ManualSeed(100);
        using var initial = new Sequential(new Linear(4, 8, dtype: DType.Float64), new Tanh(), new Linear(8, 1, dtype: DType.Float64));
        Assert.True((initial.StateDict()["0.weight"] - expected["0.weight"]).Abs().Max().Item<double>() > 1e-3);
    }

    [Fact]
    public void KillingARankMakesTheOtherFailWithAClearError()
    {
        using var job = new RankJob(groupTimeoutSeconds: 60);
        var rank0 = job.StartRank("hang", 0, "0");
        var rank1 = job.StartRank("hang", 1, job.PortOf(rank0));
        job.WaitForLine(rank1, "joined");
        job.WaitForLine(rank0, "joined");
        rank1.Process.Kill(entireProcessTree: true);
        var lines = job.Finish(rank0, expectedExitCode: 3);
        var lost = Assert.Single(lines, l => l.StartsWith("peer lost: "));
        Assert.Contains("closed", lost, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ASilentRankMakesTheOtherFailAfterTheGroupTimeout()
    {
        using var job = new RankJob(groupTimeoutSeconds: 10);
        var rank0 = job.StartRank("hang", 0, "0");
        var rank1 = job.StartRank("hang", 1, job.PortOf(rank0));
        job.WaitForLine(rank0, "joined");
        var lines = job.Finish(rank0, expectedExitCode: 3);
        var lost = Assert.Single(lines, l => l.StartsWith("peer lost: "));
        Assert.Contains("timed out", lost, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DistributedSamplerSplitsAnEpochLikePyTorch()
    {
        // torch.utils.data.DistributedSampler(range(10), num_replicas=3, shuffle=False): rank r takes r, r+3, ... of
        // the order padded to 12 by wrapping around.
        int[][] expected = [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]];
        var order = Enumerable.Range(0, 10).ToArray();
        for (int r = 0; r < 3; r++) Assert.Equal(expected[r], new DistributedSampler(r, 3).Shard(order));
        Assert.Equal([0, 3, 6], new DistributedSampler(0, 3, dropLast: true).Shard(order));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(3, 3));
    }

    [Fact]
    public void NcclIsSelectedOnlyOnCudaBuilds()
    {
        if (ProcessGroup.NcclAvailable)
        {
            Assert.True(CudaIsAvailable, "an NCCL build without a visible GPU");
            return;
        }
        // CPU build (Debian's libtorch): asking for NCCL says so instead of failing obscurely.
        using var store = Store.Tcp("127.0.0.1", 0, isServer: true, worldSize: 1, TimeSpan.FromSeconds(30));
        var e = Assert.Throws<NotSupportedException>(() => ProcessGroup.Nccl(store, 0, 1));
        Assert.Contains("without NCCL", e.Message);
    }

    [CudaFact]
    public void NcclGroupOfOneAllReducesACudaTensor()
    {
        Assert.True(ProcessGroup.NcclAvailable, "a CUDA libtorch, but the shim was built without NCCL (nccl.h not found by CMake)");
        using var store = Store.Tcp("127.0.0.1", 0, isServer: true, worldSize: 1, TimeSpan.FromSeconds(60));
        using var group = ProcessGroup.Nccl(store, 0, 1);
        using var scope = NewScope();
        var t = Tensor.Arange(4, DType.Float64).To(Device.Cuda());
        group.AllReduce(t);
        group.Broadcast(t);
        Assert.Equal([0.0, 1.0, 2.0, 3.0], t.Cpu().ToArray<double>());
    }

    [Fact]
    public void EnvironmentVariablesAreReadAsTorchrunWritesThem()
    {
        var vars = new Dictionary<string, string?> { ["RANK"] = "1", ["WORLD_SIZE"] = "4", ["LOCAL_RANK"] = "1", ["MASTER_ADDR"] = "10.0.0.2", ["MASTER_PORT"] = "29500" };
        var env = DistributedEnvironment.From(k => vars.GetValueOrDefault(k))!;
        Assert.Equal(new DistributedEnvironment(1, 4, 1, "10.0.0.2", 29500), env);
        Assert.Null(DistributedEnvironment.From(_ => null));
        vars["MASTER_PORT"] = "http";
        Assert.Contains("MASTER_PORT", Assert.Throws<InvalidOperationException>(() => DistributedEnvironment.From(k => vars.GetValueOrDefault(k))).Message);
    }

    /// <summary>Rank processes of one test: started with output captured, killed and their folder removed at the end.</summary>
    private sealed class RankJob(int groupTimeoutSeconds = 60) : IDisposable
    {
        private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);   // generous: the machine may be loaded 10–30 deep
        private readonly List<Rank> _ranks = [];

        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("dist-test-").FullName;

        public Rank StartRank(string scenario, int rank, string address, params string[] extra) =>
            Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Research.Torch.DistributedRank.dll"), scenario, rank.ToString(), address, "2", .. extra]);

        public Rank Start(string program, string[] arguments)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in arguments) psi.ArgumentList.Add(a);
            psi.Environment["RANK_TIMEOUT_S"] = groupTimeoutSeconds.ToString();
            psi.Environment["OMP_NUM_THREADS"] = "1";
            psi.Environment["RESEARCH_TORCH_THREADS"] = "1";
            var r = new Rank(Process.Start(psi)!);
            _ranks.Add(r);
            return r;
        }

        /// <summary>The port rank 0 printed (its TCP store's, picked by the OS).</summary>
        public string PortOf(Rank rank0) => WaitForLine(rank0, "port ")["port ".Length..];

        public string WaitForLine(Rank r, string start)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (DateTime.UtcNow < deadline)
            {
                lock (r.Lines)
                    if (r.Lines.FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal)) is { } line) return line;
                if (r.Process.HasExited && r.Done.IsCompleted)
                    throw new Xunit.Sdk.XunitException($"the rank exited ({r.Process.ExitCode}) before printing '{start}':\n{r.Errors}");
                Thread.Sleep(50);
            }
            throw new TimeoutException($"no line starting '{start}' within {Patience}");
        }

        public string[] Finish(Rank r, int expectedExitCode = 0)
        {
            Assert.True(r.Process.WaitForExit(Patience), $"a rank did not finish within {Patience}");
            r.Done.Wait(Patience);
            Assert.True(r.Process.ExitCode == expectedExitCode, $"exit code {r.Process.ExitCode} (expected {expectedExitCode}):\n{string.Join('\n', r.Lines)}\n{r.Errors}");
            lock (r.Lines) return [.. r.Lines];
        }

        public void Dispose()
        {
            foreach (var r in _ranks)
            {
                try { if (!r.Process.HasExited) r.Process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { /* already gone */ }
                r.Process.WaitForExit(10_000);
                r.Process.Dispose();
            }
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { /* a killed rank may still hold a file */ }
        }
    }

    /// <summary>A started rank with its output collected line by line.</summary>
    private sealed class Rank
    {
        public Rank(Process process)
        {
            Process = process;
            var errors = process.StandardError.ReadToEndAsync();
            Done = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                    lock (Lines) Lines.Add(line);
                Errors = await errors;
            });
        }

        public Process Process { get; }
        public List<string> Lines { get; } = [];
        public Task Done { get; }
        public string Errors { get; private set; } = "";
    }
}
