using System.Globalization;
using System.Text.Json;
using Research.Torch;

namespace Research.Experiments;

/// <summary>
/// Checkpoints in a directory: each is a sub-directory (<c>step-000100</c>, <c>best</c>, ...) holding the tensor file
/// and <c>progress.json</c>. A checkpoint is written into a hidden temporary directory and renamed into place, and the
/// <c>last</c>/<c>best</c> pointers are files replaced atomically, so a process killed mid-write leaves the previous
/// checkpoint intact and loadable; leftovers are removed on the next open.
/// </summary>
public sealed class CheckpointStore
{
    private const string ProgressFile = "progress.json";
    private const string TempPrefix = ".tmp-";

    /// <summary>Opens (creating) a checkpoint directory.</summary>
    /// <param name="directory">Where checkpoints live.</param>
    /// <param name="format">Tensor file format (default <see cref="SafeTensorsFormat"/>).</param>
    /// <param name="keepPeriodic">How many periodic <c>step-N</c> checkpoints to keep (older ones are deleted unless they are last or best).</param>
    public CheckpointStore(string directory, ICheckpointFormat? format = null, int keepPeriodic = 3)
    {
        Directory = directory;
        Format = format ?? new SafeTensorsFormat();
        KeepPeriodic = keepPeriodic;
        System.IO.Directory.CreateDirectory(directory);
        foreach (var leftover in System.IO.Directory.GetDirectories(directory, TempPrefix + "*"))
            System.IO.Directory.Delete(leftover, recursive: true);
    }

    /// <summary>The checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>The tensor file format.</summary>
    public ICheckpointFormat Format { get; }

    /// <summary>How many periodic checkpoints are kept.</summary>
    public int KeepPeriodic { get; }

    /// <summary>The most recently saved checkpoint, or null.</summary>
    public CheckpointInfo? Last => Pointer("last");

    /// <summary>The checkpoint with the best evaluation metric, or null.</summary>
    public CheckpointInfo? Best => Pointer("best");

    /// <summary>Every complete checkpoint, by step.</summary>
    public IReadOnlyList<CheckpointInfo> List() =>
        System.IO.Directory.GetDirectories(Directory)
            .Where(d => !Path.GetFileName(d).StartsWith(TempPrefix, StringComparison.Ordinal) && File.Exists(Path.Combine(d, ProgressFile)))
            .Select(d => Info(Path.GetFileName(d)))
            .OfType<CheckpointInfo>()
            .OrderBy(c => c.Step).ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The checkpoint named <paramref name="name"/> ("last", "best", "step-000100", ...), or null.</summary>
    public CheckpointInfo? Find(string name) => name is "last" or "best" ? Pointer(name) : Info(name);

    /// <summary>
    /// Saves a checkpoint named <paramref name="name"/> (default <c>step-NNNNNNNN</c>), points <c>last</c> at it, and
    /// when <paramref name="isBest"/> also <c>best</c> (as a copy named "best", so pruning never removes it).
    /// </summary>
    public CheckpointInfo Save(TrainingProgress progress, IReadOnlyDictionary<string, Tensor> tensors, string? name = null, bool isBest = false)
    {
        name ??= PeriodicName(progress.Step);
        var info = WriteDirectory(name, progress, tensors);
        WritePointer("last", name);
        if (isBest && name != "best")
        {
            WriteDirectory("best", progress, tensors);
            WritePointer("best", "best");
        }
        Prune();
        return info;
    }

    /// <summary>Reads a checkpoint back.</summary>
    public LoadedCheckpoint Load(CheckpointInfo checkpoint)
    {
        var progress = ReadProgress(checkpoint.Directory);
        var tensors = Format.Read(Path.Combine(checkpoint.Directory, Format.FileName));
        return new LoadedCheckpoint(checkpoint, progress, tensors);
    }

    /// <summary>Reads the checkpoint named <paramref name="name"/> ("last", "best", "step-N").</summary>
    public LoadedCheckpoint Load(string name = "last") =>
        Load(Find(name) ?? throw new FileNotFoundException($"no checkpoint '{name}' in {Directory}"));

    /// <summary>The conventional name of the periodic checkpoint after <paramref name="step"/> steps.</summary>
    public static string PeriodicName(long step) => string.Create(CultureInfo.InvariantCulture, $"step-{step:D8}");

    private CheckpointInfo WriteDirectory(string name, TrainingProgress progress, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var temp = Path.Combine(Directory, $"{TempPrefix}{name}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(temp);
        Format.Write(tensors, Path.Combine(temp, Format.FileName));
        WriteFileDurably(Path.Combine(temp, ProgressFile), JsonSerializer.Serialize(progress, Indented));
        var final = Path.Combine(Directory, name);
        // Move the old directory aside first, so that at every instant either the old or the new one is complete.
        string? old = null;
        if (System.IO.Directory.Exists(final))
        {
            old = Path.Combine(Directory, $"{TempPrefix}old-{name}-{Guid.NewGuid():N}");
            System.IO.Directory.Move(final, old);
        }
        System.IO.Directory.Move(temp, final);
        if (old is not null) System.IO.Directory.Delete(old, recursive: true);
        return new CheckpointInfo(name, final, progress.Step);
    }

    private void WritePointer(string pointer, string target)
    {
        var path = Path.Combine(Directory, pointer + ".txt");
        var temp = path + $".{Guid.NewGuid():N}.tmp";
        WriteFileDurably(temp, target);
        File.Move(temp, path, overwrite: true);
    }

    private CheckpointInfo? Pointer(string pointer)
    {
        var path = Path.Combine(Directory, pointer + ".txt");
        if (!File.Exists(path)) return null;
        return Info(File.ReadAllText(path).Trim());
    }

    private CheckpointInfo? Info(string name)
    {
        var dir = Path.Combine(Directory, name);
        if (!File.Exists(Path.Combine(dir, ProgressFile)) || !File.Exists(Path.Combine(dir, Format.FileName))) return null;
        return new CheckpointInfo(name, dir, ReadProgress(dir).Step);
    }

    private static TrainingProgress ReadProgress(string dir) =>
        JsonSerializer.Deserialize<TrainingProgress>(File.ReadAllText(Path.Combine(dir, ProgressFile)), Indented)
        ?? throw new InvalidDataException($"{dir}/{ProgressFile} is empty");

    private void Prune()
    {
        var keep = new HashSet<string> { Last?.Name ?? "", Best?.Name ?? "" };
        var periodic = List().Where(c => c.Name.StartsWith("step-", StringComparison.Ordinal)).ToList();
        foreach (var c in periodic.Take(Math.Max(0, periodic.Count - KeepPeriodic)))
            if (!keep.Contains(c.Name)) System.IO.Directory.Delete(c.Directory, recursive: true);
    }

    private static void WriteFileDurably(string path, string text)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        f.Write(bytes);
        f.Flush(flushToDisk: true);
    }

    private static readonly JsonSerializerOptions Indented = new(MetricsLog.Json) { WriteIndented = true };
}
