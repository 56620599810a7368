using System.Globalization;

namespace Research.Bench;

/// <summary>
/// One bench case run alone, on one side, for a profiler (<c>profile.sh</c> records both sides with <c>perf</c>):
/// <c>--case KEY STEPS DIR</c> (KEY: a model case, or <c>mlp16</c>, the batch-16 MLP step) writes the case file the twin loads to <c>DIR/KEY.safetensors</c>, then trains our
/// side for STEPS steps after 3 warm-up steps and prints the median step time.
/// </summary>
public static class CaseProfile
{
    /// <summary>The key of the batch-16 MLP step (the overhead-bound case, which has no case file).</summary>
    public const string Mlp16 = "mlp16";

    /// <summary>The command-line flag.</summary>
    public const string Flag = "--case";

    /// <summary>Runs the case named <paramref name="key"/> (see <see cref="ModelCases.All"/>; <paramref name="small"/>: test sizes).</summary>
    public static void Run(string key, int steps, string dir, TextWriter output, bool small = false)
    {
        if (key == Mlp16)
        {
            using var mlp = new Bench.Mlp();
            mlp.Steps(3);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MLP step, batch 16: median {Bench.MedianMs(mlp.Steps, 5, Math.Max(1, steps / 5)):F4} ms over {steps} steps (ours)"));
            return;
        }
        var cases = ModelCases.All(small);
        var c = cases.FirstOrDefault(c => c.Key == key)
            ?? throw new ArgumentException($"no bench case '{key}'; cases: {string.Join(", ", cases.Select(c => c.Key))}", nameof(key));
        Directory.CreateDirectory(dir);
        c.Save(Path.Combine(dir, key + ".safetensors"));
        if (Research.Torch.Torch.BlasCore is { Length: > 0 } core) output.WriteLine($"OpenBLAS kernels: {core}");
        var (_, ms) = c.Train(3, steps);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name}: median {ms:F2} ms over {steps} steps (ours)"));
    }
}
