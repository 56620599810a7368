using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>Data and baselines for fitting an image with a coordinate network (SIREN and its ReLU baseline).</summary>
public static class ImageFitting
{
    /// <summary>
    /// The image in grey (ITU-R 601 luma), centre-cropped to a square and area-averaged down to
    /// <paramref name="size"/>², with values in [−1, 1]: [size, size].
    /// </summary>
    public static Tensor GrayscaleSquare(RgbImage image, int size, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        using var scope = NewScope();
        var rgb = image.ToTensor();                                                   // [3, H, W] in [0, 1]
        var gray = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114;                 // [H, W]
        long side = Math.Min(gray.Size(0), gray.Size(1));
        var square = gray.Narrow(0, (gray.Size(0) - side) / 2, side).Narrow(1, (gray.Size(1) - side) / 2, side);
        var pooled = F.AdaptiveAvgPool2d(square.Unsqueeze(0).Unsqueeze(0), size).Squeeze();   // [size, size]
        var result = pooled * 2 - 1;
        return scope.Keep(device is { } d ? result.To(d) : result);
    }

    /// <summary>
    /// The ReLU baseline of the same shape as a <see cref="Research.Models.ImplicitNeural.Siren"/>:
    /// in → hidden × (<paramref name="hiddenLayers"/> + 1) → out with PyTorch's default initialisation.
    /// </summary>
    public static Sequential ReluMlp(long inFeatures, long hiddenFeatures, int hiddenLayers, long outFeatures, Device? device = null)
    {
        var layers = new List<Module<Tensor, Tensor>> { new Linear(inFeatures, hiddenFeatures, device: device), new ReLU() };
        for (int i = 0; i < hiddenLayers; i++) layers.AddRange([new Linear(hiddenFeatures, hiddenFeatures, device: device), new ReLU()]);
        layers.Add(new Linear(hiddenFeatures, outFeatures, device: device));
        return new Sequential(layers.ToArray());
    }

    /// <summary>PSNR in dB from a mean squared error, for values spanning <paramref name="range"/> (2 for [−1, 1]).</summary>
    public static double PsnrFromMse(double mse, double range = 2) => 10 * Math.Log10(range * range / mse);
}
