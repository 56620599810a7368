using System.Diagnostics;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Wall times of several ways to do the same work, measured so that load on a shared machine hits them alike: after one
/// warm-up call each, the sides run in turn (A, B, C, A, B, C, …) <c>repeats</c> times, and each side's time is the median
/// of its calls. A burst of load then slows one call of every side rather than all calls of one side.
/// </summary>
public static class AlternatingTimer
{
    /// <summary>The median milliseconds of each of <paramref name="sides"/>, in order, over <paramref name="repeats"/> alternating rounds.</summary>
    public static double[] MedianMilliseconds(IReadOnlyList<Action> sides, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        foreach (var side in sides) side();
        var times = sides.Select(_ => new double[repeats]).ToArray();
        for (int r = 0; r < repeats; r++)
            for (int s = 0; s < sides.Count; s++)
            {
                var clock = Stopwatch.StartNew();
                sides[s]();
                times[s][r] = clock.Elapsed.TotalMilliseconds;
            }
        return times.Select(Median).ToArray();
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("the median of no values", nameof(values));
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
