using Research.Experiments.Data;
using Research.Models.ImplicitNeural;
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

    /// <summary>
    /// The SIREN paper's "ReLU P.E." baseline: <see cref="PositionalEncoding"/> with <paramref name="frequencies"/> octaves
    /// followed by the ReLU MLP of <see cref="ReluMlp"/> (the encoding widens only the first layer).
    /// </summary>
    public static Sequential ReluPeMlp(long inFeatures, int frequencies, long hiddenFeatures, int hiddenLayers, long outFeatures,
        Device? device = null)
    {
        var encoding = new PositionalEncoding(inFeatures, frequencies);
        return new Sequential(encoding, ReluMlp(encoding.OutFeatures, hiddenFeatures, hiddenLayers, outFeatures, device));
    }

    /// <summary>
    /// The image's derivatives by finite differences on the coordinates of <see cref="Siren.Grid"/> (spacing
    /// h = 2/(size − 1) in [−1, 1]), on the interior pixels (a one-pixel border dropped): the central-difference gradient
    /// [size−2, size−2, 2] (∂/∂row, ∂/∂column) and the five-point Laplacian [size−2, size−2].
    /// </summary>
    public static (Tensor Gradient, Tensor Laplacian) FiniteDifferences(Tensor image)
    {
        using var scope = NewScope();
        long n = image.Size(0), m = image.Size(1), i = n - 2, j = m - 2;
        double hr = 2.0 / (n - 1), hc = 2.0 / (m - 1);
        Tensor Shift(long dr, long dc) => image.Narrow(0, 1 + dr, i).Narrow(1, 1 + dc, j);
        var centre = Shift(0, 0);
        var gradient = Tensor.Stack([(Shift(1, 0) - Shift(-1, 0)) / (2 * hr), (Shift(0, 1) - Shift(0, -1)) / (2 * hc)], -1);
        var laplacian = (Shift(1, 0) + Shift(-1, 0) - centre * 2) / (hr * hr) + (Shift(0, 1) + Shift(0, -1) - centre * 2) / (hc * hc);
        return (scope.Keep(gradient), scope.Keep(laplacian));
    }

    /// <summary>
    /// The network's gradient [size, size, 2] and Laplacian [size, size] at every pixel of a size × size
    /// <see cref="Siren.Grid"/>, by (double) backward through <paramref name="model"/>; detached.
    /// </summary>
    public static (Tensor Gradient, Tensor Laplacian) Derivatives(Module<Tensor, Tensor> model, int size, Device? device = null)
    {
        using var scope = NewScope();
        var x = Siren.Grid(size, size, model.Parameters().First().DType, device).RequiresGrad_();
        var y = model.Forward(x);
        var gradient = Siren.Gradient(y, x);
        var laplacian = Siren.Laplacian(y, x);
        return (scope.Keep(gradient.Detach().Reshape(size, size, 2)), scope.Keep(laplacian.Detach().Reshape(size, size)));
    }

    /// <summary>
    /// PSNR in dB of <paramref name="prediction"/> against <paramref name="target"/> with the target's own value range as
    /// the peak: 10·log10((max − min)² / MSE). For derivatives, whose range is not fixed as an image's is.
    /// </summary>
    public static double RangePsnr(Tensor prediction, Tensor target)
    {
        using var scope = NewScope();
        double range = (target.Max() - target.Min()).Item<double>();
        double mse = (prediction - target).Square().Mean().Item<double>();
        return PsnrFromMse(mse, range);
    }

    /// <summary>PSNR in dB from a mean squared error, for values spanning <paramref name="range"/> (2 for [−1, 1]).</summary>
    public static double PsnrFromMse(double mse, double range = 2) => 10 * Math.Log10(range * range / mse);
}
