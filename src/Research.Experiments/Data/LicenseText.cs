using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// A small character-level corpus from the licence texts every Debian system has (/usr/share/common-licenses, package
/// base-files), split by <b>document</b> so that held-out text is unseen: training on the GPL/LGPL/GFDL/MPL-1.1 family,
/// validation (for tuning) on BSD, Artistic and CC0, test on Apache-2.0 and MPL-2.0. Characters are ASCII bytes (vocabulary
/// 128; the files are pure ASCII). Files that are copies of others (GPL = GPL-3, LGPL = LGPL-3, GFDL = GFDL-1.3) are read once.
/// </summary>
public sealed class LicenseText
{
    /// <summary>Where base-files installs the licence texts.</summary>
    public const string Directory = "/usr/share/common-licenses";

    /// <summary>Token ids: the 128 ASCII codes.</summary>
    public const int Vocabulary = 128;

    /// <summary>The training documents.</summary>
    public static readonly string[] TrainFiles = ["GPL-1", "GPL-2", "GPL-3", "LGPL-2", "LGPL-2.1", "LGPL-3", "GFDL-1.2", "GFDL-1.3", "MPL-1.1"];

    /// <summary>The validation documents (learning-rate selection).</summary>
    public static readonly string[] ValidationFiles = ["BSD", "Artistic", "CC0-1.0"];

    /// <summary>The held-out test documents.</summary>
    public static readonly string[] TestFiles = ["Apache-2.0", "MPL-2.0"];

    private LicenseText(long[] train, long[] validation, long[] test) => (Train, Validation, Test) = (train, validation, test);

    /// <summary>The training characters (documents joined by a blank line).</summary>
    public long[] Train { get; }

    /// <summary>The validation characters.</summary>
    public long[] Validation { get; }

    /// <summary>The held-out test characters.</summary>
    public long[] Test { get; }

    /// <summary>Reads the corpus from <paramref name="directory"/> (default: base-files' directory).</summary>
    public static LicenseText Load(string directory = Directory) =>
        new(Read(directory, TrainFiles), Read(directory, ValidationFiles), Read(directory, TestFiles));

    /// <summary>ASCII codes of <paramref name="text"/> (anything else becomes '?').</summary>
    public static long[] Encode(string text) => text.Select(c => (long)(c < Vocabulary ? c : '?')).ToArray();

    /// <summary>
    /// <paramref name="batch"/> random windows of the training text: inputs <c>[batch, length]</c> and the next characters
    /// as targets (inputs shifted by one), from a generator seeded with <paramref name="seed"/>.
    /// </summary>
    public TaskBatch TrainBatch(int batch, int length, ulong seed, Device? device = null)
    {
        var random = new Random((int)(seed >> 33));
        var starts = Enumerable.Range(0, batch).Select(_ => random.Next(Train.Length - length - 1)).ToArray();
        return Windows(Train, starts, length, device);
    }

    /// <summary>Consecutive non-overlapping windows covering <paramref name="text"/> (the last partial window is dropped).</summary>
    public static TaskBatch EvaluationWindows(long[] text, int length, Device? device = null)
    {
        int count = (text.Length - 1) / length;
        return Windows(text, Enumerable.Range(0, count).Select(i => i * length).ToArray(), length, device);
    }

    private static TaskBatch Windows(long[] text, int[] starts, int length, Device? device)
    {
        var inputs = new long[starts.Length * length];
        var targets = new long[starts.Length * length];
        for (int b = 0; b < starts.Length; b++)
        {
            Array.Copy(text, starts[b], inputs, b * length, length);
            Array.Copy(text, starts[b] + 1, targets, b * length, length);
        }
        var d = device ?? Device.CPU;
        return new TaskBatch(Tensor.From(inputs, starts.Length, length).To(d), Tensor.From(targets, starts.Length, length).To(d));
    }

    private static long[] Read(string directory, string[] files) =>
        Encode(string.Join("\n\n", files.Select(f => File.ReadAllText(DebianData.Require(Path.Combine(directory, f), "base-files")))));
}
