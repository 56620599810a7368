using System.Diagnostics;

namespace Research.Experiments.Reproductions;

/// <summary>Wall-time measurements for scan-vs-loop style comparisons.</summary>
public static class WallClock
{
    /// <summary>The fastest of <paramref name="repeats"/> timed calls of <paramref name="run"/> after one warm-up call, in milliseconds.</summary>
    public static double BestMilliseconds(Action run, int repeats = 7)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        run();
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            run();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
