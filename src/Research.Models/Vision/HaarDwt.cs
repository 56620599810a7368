using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Vision;

/// <summary>The four sub-bands of one level of a 2-D Haar wavelet transform.</summary>
public enum HaarBand
{
    /// <summary>Low-pass along both axes: the 2×2 block mean (×2), a half-resolution copy of the image.</summary>
    LL = 0,

    /// <summary>Low-pass along x (width), high-pass along y (height): top row minus bottom row — horizontal edges.</summary>
    LH = 1,

    /// <summary>High-pass along x, low-pass along y: left column minus right column — vertical edges.</summary>
    HL = 2,

    /// <summary>High-pass along both axes: the diagonal (checkerboard) detail.</summary>
    HH = 3,
}

/// <summary>
/// One level of the orthonormal 2-D Haar discrete wavelet transform, as a parameter-free layer: a fixed convolution
/// with kernel 2, stride 2 and one group per input channel. Every non-overlapping 2×2 block
/// <code>
///   [a b]      LL = (a + b + c + d) / 2      LH = (a + b − c − d) / 2
///   [c d]  →   HL = (a − b + c − d) / 2      HH = (a − b − c + d) / 2
/// </code>
/// of every channel becomes four coefficients, so [batch, C, H, W] → [batch, 4C, H/2, W/2] with output channel
/// 4·c + band (<see cref="HaarBand"/>; <see cref="SubBand"/> picks one band of every channel). The four filters are an
/// orthonormal basis of the 2×2 blocks, so the transform is lossless and preserves energy (Σ y² = Σ x²), and its
/// inverse is the transposed convolution with the same filters (<see cref="Inverse"/>).
/// <para>A multi-level transform applies the layer again to the LL band. The filters are a non-persistent buffer:
/// they move with the module (<c>To</c>, <c>Double</c>) but are not learned and not saved.</para>
/// </summary>
public sealed class HaarDwt : Module<Tensor, Tensor>
{
    /// <summary>Sub-bands per input channel.</summary>
    public const int Bands = 4;

    /// <summary>Creates the transform for inputs with <paramref name="channels"/> channels.</summary>
    public HaarDwt(long channels, DType? dtype = null, Device? device = null)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "need at least one channel");
        Channels = channels;
        RegisterBuffer("filters", Filters(channels, dtype, device), persistent: false);
    }

    /// <summary>Input channels C (the output has 4C).</summary>
    public long Channels { get; }

    /// <summary>The fixed filters [4C, 1, 2, 2]: LL, LH, HL, HH for each input channel in turn.</summary>
    public Tensor Weight => Buffer("filters")!;

    /// <summary>
    /// The Haar filters for <paramref name="channels"/> channels, [4C, 1, 2, 2]: entry [4c + band, 0, i, j] is
    /// ½ · s_band(i) · t_band(j), with row signs s = (1, 1) for LL and HL, (1, −1) for LH and HH, and column signs
    /// t = (1, 1) for LL and LH, (1, −1) for HL and HH.
    /// </summary>
    public static Tensor Filters(long channels, DType? dtype = null, Device? device = null)
    {
        double[] one =
        [
            0.5, 0.5, 0.5, 0.5,        // LL
            0.5, 0.5, -0.5, -0.5,      // LH: top − bottom
            0.5, -0.5, 0.5, -0.5,      // HL: left − right
            0.5, -0.5, -0.5, 0.5,      // HH
        ];
        var all = new double[channels * one.Length];
        for (long c = 0; c < channels; c++) one.CopyTo(all, c * one.Length);
        using var scope = NewScope();
        var filters = Tensor.From(all, Bands * channels, 1, 2, 2).To(dtype ?? DType.Float32);
        return scope.Keep(device is { } d ? filters.To(d) : filters);
    }

    /// <summary>[batch, C, H, W] with H and W even → [batch, 4C, H/2, W/2] (channel 4·c + band).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 4 || x.Size(1) != Channels)
            throw new ArgumentException($"HaarDwt({Channels}) expects [batch, {Channels}, height, width], got {x.ShapeString}", nameof(x));
        if (x.Size(2) % 2 != 0 || x.Size(3) % 2 != 0)
            throw new ArgumentException($"HaarDwt needs an even height and width (one level halves both), got {x.ShapeString}", nameof(x));
        return F.Conv2d(x, Weight, stride: 2, groups: Channels);
    }

    /// <summary>The inverse transform: [batch, 4C, h, w] → [batch, C, 2h, 2w], so Inverse(Forward(x)) = x.</summary>
    public Tensor Inverse(Tensor y)
    {
        if (y.Dim != 4 || y.Size(1) != Bands * Channels)
            throw new ArgumentException($"HaarDwt({Channels}).Inverse expects sub-bands [batch, {Bands * Channels}, height/2, width/2], got {y.ShapeString}", nameof(y));
        return F.ConvTranspose2d(y, Weight, stride: 2, groups: Channels);
    }

    /// <summary>One band of every channel of a transform's output [batch, 4C, h, w] → [batch, C, h, w] (a view).</summary>
    public static Tensor SubBand(Tensor y, HaarBand band)
    {
        if (y.Dim != 4 || y.Size(1) % Bands != 0)
            throw new ArgumentException($"expected sub-bands [batch, 4·channels, height, width], got {y.ShapeString}", nameof(y));
        using var split = y.View(y.Size(0), y.Size(1) / Bands, Bands, y.Size(2), y.Size(3));
        return split.Select(2, (long)band);
    }

    protected override string ExtraRepr() => $"channels={Channels}";
}
