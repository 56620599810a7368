namespace Research.Experiments;

/// <summary>
/// One reproducible experiment (a row of the architecture catalogue): it trains at the context's scale, records
/// metrics through the context, and checks its paper's central claim. Notebooks and <c>research run</c> both use it.
/// </summary>
public interface IExperiment
{
    /// <summary>Catalogue id, e.g. "wavenet" (also the runs/ directory name).</summary>
    string Id { get; }

    /// <summary>Family, e.g. "audio generation".</summary>
    string Family { get; }

    /// <summary>Paper or experiment title.</summary>
    string Title { get; }

    /// <summary>The claim checked at the end, in one sentence with its threshold.</summary>
    string Claim { get; }

    /// <summary>
    /// Where the claim checked here is narrower than the paper's (one task instead of the paper's table, no GPU speed
    /// measurements, …), in one sentence; null when it is the paper's claim at small scale.
    /// </summary>
    string? Narrower => null;

    /// <summary>Runs the experiment and checks the claim.</summary>
    ExperimentResult Run(ExperimentContext context);
}
