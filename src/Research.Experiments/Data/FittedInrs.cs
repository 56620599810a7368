using System.Globalization;
using Research.Experiments.Reproductions;
using Research.Models.ImplicitNeural;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// A dataset of fitted implicit neural representations: one small <see cref="Siren"/> per image, each from its own random
/// initialisation, fitted with full-batch Adam — many at once as a <see cref="SirenBatch"/> — and stored as stacked weights
/// [n, out, in] and biases [n, out] with the image's label and the fit's PSNR. <see cref="Digits"/> fits sklearn's digits
/// and caches the result in <see cref="DataCache"/> (keyed by every setting), so later runs load it instead of refitting.
/// </summary>
public sealed class FittedInrs : IDisposable
{
    /// <summary>Takes ownership of the tensors.</summary>
    public FittedInrs(Tensor[] weights, Tensor[] biases, Tensor labels, Tensor psnr)
    {
        if (weights.Length != biases.Length || weights.Any(w => w.Size(0) != labels.Size(0)) || psnr.Size(0) != labels.Size(0))
            throw new ArgumentException($"{weights.Length} weights, {biases.Length} biases, {labels.Size(0)} labels and {psnr.Size(0)} PSNRs do not describe one set of networks");
        (Weights, Biases, Labels, Psnr) = (weights, biases, labels, psnr);
    }

    /// <summary>W_0 … W_L of every network, [n, out, in].</summary>
    public Tensor[] Weights { get; }

    /// <summary>b_0 … b_L of every network, [n, out].</summary>
    public Tensor[] Biases { get; }

    /// <summary>The fitted image's class, [n] int64.</summary>
    public Tensor Labels { get; }

    /// <summary>PSNR (dB) of every fit, [n].</summary>
    public Tensor Psnr { get; }

    /// <summary>Number of networks.</summary>
    public long Count => Labels.Size(0);

    /// <summary>Layer sizes d_0 … d_L of the networks.</summary>
    public long[] Sizes => [Weights[0].Size(2), .. Weights.Select(w => w.Size(1))];

    /// <summary>
    /// Fits one SIREN (<paramref name="width"/> wide, <paramref name="hiddenLayers"/> hidden-to-hidden layers, ω₀ = <paramref name="omega0"/>) to each of
    /// <paramref name="images"/> [n, side², 1] (values in [−1, 1], row-major on <see cref="Siren.Grid"/>) with
    /// <paramref name="steps"/> Adam steps, <paramref name="batch"/> networks at a time; initialisations drawn after ManualSeed(seed).
    /// </summary>
    public static FittedInrs Fit(Tensor images, Tensor labels, int side, long width, int hiddenLayers, int steps, double lr, int batch, ulong seed,
        CancellationToken cancellation = default, double omega0 = 30)
    {
        ManualSeed(seed);
        using var coords = Siren.Grid(side, side, device: images.Device).DetachFromScope();
        var parts = new List<(Tensor[] W, Tensor[] B, Tensor Psnr)>();
        for (long start = 0; start < images.Size(0); start += batch)
        {
            using var scope = NewScope();
            var targets = images.Narrow(0, start, Math.Min(batch, images.Size(0) - start));
            using var networks = SirenBatch.Initialise(targets.Size(0), 2, width, hiddenLayers, 1, omega0, omega0, images.Device);
            InrFitting.Fit(networks, coords, targets, null, steps, lr, cancellation: cancellation);
            parts.Add((networks.Weights.Select(w => w.Detach().Clone().DetachFromScope()).ToArray(),
                networks.Biases.Select(b => b.Detach().Clone().DetachFromScope()).ToArray(),
                InrFitting.Psnr(networks, coords, targets).DetachFromScope()));
        }
        using var all = NewScope();
        int layers = parts[0].W.Length;
        var weights = Enumerable.Range(0, layers).Select(l => Tensor.Cat(parts.Select(p => p.W[l]).ToArray()).DetachFromScope()).ToArray();
        var biases = Enumerable.Range(0, layers).Select(l => Tensor.Cat(parts.Select(p => p.B[l]).ToArray()).DetachFromScope()).ToArray();
        var psnr = Tensor.Cat(parts.Select(p => p.Psnr).ToArray()).DetachFromScope();
        foreach (var p in parts)
        {
            foreach (var t in p.W.Concat(p.B)) t.Dispose();
            p.Psnr.Dispose();
        }
        return new FittedInrs(weights, biases, labels.Clone().DetachFromScope(), psnr);
    }

    /// <summary>
    /// SIRENs fitted to the first <paramref name="count"/> sklearn digits (file order), upsampled bilinearly from 8×8 to
    /// <paramref name="side"/>² with pixels in [−1, 1] — from the cache when these settings were fitted before.
    /// </summary>
    public static FittedInrs Digits(int count, int side, long width, int hiddenLayers, int steps, double lr, ulong seed, int batch = 512,
        CancellationToken cancellation = default, double omega0 = 30)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"digits n={count} side={side} width={width} hidden={hiddenLayers} steps={steps} lr={lr:R} seed={seed} v1");
        if (omega0 != 30) key += string.Create(CultureInfo.InvariantCulture, $" omega0={omega0:R}");
        var path = DataCache.GetOrCreate("fitted-inrs", key, "pt", file =>
        {
            var digits = Sklearn.Digits();
            using var scope = NewScope();
            int n = Math.Min(count, digits.Rows);
            var pixels = digits.FeatureTensor().Narrow(0, 0, n) / 8.0 - 1;                  // [n, 64] in [−1, 1]
            var images = DigitImages.Upsample(pixels, side).Reshape(n, -1, 1);
            using var fitted = Fit(images, digits.LabelTensor().Narrow(0, 0, n), side, width, hiddenLayers, steps, lr, batch, seed, cancellation, omega0);
            fitted.Save(file);
        });
        return Load(path);
    }

    /// <summary>Writes the networks in PyTorch's format (keys weight.l, bias.l, labels, psnr).</summary>
    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor> { ["labels"] = Labels, ["psnr"] = Psnr };
        for (int l = 0; l < Weights.Length; l++)
        {
            tensors[$"weight.{l}"] = Weights[l];
            tensors[$"bias.{l}"] = Biases[l];
        }
        Research.Torch.Torch.Save(tensors, path);
    }

    /// <summary>Reads networks written by <see cref="Save"/>.</summary>
    public static FittedInrs Load(string path)
    {
        var tensors = Research.Torch.Torch.Load(path);
        int layers = tensors.Keys.Count(k => k.StartsWith("weight.", StringComparison.Ordinal));
        return new FittedInrs(Enumerable.Range(0, layers).Select(l => tensors[$"weight.{l}"]).ToArray(),
            Enumerable.Range(0, layers).Select(l => tensors[$"bias.{l}"]).ToArray(), tensors["labels"], tensors["psnr"]);
    }

    /// <summary>The networks at <paramref name="indices"/> [m] (copies).</summary>
    public FittedInrs Subset(Tensor indices)
    {
        Tensor Pick(Tensor t) => t.IndexSelect(0, indices).DetachFromScope();
        return new FittedInrs(Weights.Select(Pick).ToArray(), Biases.Select(Pick).ToArray(), Pick(Labels), Pick(Psnr));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Weights.Concat(Biases)) t.Dispose();
        Labels.Dispose();
        Psnr.Dispose();
    }
}
