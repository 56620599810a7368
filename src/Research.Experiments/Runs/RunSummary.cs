namespace Research.Experiments;

/// <summary>The contents of a run's summary.json, written when training ends (however it ends).</summary>
public sealed record RunSummary(
    string Status,
    long Steps,
    double Seconds,
    Dictionary<string, double> FinalMetrics,
    string? Message = null,
    string? BestMetric = null,
    double? BestValue = null,
    long? BestStep = null,
    string? Claim = null,
    bool? ClaimPassed = null,
    string? ClaimDetail = null);
