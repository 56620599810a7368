using System.Net;
using System.Net.Sockets;

namespace Research.Experiments.Tests;

/// <summary><c>research run --nproc</c> and ranks that join through torchrun's variables, on loopback.</summary>
public class DataParallelCliTests
{
    [Fact]
    public void RunWithTwoProcessesTrainsDataParallelAndWritesOneRunDirectory()
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = Cli.Run(dir.Path, "run", "digits-logreg", "--scale", "smoke", "--nproc", "2");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("world size 2", stdout);
        Assert.Contains("data-parallel: rank 0 of world size 2 (Gloo)", stdout);
        Assert.Single(stdout.Split('\n'), l => l.StartsWith("claim HOLDS"));   // rank 1 keeps quiet
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(dir.Path, "digits-logreg")));   // rank 0 writes the run
        Assert.Contains("data-parallel: rank 0 of 2", File.ReadAllText(Path.Combine(run, "log.txt")));
        Assert.Equal(150, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Count(l => l.Contains("\"train/loss\"")));
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "last.txt")));
    }

    [Fact]
    public async Task TwoMachinesOnLoopbackJoinOneJobThroughTheEnvironment()
    {
        // Two launchers, as on two machines: NODE_RANK 0 runs rank 0, which hosts the store at MASTER_ADDR:MASTER_PORT.
        using var dir = new TempDirectory();
        int port = FreePort();
        var node = (int n) => new Dictionary<string, string>
        {
            ["NNODES"] = "2", ["NODE_RANK"] = n.ToString(), ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = port.ToString(),
        };
        using var second = Cli.Start(dir.Path, node(1), "run", "digits-logreg", "--scale", "smoke", "--nproc", "1");
        var secondOut = second.StandardOutput.ReadToEndAsync();
        var secondErr = second.StandardError.ReadToEndAsync();
        try
        {
            var (code, stdout, stderr) = Cli.Run(dir.Path, node(0), "run", "digits-logreg", "--scale", "smoke", "--nproc", "1");
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Contains("world size 2: 1 process on node 0 of 2", stdout);
            Assert.Contains("claim HOLDS", stdout);
            Assert.True(second.WaitForExit(120_000), "the second node did not finish");
            Assert.True(second.ExitCode == 0, $"second node: exit {second.ExitCode}\n{await secondOut}\n{await secondErr}");
            Assert.Single(Directory.GetDirectories(Path.Combine(dir.Path, "digits-logreg")));
        }
        finally
        {
            if (!second.HasExited) second.Kill(entireProcessTree: true);
        }
    }

    // The OS picks a free port; rank 0 binds it moments later (torchrun picks ports the same way).
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
