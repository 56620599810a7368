using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Research.Bench;

/// <summary>
/// The matmul-heavy step under each BLAS threading choice, each in a child process (the BLAS is chosen when the
/// process loads libtorch): the default (Debian's OpenMP OpenBLAS, sharing libtorch's thread pool) and
/// <c>RESEARCH_BLAS=system</c> (whatever libblas the system selects, usually pthread OpenBLAS).
/// </summary>
public static class BlasThreadingComparison
{
    /// <summary>The argument that makes Research.Bench measure the matmul step and print one JSON object.</summary>
    public const string ChildFlag = "--matmul-step-child";

    /// <summary>One child's result: the BLAS threading it ran under, its step's median ms and its sgemm GFLOP/s.</summary>
    public sealed record Measurement(string Setting, string BlasThreading, double StepMs, double SgemmGflops);

    /// <summary>Runs the child for the default and for <c>RESEARCH_BLAS=system</c>.</summary>
    public static IReadOnlyList<Measurement> Run(int timedSteps) =>
        [RunChild("default", null, timedSteps), RunChild("RESEARCH_BLAS=system", "system", timedSteps)];

    /// <summary>The BLAS threading a fresh process gets with <c>RESEARCH_BLAS</c> unset (null) or set to <paramref name="researchBlas"/>.</summary>
    public static string Probe(string? researchBlas) => RunChild(researchBlas ?? "default", researchBlas, timedSteps: 0).BlasThreading;

    /// <summary>
    /// The child's side: prints <c>{blas_threading, step_ms, sgemm_gflops}</c> (the timings 0 and unmeasured when
    /// <paramref name="timedSteps"/> is 0).
    /// </summary>
    public static void ChildMain(int timedSteps, TextWriter output)
    {
        double ms = 0, gflops = 0;
        if (timedSteps > 0)
        {
            ms = ModelCases.MatmulMlp().Train(lossSteps: 1, timedSteps).Ms!.Value;
            gflops = SgemmPeak.MeasureGflops(3);
        }
        output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["blas_threading"] = Research.Torch.Torch.BlasThreading, ["step_ms"] = ms, ["sgemm_gflops"] = gflops,
        }));
    }

    private static Measurement RunChild(string setting, string? researchBlas, int timedSteps)
    {
        var dll = typeof(BlasThreadingComparison).Assembly.Location;
        var dir = Path.GetDirectoryName(dll)!;
        // Research.Bench's own runtime config when it runs stand-alone; the host application's when it is a
        // referenced assembly (research bench): both name the same framework.
        var config = Path.Combine(dir, "Research.Bench.runtimeconfig.json");
        if (!File.Exists(config)) config = Path.Combine(dir, Assembly.GetEntryAssembly()!.GetName().Name + ".runtimeconfig.json");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", "--runtimeconfig", config, dll, ChildFlag, timedSteps.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        if (researchBlas is null) psi.Environment.Remove("RESEARCH_BLAS");
        else psi.Environment["RESEARCH_BLAS"] = researchBlas;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(true);
            throw new TimeoutException($"the matmul-step child ({setting}) did not finish in 5 minutes");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"the matmul-step child ({setting}) failed with {p.ExitCode}:\n{stderr.Result}");
        using var json = JsonDocument.Parse(stdout.Result.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        return new Measurement(setting, r.GetProperty("blas_threading").GetString()!, r.GetProperty("step_ms").GetDouble(), r.GetProperty("sgemm_gflops").GetDouble());
    }
}
