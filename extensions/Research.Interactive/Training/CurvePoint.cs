namespace Research.Interactive;

/// <summary>Where a point goes on a <see cref="LossCurve"/>: its series, x, value, and run (e.g. "seed 2"; null for none).</summary>
public readonly record struct CurvePoint(string Series, double X, double Value, string? Run = null);
