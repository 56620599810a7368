using Research.Torch;

namespace Research.Experiments;

/// <summary>
/// Runs an experiment in a fresh run directory and records the claim check in summary.json and, machine-readable,
/// in claim.json (<see cref="ClaimRecord"/>).
/// </summary>
public static class ExperimentRunner
{
    /// <summary>
    /// Runs <paramref name="experiment"/> at <paramref name="scale"/> on <paramref name="device"/>. <paramref name="watch"/> gets
    /// the run's metric stream before the experiment starts: a notebook binds its live views there
    /// (<c>watch: metrics =&gt; curve.Follow(metrics)</c>), so the notebook and <c>research run</c> run the same code.
    /// With a data-parallel <c>group</c>, this process is one of its ranks: rank 0 writes the run directory and the claim
    /// record, the other ranks run in a temporary directory that is removed afterwards.
    /// </summary>
    /// <returns>The result and the run (disposed; read it through its directory).</returns>
    public static (ExperimentResult Result, string RunDirectory) Run(IExperiment experiment, Scale scale, Device device, ulong seed = 0,
        string? root = null, CancellationToken cancellation = default, IEnumerable<ITrainerCallback>? callbacks = null, object? hyperparameters = null,
        Action<MetricStream>? watch = null, Research.Torch.Distributed.ProcessGroup? group = null)
    {
        if (group is { Rank: > 0 })
        {
            var scratch = Directory.CreateTempSubdirectory($"research-rank{group.Rank}-").FullName;
            try { return RunIn(experiment, scale, device, seed, scratch, cancellation, callbacks, hyperparameters, watch, group); }
            finally { Directory.Delete(scratch, recursive: true); }
        }
        return RunIn(experiment, scale, device, seed, root, cancellation, callbacks, hyperparameters, watch, group);
    }

    private static (ExperimentResult Result, string RunDirectory) RunIn(IExperiment experiment, Scale scale, Device device, ulong seed,
        string? root, CancellationToken cancellation, IEnumerable<ITrainerCallback>? callbacks, object? hyperparameters,
        Action<MetricStream>? watch, Research.Torch.Distributed.ProcessGroup? group)
    {
        var settings = new Dictionary<string, object?> { ["scale"] = scale.ToString().ToLowerInvariant() };
        if (hyperparameters is not null)
            foreach (var (k, v) in RunConfig.ToJson(hyperparameters)) settings[k] = v;
        using var run = Experiments.Run.Create(experiment.Id, settings, seed, scale.ToString().ToLowerInvariant(), device, root);
        run.Log($"experiment {experiment.Id}: {experiment.Title}. Claim: {experiment.Claim}");
        var context = new ExperimentContext(run, scale, device, seed, cancellation, callbacks, group);
        watch?.Invoke(run.Metrics.Stream);
        if (device.Type == DeviceType.CUDA) Cuda.ResetPeakMemory(device);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ExperimentResult result;
        try
        {
            result = experiment.Run(context);
        }
        catch (Exception e)
        {
            run.Log($"failed: {e}");
            LogCudaMemory(run, device);
            run.WriteSummary(new RunSummary("Failed", 0, 0, run.Metrics.Latest(), e.Message, Claim: experiment.Claim, ClaimPassed: false, ClaimDetail: e.Message));
            Record(experiment, run, scale, device, false, "Failed", [], clock.Elapsed.TotalSeconds, e.Message).Write();
            throw;
        }
        var t = result.Training;
        var metrics = run.Metrics.Latest();
        foreach (var (k, v) in result.Metrics) metrics[k] = v;
        foreach (var (k, v) in LogCudaMemory(run, device)) metrics[k] = v;
        run.WriteSummary(new RunSummary(t?.Status.ToString() ?? "Completed", t?.Steps ?? 0, t?.Seconds ?? 0, metrics, t?.Message,
            BestValue: t?.BestValue, BestStep: t?.BestValue is null ? null : t.BestStep,
            Claim: experiment.Claim, ClaimPassed: result.ClaimHolds, ClaimDetail: result.Detail));
        Record(experiment, run, scale, device, result.ClaimHolds, "Completed", result.Conditions, clock.Elapsed.TotalSeconds).Write();
        run.Log($"claim {(result.ClaimHolds ? "holds" : "does not hold")}: {result.Detail}");
        return (result, run.Directory);
    }

    /// <summary>On a CUDA device: logs the allocator's memory and returns its peaks in MiB as summary metrics (cuda/…).</summary>
    private static Dictionary<string, double> LogCudaMemory(Run run, Device device)
    {
        if (device.Type != DeviceType.CUDA) return [];
        var memory = Cuda.Memory(device);
        run.Log($"CUDA memory on {device}: {memory}");
        return new Dictionary<string, double>
        {
            ["cuda/peak_allocated_mib"] = memory.PeakAllocated / 1048576.0,
            ["cuda/peak_reserved_mib"] = memory.PeakReserved / 1048576.0,
        };
    }

    private static ClaimRecord Record(IExperiment experiment, Run run, Scale scale, Device device, bool holds, string status,
        IReadOnlyList<ClaimCondition> conditions, double seconds, string? error = null) =>
        new(experiment.Id, experiment.Title, experiment.Family, experiment.Claim, experiment.Narrower, scale.ToString().ToLowerInvariant(),
            device.ToString(), holds, status, conditions, seconds, run.Config.Environment.GitCommit, run.Config.Environment.GitDirty,
            DateTimeOffset.UtcNow, run.Directory, error);
}
