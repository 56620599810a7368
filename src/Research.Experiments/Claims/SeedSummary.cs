using System.Globalization;

namespace Research.Experiments;

/// <summary>
/// One measured quantity over several seeds: the values in seed order, their mean, sample standard deviation ("spread"),
/// minimum and maximum. <c>ToString("F3")</c> reads "0.955 ± 0.004 (5 seeds)".
/// </summary>
public sealed class SeedSummary : IFormattable
{
    /// <summary>Summarises <paramref name="values"/>, one per seed, in seed order.</summary>
    public SeedSummary(IEnumerable<double> values)
    {
        Values = values.ToArray();
        if (Values.Length == 0) throw new ArgumentException("a seed summary needs at least one value", nameof(values));
        Mean = Values.Average();
        Spread = Values.Length < 2 ? 0 : Math.Sqrt(Values.Sum(v => (v - Mean) * (v - Mean)) / (Values.Length - 1));
    }

    /// <summary>The per-seed values, in seed order.</summary>
    public double[] Values { get; }

    /// <summary>Number of seeds.</summary>
    public int Count => Values.Length;

    /// <summary>Mean over seeds.</summary>
    public double Mean { get; }

    /// <summary>Sample standard deviation over seeds (0 for one seed).</summary>
    public double Spread { get; }

    /// <summary>Smallest value.</summary>
    public double Min => Values.Min();

    /// <summary>Largest value.</summary>
    public double Max => Values.Max();

    /// <summary>Per-seed differences <c>this − other</c> (same seeds, same order).</summary>
    public SeedSummary Minus(SeedSummary other)
    {
        if (other.Count != Count) throw new ArgumentException($"seed counts differ: {Count} vs {other.Count}", nameof(other));
        return new SeedSummary(Values.Zip(other.Values, (a, b) => a - b));
    }

    /// <summary>Seeds where this value is strictly above <paramref name="other"/>'s (same seeds, same order).</summary>
    public int WinsAbove(SeedSummary other) => Minus(other).Values.Count(d => d > 0);

    /// <summary>Seeds where this value is strictly below <paramref name="other"/>'s (same seeds, same order).</summary>
    public int WinsBelow(SeedSummary other) => Minus(other).Values.Count(d => d < 0);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? provider)
    {
        provider ??= CultureInfo.InvariantCulture;
        format ??= "G4";
        var mean = Mean.ToString(format, provider);
        return Count == 1 ? $"{mean} (1 seed)" : $"{mean} ± {Spread.ToString(format, provider)} ({Count} seeds)";
    }

    /// <summary>The values of every seed, e.g. "[0.951, 0.957, 0.960]".</summary>
    public string PerSeed(string format = "G4") =>
        "[" + string.Join(", ", Values.Select(v => v.ToString(format, CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc />
    public override string ToString() => ToString(null, null);
}
