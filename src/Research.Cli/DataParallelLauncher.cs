using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Research.Torch.Distributed;

namespace Research.Cli;

/// <summary>
/// <c>research run --nproc N</c>: starts N ranks of the same command on this machine, as <c>torchrun --nproc-per-node N</c>
/// does. On one machine the launcher hosts the job's store on a port the OS picks (torchelastic's agent store); with
/// <c>NNODES</c> &gt; 1 it starts ranks <c>NODE_RANK</c>·N … <c>NODE_RANK</c>·N + N − 1 of a job whose rank 0 hosts the store
/// at <c>MASTER_ADDR</c>:<c>MASTER_PORT</c>. When one rank fails, the others are stopped.
/// </summary>
internal static class DataParallelLauncher
{
    public static int Launch(int nproc, string[] runArgs, TextWriter stdout, TextWriter stderr)
    {
        if (DistributedEnvironment.FromVariables() is not null)
            throw new InvalidOperationException("--nproc starts ranks itself, but this process already is one (WORLD_SIZE is set)");
        int nodes = Variable("NNODES") ?? 1, node = Variable("NODE_RANK") ?? 0;
        if (node >= nodes) throw new InvalidOperationException($"NODE_RANK {node} is not below NNODES {nodes}");
        using var store = nodes == 1 ? Store.Tcp("127.0.0.1", 0, isServer: true, nproc, ProcessGroup.DefaultTimeout) : null;
        string addr = store is null ? Environment.GetEnvironmentVariable("MASTER_ADDR") ?? throw Missing("MASTER_ADDR") : "127.0.0.1";
        int port = store?.Port ?? Variable("MASTER_PORT") ?? throw Missing("MASTER_PORT");
        int world = nproc * nodes;
        stdout.WriteLine(nodes == 1
            ? $"world size {world}: {nproc} local processes, store at {addr}:{port}"
            : $"world size {world}: {nproc} {(nproc == 1 ? "process" : "processes")} on node {node} of {nodes}, store at {addr}:{port}");
        stdout.Flush();

        var ranks = new List<Process>();
        try
        {
            for (int local = 0; local < nproc; local++)
            {
                var env = new DistributedEnvironment(node * nproc + local, world, local, addr, port, UseAgentStore: store is not null);
                ranks.Add(Start(runArgs, env, nproc));
            }
            return Wait(ranks, stderr);
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

    private static Process Start(string[] runArgs, DistributedEnvironment env, int localWorld)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program to start for the ranks");
        var psi = new ProcessStartInfo(self) { UseShellExecute = false };
        // Under `dotnet research.dll` the process is dotnet itself: pass the assembly on.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        psi.ArgumentList.Add("run");
        foreach (var a in runArgs) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env.ToVariables()) psi.Environment[k] = v;
        psi.Environment["LOCAL_WORLD_SIZE"] = localWorld.ToString(CultureInfo.InvariantCulture);
        // Each rank gets its share of the cores, unless told otherwise (as torchrun sets OMP_NUM_THREADS=1 by default).
        if (Environment.GetEnvironmentVariable("RESEARCH_TORCH_THREADS") is null or "")
            psi.Environment["RESEARCH_TORCH_THREADS"] = Math.Max(1, Environment.ProcessorCount / localWorld).ToString(CultureInfo.InvariantCulture);
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start rank {env.Rank}");
    }

    // Waits for every rank; the first failure stops the others (they would otherwise fail at their next collective).
    private static int Wait(List<Process> ranks, TextWriter stderr)
    {
        var pending = ranks.Select((p, i) => (p, i)).ToList();
        while (pending.Count > 0)
        {
            var ended = pending.FirstOrDefault(x => x.p.HasExited);
            if (ended.p is null)
            {
                Thread.Sleep(50);
                continue;
            }
            pending.Remove(ended);
            int code = ended.p.ExitCode;
            if (code != 0)
            {
                stderr.WriteLine($"research: rank {ended.i} exited with code {code}; stopping the other ranks");
                foreach (var (p, _) in pending) p.Kill(entireProcessTree: true);
                return code;
            }
        }
        return 0;
    }

    private static int? Variable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new InvalidOperationException($"{name} must be a non-negative integer, not '{text}'")
            : null;

    private static InvalidOperationException Missing(string name) => new($"NNODES > 1 needs {name}: the address of the machine that runs rank 0");
}
