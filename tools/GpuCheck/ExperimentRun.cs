using Research.Experiments;
using Research.Torch;

namespace Research.GpuCheck;

/// <summary>
/// Runs one registered experiment end to end through <see cref="ExperimentRunner"/>, as <c>research run</c> does: on a
/// CUDA device the run's log and summary carry the allocator's peak memory.
/// </summary>
internal static class ExperimentRun
{
    public static int Run(string id, Options options, TextWriter output)
    {
        var experiment = ExperimentRegistry.Find(id) ?? throw new ArgumentException($"no experiment '{id}'");
        var device = Device.Parse(options.Get("--device", "cpu"));
        var scale = Scales.Parse(options.Get("--scale", "smoke"));
        var (result, dir) = ExperimentRunner.Run(experiment, scale, device, root: options.Get("--runs", Research.Experiments.Run.DefaultRoot));
        output.WriteLine($"{id} ({scale.ToString().ToLowerInvariant()}, {device}): claim {(result.ClaimHolds ? "holds" : "does not hold")}: {result.Detail}");
        foreach (var line in File.ReadLines(Path.Combine(dir, "log.txt")).Where(l => l.Contains("CUDA memory")))
            output.WriteLine(line);
        output.WriteLine($"run directory: {dir}");
        return 0;
    }
}
