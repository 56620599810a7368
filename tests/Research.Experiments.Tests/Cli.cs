using System.Diagnostics;

namespace Research.Experiments.Tests;

/// <summary>Starts the `research` command (research.dll, built next to the tests) as a child process.</summary>
public static class Cli
{
    public static Process Start(string runsRoot, params string[] args) => Start(runsRoot, new Dictionary<string, string>(), args);

    public static Process Start(string runsRoot, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "research.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["RESEARCH_RUNS"] = runsRoot;
        return Process.Start(psi)!;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string runsRoot, params string[] args) =>
        Run(runsRoot, new Dictionary<string, string>(), args);

    public static (int ExitCode, string Stdout, string Stderr) Run(string runsRoot, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var p = Start(runsRoot, environment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"research {string.Join(' ', args)} did not finish in 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
