using System.Globalization;
using Research.Experiments;
using Research.Torch;
using Research.Torch.Distributed;

namespace Research.Cli;

/// <summary>The sub-commands of <c>research</c>.</summary>
public static class Commands
{
    /// <summary>Exit code when the claim check fails.</summary>
    public const int ClaimFailed = 1;

    /// <summary>Exit code for bad usage.</summary>
    public const int Usage = 2;

    /// <summary>Exit code when a run was interrupted (Ctrl+C).</summary>
    public const int Interrupted = 130;

    private const string Help = """
        usage:
          research list [--runs DIR]                      experiments with family, title, claim and their last result
          research run <id> [--scale smoke|cpu|gpu] [--device cpu|cuda] [--seed N] [--runs DIR] [--nproc N]
                                                          train headlessly; exit code 0 iff the claim holds.
                                                          --nproc N: data-parallel over N local processes (Gloo; NCCL
                                                          with --device cuda); with NNODES, NODE_RANK, MASTER_ADDR and
                                                          MASTER_PORT set, N per machine. A process started with torchrun's
                                                          RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT joins that job.
          research runs [experiment] [--runs DIR]         compare runs: differing settings and final metrics
          research bench [--out DIR] [--rounds N]         Research.Torch vs PyTorch (same libtorch), side by side, N
                                                          alternating rounds (3); model steps vs their PyTorch twins;
                                                          writes DIR/artifacts/bench/torch.json (DIR: current folder)
          research gallery [--notebooks DIR] [--runs DIR] [--catalogue FILE] [--out FILE]
                                                          the gallery of executed notebooks (DIR: artifacts/notebooks),
                                                          with each run's claim record; writes DIR/index.html
          research table [--runs DIR] [--scale cpu] [--readme FILE]
                                                          the results table from the latest claim records at a scale;
                                                          --readme rewrites the README's results block in place
        Runs are written under --runs, else $RESEARCH_RUNS, else ./runs.
        """;

    /// <summary>Dispatches a command line; returns the process exit code.</summary>
    public static int Execute(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "list" => List(args[1..], stdout),
                "gallery" => Gallery(args[1..], stdout),
                "table" => Table(args[1..], stdout),
                "run" => RunExperiment(args[1..], stdout, stderr),
                "runs" => CompareRuns(args[1..], stdout),
                "bench" => Benchmark(args[1..], stdout),
                "help" or "--help" or "-h" => Print(stdout, Help, 0),
                _ => Print(stderr, Help, Usage),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"research: {e.Message}");
            stderr.WriteLine(Help);
            return Usage;
        }
    }

    private static int Benchmark(string[] args, TextWriter stdout)
    {
        var (positional, options) = Parse(args, "--out", "--rounds");
        if (positional.Count != 0) throw new UsageException("bench takes no positional arguments");
        int rounds = Research.Bench.TorchBenchmark.Rounds;
        if (options.TryGetValue("--rounds", out var r) && (!int.TryParse(r, out rounds) || rounds < 1))
            throw new UsageException($"--rounds must be a positive integer, got '{r}'");
        Research.Bench.TorchBenchmark.Run(options.GetValueOrDefault("--out", Directory.GetCurrentDirectory()), stdout, rounds);
        return 0;
    }

    private static int Print(TextWriter w, string text, int code)
    {
        w.WriteLine(text);
        return code;
    }

    private static int List(string[] args, TextWriter stdout)
    {
        var (positional, options) = Parse(args, "--runs");
        if (positional.Count != 0) throw new UsageException("list takes no positional arguments");
        var all = ExperimentRegistry.All;
        if (all.Count == 0)
        {
            stdout.WriteLine("no experiments are registered");
            return 0;
        }
        var records = ClaimRecord.Latest(options.GetValueOrDefault("--runs") ?? Run.DefaultRoot);
        foreach (var e in all)
        {
            var status = records.TryGetValue(e.Id, out var r)
                ? string.Create(CultureInfo.InvariantCulture, $"claim {r.Verdict} ({r.Scale}, {r.Finished.ToLocalTime():yyyy-MM-dd HH:mm}, {Path.GetFileName(r.Run)})")
                : "not run";
            stdout.WriteLine($"{e.Id,-24} {e.Family,-28} {status}");
            stdout.WriteLine($"    {e.Title}");
            stdout.WriteLine($"    claim: {e.Claim}");
            if (e.Narrower is not null) stdout.WriteLine($"    narrower than the paper: {e.Narrower}");
        }
        return 0;
    }

    private static int Gallery(string[] args, TextWriter stdout)
    {
        var (positional, options) = Parse(args, "--notebooks", "--runs", "--catalogue", "--out");
        if (positional.Count != 0) throw new UsageException("gallery takes no positional arguments");
        var notebooks = options.GetValueOrDefault("--notebooks", Path.Combine("artifacts", "notebooks"));
        if (!Directory.Exists(notebooks)) throw new UsageException($"no executed notebooks in {notebooks}: run environment/run.sh or notebooks.sh first");
        var catalogue = Research.Experiments.Catalogue.Load(options.GetValueOrDefault("--catalogue", Research.Experiments.Catalogue.RelativePath));
        var output = Path.GetFullPath(options.GetValueOrDefault("--out", Path.Combine(notebooks, "index.html")));
        var cards = ReproductionGallery.Cards(notebooks, options.GetValueOrDefault("--runs") ?? Run.DefaultRoot, catalogue,
            Path.GetDirectoryName(output)!);
        File.WriteAllText(output, Research.Interactive.GalleryPage.ToHtml(cards, catalogue.Count));
        stdout.WriteLine($"gallery: {output}");
        stdout.WriteLine($"  {Research.Interactive.GalleryPage.Summary(cards, catalogue.Count)}");
        return 0;
    }

    private static int Table(string[] args, TextWriter stdout)
    {
        var (positional, options) = Parse(args, "--runs", "--scale", "--readme");
        if (positional.Count != 0) throw new UsageException("table takes no positional arguments");
        var records = ClaimRecord.Latest(options.GetValueOrDefault("--runs") ?? Run.DefaultRoot, options.GetValueOrDefault("--scale", "cpu"));
        var table = ResultsTable.Markdown(records.Values);
        if (options.TryGetValue("--readme", out var readme))
        {
            File.WriteAllText(readme, ResultsTable.Replace(File.ReadAllText(readme), table));
            stdout.WriteLine($"{readme}: results table rewritten ({records.Count} experiments)");
        }
        else stdout.Write(table);
        return 0;
    }

    private static int RunExperiment(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var (positional, options) = Parse(args, "--scale", "--device", "--seed", "--runs", "--nproc");
        if (positional.Count != 1) throw new UsageException("run needs exactly one experiment id");
        if (options.TryGetValue("--nproc", out var nprocText))
        {
            if (!int.TryParse(nprocText, NumberStyles.None, CultureInfo.InvariantCulture, out var nproc) || nproc < 1)
                throw new UsageException($"--nproc must be a positive integer, not '{nprocText}'");
            if (nproc > 1 || Environment.GetEnvironmentVariable("NNODES") is not (null or "" or "1"))
            {
                try { return DataParallelLauncher.Launch(nproc, WithoutOption(args, "--nproc"), stdout, stderr); }
                catch (InvalidOperationException e) { throw new UsageException(e.Message); }
            }
        }
        var experiment = ExperimentRegistry.Find(positional[0])
            ?? throw new UsageException($"no experiment '{positional[0]}'; known: {string.Join(", ", ExperimentRegistry.All.Select(e => e.Id))}");
        Scale scale;
        try { scale = Scales.Parse(options.GetValueOrDefault("--scale", "cpu")); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        Device device;
        try { device = Device.Parse(options.GetValueOrDefault("--device", "cpu")); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (device.Type == DeviceType.CUDA && !Research.Torch.Torch.CudaIsAvailable)
        {
            stderr.WriteLine($"research: --device {device} was requested, but the loaded libtorch has no CUDA support or sees no GPU");
            return Usage;
        }
        DistributedEnvironment? rank;
        try { rank = DistributedEnvironment.FromVariables(); }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
        if (rank is not null && device.Type == DeviceType.CUDA) device = new Device(DeviceType.CUDA, rank.LocalRank);
        ulong seed = options.TryGetValue("--seed", out var seedText)
            ? ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var s2) ? s2 : throw new UsageException($"--seed must be a non-negative integer, not '{seedText}'")
            : 0;

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return;   // a second Ctrl+C ends the process at once
            e.Cancel = true;
            stderr.WriteLine("\nstopping: saving a checkpoint (press Ctrl+C again to abort)");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var group = rank is null ? null : ProcessGroup.Init(device.Type == DeviceType.CUDA ? Backend.Nccl : Backend.Gloo, rank);
        if (group is { Rank: > 0 }) stdout = TextWriter.Null;   // rank 0 speaks for the job
        try
        {
            if (group is not null) stdout.WriteLine($"data-parallel: rank {group.Rank} of world size {group.Size} ({group.Backend})");
            stdout.WriteLine($"{experiment.Id}: {experiment.Title}");
            stdout.WriteLine($"claim: {experiment.Claim}");
            var (result, dir) = ExperimentRunner.Run(experiment, scale, device, seed, options.GetValueOrDefault("--runs"), cts.Token,
                group is { Rank: > 0 } ? [] : [new ConsoleProgress(stderr)], group: group);
            stdout.WriteLine($"run directory: {dir}");
            stdout.WriteLine($"claim {(result.ClaimHolds ? "HOLDS" : "DOES NOT HOLD")}: {result.Detail}");
            if (result.Training?.Status == TrainingStatus.Interrupted) return Interrupted;
            return result.ClaimHolds ? 0 : ClaimFailed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int CompareRuns(string[] args, TextWriter stdout)
    {
        var (positional, options) = Parse(args, "--runs");
        if (positional.Count > 1) throw new UsageException("runs takes at most one experiment id");
        var runs = RunComparison.ListRuns(positional.FirstOrDefault(), options.GetValueOrDefault("--runs"));
        if (runs.Count == 0)
        {
            stdout.WriteLine($"no runs under {options.GetValueOrDefault("--runs") ?? Run.DefaultRoot}");
            return 0;
        }
        stdout.Write(RunComparison.Compare(runs).ToTextTable());
        return 0;
    }

    private static string[] WithoutOption(string[] args, string option)
    {
        var kept = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == option) { i++; continue; }
            if (args[i].StartsWith(option + "=", StringComparison.Ordinal)) continue;
            kept.Add(args[i]);
        }
        return [.. kept];
    }

    private static (List<string> Positional, Dictionary<string, string> Options) Parse(string[] args, params string[] known)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) { positional.Add(a); continue; }
            var (key, value) = a.Contains('=') ? (a[..a.IndexOf('=')], a[(a.IndexOf('=') + 1)..]) : (a, i + 1 < args.Length ? args[++i] : throw new UsageException($"{a} needs a value"));
            if (!known.Contains(key)) throw new UsageException($"unknown option {key}");
            options[key] = value;
        }
        return (positional, options);
    }

    private sealed class UsageException(string message) : Exception(message);
}
