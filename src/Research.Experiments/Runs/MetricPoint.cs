using System.Text.Json.Serialization;

namespace Research.Experiments;

/// <summary>One measured value: <paramref name="Name"/> (e.g. "train/loss", "eval/accuracy") after <paramref name="Step"/> completed steps.</summary>
/// <param name="Step">Training steps completed when the value was measured.</param>
/// <param name="Name">Metric name; a slash groups metrics ("train/loss", "eval/loss").</param>
/// <param name="Value">The value (NaN and ±Inf are kept).</param>
/// <param name="Time">Seconds since the run (or training) started.</param>
public readonly record struct MetricPoint(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("time")] double Time);
