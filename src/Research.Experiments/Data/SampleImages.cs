using System.Diagnostics;
using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>An RGB image: <see cref="Pixels"/> is row-major [Height, Width, 3] bytes.</summary>
public sealed record RgbImage(byte[] Pixels, int Height, int Width)
{
    /// <summary>The image as a float32 tensor [3, Height, Width] with values in [0, 1].</summary>
    public Tensor ToTensor()
    {
        using var scope = Research.Torch.Torch.NewScope();
        var hwc = Tensor.From(Pixels, Height, Width, 3);
        return scope.Keep((hwc.Permute(2, 0, 1).Float() / 255.0).Contiguous());
    }
}

/// <summary>
/// scikit-learn's sample photos china.jpg and flower.jpg (427×640 RGB). No JPEG decoder restores from this
/// machine's NuGet mirror, so the first call converts the JPEG once with Debian's <c>/usr/bin/python3</c> and
/// PIL (<c>python3-pil</c>, <c>python3-numpy</c>) into a .npy file in <see cref="DataCache"/>; later calls read the cache.
/// </summary>
public static class SampleImages
{
    /// <summary>The photo of the Chinese temple.</summary>
    public static RgbImage China() => Load("china.jpg");

    /// <summary>The photo of the flower.</summary>
    public static RgbImage Flower() => Load("flower.jpg");

    private static RgbImage Load(string file)
    {
        var jpeg = DebianData.Require(Path.Combine(DebianData.SklearnImages, file), "python3-sklearn");
        var npy = DataCache.GetOrCreate("images", $"{jpeg}|{new FileInfo(jpeg).Length}|rgb-uint8", "npy", temp => Convert(jpeg, temp));
        var array = NpyArray.Read(npy);
        if (array.Shape is not [var h, var w, 3] || array.Descr != "|u1")
            throw new InvalidDataException($"{npy}: expected uint8 [H, W, 3], found {array.Descr} [{string.Join(", ", array.Shape)}]");
        return new RgbImage(array.Data[..(int)array.Count], (int)h, (int)w);
    }

    private static void Convert(string jpeg, string npy)
    {
        var python = DebianData.Require("/usr/bin/python3", "python3");
        const string script = "import sys, numpy, PIL.Image; numpy.save(open(sys.argv[2], 'wb'), numpy.asarray(PIL.Image.open(sys.argv[1]).convert('RGB'), dtype=numpy.uint8))";
        var psi = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", script, jpeg, npy }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"converting {jpeg} with PIL failed (exit {p.ExitCode}); install the Debian packages python3-pil and python3-numpy. {err.Trim()}");
    }
}
