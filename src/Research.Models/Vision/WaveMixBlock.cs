using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Vision;

/// <summary>
/// The WaveMix block (Jeevan &amp; Sethi, "WaveMix: A Resource-efficient Neural Network for Image Analysis"): a
/// resolution-preserving token mixer whose spatial mixing is a fixed Haar wavelet transform instead of attention or
/// large kernels. For x [batch, C, H, W]:
/// <code>
///   r   = Reduce(x)                        1×1 conv C → C/4                        [batch, C/4, H, W]
///   s   = HaarDwt(r)                       LL, LH, HL, HH of every channel          [batch, C, H/2, W/2]
///   h   = Mlp2(GELU(Mlp1(s)))              1×1 convs C → m·C → C: mixes the bands   [batch, C, H/2, W/2]
///   u   = Up(h)                            transposed conv, kernel 4, stride 2      [batch, C, H, W]
///   out = x + BatchNorm(u)
/// </code>
/// The 1×1 reduction makes the wavelet output exactly as wide as the input, so the MLP works on a quarter of the
/// positions at the same width — the source of WaveMix's small activation memory. The DWT adds no parameters and
/// loses nothing (it is invertible), and each block's receptive field grows by the 2×2 Haar support plus the 4×4
/// transposed convolution.
/// </summary>
public sealed class WaveMixBlock : Module<Tensor, Tensor>
{
    /// <summary>Creates a block of width <paramref name="channels"/> (a multiple of 4) and MLP expansion <paramref name="mlpRatio"/>.</summary>
    public WaveMixBlock(long channels, long mlpRatio = 2, double dropout = 0, DType? dtype = null, Device? device = null)
    {
        if (channels < 4 || channels % HaarDwt.Bands != 0)
            throw new ArgumentException($"WaveMix width must be a positive multiple of {HaarDwt.Bands} (the DWT turns C/4 channels into C sub-bands), got {channels}", nameof(channels));
        if (mlpRatio < 1) throw new ArgumentOutOfRangeException(nameof(mlpRatio), mlpRatio, "must be ≥ 1");
        Channels = channels;
        MlpRatio = mlpRatio;
        Reduce = new Conv2d(channels, channels / HaarDwt.Bands, 1, dtype: dtype, device: device);
        Dwt = new HaarDwt(channels / HaarDwt.Bands, dtype, device);
        Mlp1 = new Conv2d(channels, mlpRatio * channels, 1, dtype: dtype, device: device);
        Mlp2 = new Conv2d(mlpRatio * channels, channels, 1, dtype: dtype, device: device);
        Drop = new Dropout(dropout);
        Up = new ConvTranspose2d(channels, channels, 4, stride: 2, padding: 1, dtype: dtype, device: device);
        Norm = new BatchNorm2d(channels, dtype: dtype, device: device);
    }

    /// <summary>Width C of the block's input and output.</summary>
    public long Channels { get; }

    /// <summary>Expansion m of the MLP's hidden layer (m·C channels).</summary>
    public long MlpRatio { get; }

    /// <summary>1×1 convolution C → C/4 before the wavelet transform.</summary>
    public Conv2d Reduce { get; }

    /// <summary>The parameter-free Haar transform of the C/4 reduced channels.</summary>
    public HaarDwt Dwt { get; }

    /// <summary>First 1×1 convolution of the MLP, C → m·C.</summary>
    public Conv2d Mlp1 { get; }

    /// <summary>Second 1×1 convolution of the MLP, m·C → C.</summary>
    public Conv2d Mlp2 { get; }

    /// <summary>Dropout after the MLP's GELU (active in training only).</summary>
    public Dropout Drop { get; }

    /// <summary>Transposed convolution (kernel 4, stride 2, padding 1) that restores the input resolution.</summary>
    public ConvTranspose2d Up { get; }

    /// <summary>Batch normalisation of the restored map before the residual sum.</summary>
    public BatchNorm2d Norm { get; }

    /// <summary>The wavelet sub-bands the MLP sees: [batch, C, H, W] → [batch, C, H/2, W/2] (channel 4·c + band).</summary>
    public Tensor SubBands(Tensor x)
    {
        Check(x);
        using var reduced = Reduce.Forward(x);
        return Dwt.Forward(reduced);
    }

    /// <summary>[batch, C, H, W] with H, W even → [batch, C, H, W].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();                                 // intermediates the backward pass does not need are freed here
        var s = SubBands(x);                                          // [batch, C, H/2, W/2]
        var h = Mlp2.Forward(Drop.Forward(Mlp1.Forward(s).Gelu()));   // [batch, C, H/2, W/2]
        return scope.Keep(x + Norm.Forward(Up.Forward(h)));           // [batch, C, H, W]
    }

    private void Check(Tensor x)
    {
        if (x.Dim != 4 || x.Size(1) != Channels)
            throw new ArgumentException($"WaveMixBlock({Channels}) expects [batch, {Channels}, height, width], got {x.ShapeString}", nameof(x));
        if (x.Size(2) % 2 != 0 || x.Size(3) % 2 != 0)
            throw new ArgumentException($"WaveMixBlock needs an even height and width (the wavelet transform halves them), got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() => $"channels={Channels}, mlp_ratio={MlpRatio}";
}
