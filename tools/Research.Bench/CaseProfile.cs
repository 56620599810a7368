using System.Globalization;

namespace Research.Bench;

/// <summary>
/// One bench case run alone, on one side, for a profiler (<c>profile.sh</c> records both sides with <c>perf</c>):
/// <c>--case KEY STEPS DIR</c> writes the case file the twin loads to <c>DIR/KEY.safetensors</c>, then trains our
/// side for STEPS steps after 3 warm-up steps and prints the median step time.
/// </summary>
public static class CaseProfile
{
    /// <summary>The command-line flag.</summary>
    public const string Flag = "--case";

    /// <summary>Runs the case named <paramref name="key"/> (see <see cref="ModelCases.All"/>; <paramref name="small"/>: test sizes).</summary>
    public static void Run(string key, int steps, string dir, TextWriter output, bool small = false)
    {
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
