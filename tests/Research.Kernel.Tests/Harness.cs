using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Research.Kernel.Tests;

/// <summary>Runs the Python drivers (Debian's /usr/bin/python3 with jupyter_client) against the built kernel.</summary>
public static class Harness
{
    public const string Python = "/usr/bin/python3";

    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Research.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("Research.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Configuration { get; } =
        typeof(Harness).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The kernel as the build produced it (what kernel-install.sh points the kernelspec at).</summary>
    public static string KernelDll
    {
        get
        {
            var own = Path.Combine(RepoRoot, "src", "Research.Kernel", "bin", Configuration, "net10.0", "Research.Kernel.dll");
            return File.Exists(own) ? own : Path.Combine(AppContext.BaseDirectory, "Research.Kernel.dll");
        }
    }

    public static string Drivers => Path.Combine(RepoRoot, "tests", "Research.Kernel.Tests", "drivers");

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, int timeoutMs = 120_000,
        IDictionary<string, string>? env = null, string? workDir = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir ?? RepoRoot };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms\n{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a driver script and parses the JSON object it prints last.</summary>
    public static JsonObject Driver(string script, params string[] args) => Driver(script, 120_000, args);

    /// <summary>Runs a driver script with a time limit and parses the JSON object it prints last.</summary>
    public static JsonObject Driver(string script, int timeoutMs, params string[] args)
    {
        var (code, stdout, stderr) = Run(Python, new[] { Path.Combine(Drivers, script) }.Concat(args), timeoutMs, workDir: Drivers);
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        Assert.True(code == 0 && last is not null, $"{script} {string.Join(' ', args)} exited {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        return JsonNode.Parse(last!)!.AsObject();
    }
}

/// <summary>A cell's [reply, outputs] pair as the drivers print it.</summary>
public sealed record Cell(JsonObject Reply, List<(string Type, JsonObject Content)> Outputs)
{
    public static Cell From(JsonNode? node)
    {
        var a = node!.AsArray();
        var outputs = a[1]!.AsArray().Select(o => ((string)o![0]!, o[1]!.AsObject())).ToList();
        return new Cell(a[0]!.AsObject(), outputs);
    }

    public string Status => (string)Reply["status"]!;
    public string? Result => Outputs.Where(o => o.Type == "execute_result").Select(o => (string?)o.Content["data"]!["text/plain"]).SingleOrDefault();
    public IEnumerable<string> Types => Outputs.Select(o => o.Type);
}
