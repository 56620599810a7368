using System.Text.Json;

namespace Research.Experiments;

/// <summary>
/// The machine-readable result of one experiment run, written as <c>claim.json</c> into its run directory by
/// <see cref="ExperimentRunner"/> (so by <c>research run</c> and by every notebook alike): what was claimed, every condition
/// with its measurement over seeds, threshold and margin, whether it held, at which scale, how long it took and from which
/// commit. The gallery, <c>research list</c> and the README's results table are built from these records, so the numbers
/// they show are the runs' own.
/// </summary>
/// <param name="Experiment">The experiment id (the notebook's file name).</param>
/// <param name="Title">The paper or experiment title.</param>
/// <param name="Family">The experiment's family.</param>
/// <param name="Claim">The claim checked, in one sentence with its thresholds.</param>
/// <param name="Narrower">Where the checked claim is narrower than the paper's, in one sentence; null when it is the paper's.</param>
/// <param name="Scale">smoke, cpu or gpu.</param>
/// <param name="Device">The device the run used.</param>
/// <param name="Holds">True when every condition held.</param>
/// <param name="Status">"Completed", or "Failed" when the experiment threw (see <paramref name="Error"/>).</param>
/// <param name="Conditions">The claim's conditions in order (empty when the experiment failed).</param>
/// <param name="Seconds">Wall time of the whole experiment.</param>
/// <param name="Commit">The git commit the code was built from (null outside a checkout).</param>
/// <param name="Dirty">True when the checkout had uncommitted changes to tracked files.</param>
/// <param name="Finished">When the run ended.</param>
/// <param name="Run">The run directory.</param>
/// <param name="Error">The exception's message when the experiment failed.</param>
public sealed record ClaimRecord(string Experiment, string Title, string Family, string Claim, string? Narrower, string Scale, string Device,
    bool Holds, string Status, IReadOnlyList<ClaimCondition> Conditions, double Seconds, string? Commit, bool? Dirty, DateTimeOffset Finished,
    string Run, string? Error = null)
{
    /// <summary>The file name of the record inside a run directory.</summary>
    public const string FileName = "claim.json";

    /// <summary>"holds", "does not hold" or "failed" — what a reader sees first.</summary>
    public string Verdict => Status != "Completed" ? "failed" : Holds ? "holds" : "does not hold";

    /// <summary>Writes the record into <see cref="Run"/> (atomically: a reader never sees half a file).</summary>
    public void Write()
    {
        var path = System.IO.Path.Combine(Run, FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Experiments.Run.Indented));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Reads a run directory's record, or null when it has none (a run still going, killed, or older than records).</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a record.</exception>
    public static ClaimRecord? Read(string runDirectory)
    {
        var path = System.IO.Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ClaimRecord>(File.ReadAllText(path), Experiments.Run.Indented)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a claim record: {e.Message}", e);
        }
    }

    /// <summary>
    /// The latest record of every experiment under <paramref name="root"/> (laid out as <c>root/&lt;experiment&gt;/&lt;run&gt;/</c>),
    /// optionally only those at <paramref name="scale"/>; keyed by experiment id. Unreadable records are skipped.
    /// </summary>
    public static IReadOnlyDictionary<string, ClaimRecord> Latest(string root, string? scale = null)
    {
        var latest = new SortedDictionary<string, ClaimRecord>(StringComparer.Ordinal);
        if (!Directory.Exists(root)) return latest;
        foreach (var experiment in Directory.EnumerateDirectories(root))
            foreach (var run in Directory.EnumerateDirectories(experiment))
            {
                ClaimRecord? record;
                try { record = Read(run); }
                catch (InvalidDataException) { continue; }
                if (record is null || (scale is not null && record.Scale != scale)) continue;
                if (!latest.TryGetValue(record.Experiment, out var known) || record.Finished > known.Finished) latest[record.Experiment] = record;
            }
        return latest;
    }
}
