using System.IO.Compression;
using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// SciPy's electrocardiogram (<c>scipy.misc.electrocardiogram</c>): 5 minutes of a MIT-BIH ECG lead at 360 Hz,
/// 108 000 samples in millivolts, read from Debian's python3-scipy (<c>ecg.dat</c>, a zip holding <c>ecg.npy</c>).
/// </summary>
public static class ScipyEcg
{
    /// <summary>Samples per second.</summary>
    public const int SampleRate = 360;

    /// <summary>The signal in millivolts: (raw − 1024) / 200, as SciPy computes it.</summary>
    public static double[] Load()
    {
        var path = DebianData.Require(Path.Combine(DebianData.ScipyMisc, "ecg.dat"), "python3-scipy");
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.GetEntry("ecg.npy") ?? throw new InvalidDataException($"{path} has no ecg.npy entry");
        using var s = entry.Open();
        var raw = NpyArray.Read(s, $"{path}!ecg.npy").ToDoubleArray();
        return raw.Select(v => (v - 1024) / 200.0).ToArray();
    }

    /// <summary>The signal as a float32 tensor [108000].</summary>
    public static Tensor LoadTensor() => Tensor.From(Load().Select(v => (float)v).ToArray());
}
