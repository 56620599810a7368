using System.Text;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Vision;

/// <summary>The shape of a <see cref="WaveMix"/> classifier.</summary>
/// <param name="InChannels">Image channels (1 for grey).</param>
/// <param name="Classes">Output classes.</param>
/// <param name="Channels">Width C of every WaveMix block (a multiple of 4).</param>
/// <param name="MlpRatio">Expansion of each block's 1×1 MLP.</param>
/// <param name="Blocks">Number of stacked WaveMix blocks.</param>
/// <param name="StemStride">Stride of the first stem convolution (2 halves the resolution the blocks work at).</param>
/// <param name="Dropout">Dropout inside each block's MLP.</param>
public sealed record WaveMixConfig(
    int InChannels = 1,
    int Classes = 10,
    int Channels = 32,
    int MlpRatio = 2,
    int Blocks = 3,
    int StemStride = 2,
    double Dropout = 0)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"InChannels = {InChannels}, Classes = {Classes}, Channels = {Channels}, MlpRatio = {MlpRatio}, Blocks = {Blocks}, ");
        builder.Append($"StemStride = {StemStride}, Dropout = {Dropout}");
        return true;
    }
}

/// <summary>
/// A small WaveMix image classifier (Jeevan &amp; Sethi): a convolutional stem, a stack of self-similar,
/// resolution-preserving <see cref="WaveMixBlock"/>s, global average pooling and a linear head.
/// <code>
///   z_0 = BN(GELU(Stem2(BN(GELU(Stem1(x))))))   3×3 convs: in → C/2 (stride s) → C   [batch, C, H/s, W/s]
///   z_k = WaveMixBlock_k(z_{k−1})    k = 1 … Blocks                             [batch, C, H/s, W/s]
///   logits = Head(mean_{h,w} z_K)                                               [batch, classes]
/// </code>
/// H/s and W/s must be even (each block's wavelet transform halves them internally).
/// </summary>
public sealed class WaveMix : Module<Tensor, Tensor>
{
    /// <summary>Creates the classifier for <paramref name="config"/> (defaults: width 32, 3 blocks, stride-2 stem).</summary>
    public WaveMix(WaveMixConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new WaveMixConfig();
        var c = Config;
        if (c.InChannels < 1 || c.Classes < 2 || c.Blocks < 1 || c.StemStride < 1 || c.Channels < 4 || c.Channels % HaarDwt.Bands != 0)
            throw new ArgumentException($"invalid WaveMix configuration {c}", nameof(config));
        Stem1 = new Conv2d(c.InChannels, c.Channels / 2, 3, stride: c.StemStride, padding: 1, dtype: dtype, device: device);
        StemNorm1 = new BatchNorm2d(c.Channels / 2, dtype: dtype, device: device);
        Stem2 = new Conv2d(c.Channels / 2, c.Channels, 3, padding: 1, dtype: dtype, device: device);
        StemNorm2 = new BatchNorm2d(c.Channels, dtype: dtype, device: device);
        Blocks = Enumerable.Range(0, c.Blocks).Select(_ => new WaveMixBlock(c.Channels, c.MlpRatio, c.Dropout, dtype, device)).ToArray();
        Head = new Linear(c.Channels, c.Classes, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public WaveMixConfig Config { get; }

    /// <summary>First stem convolution, in → C/2, 3×3 with the stem stride.</summary>
    public Conv2d Stem1 { get; }

    /// <summary>Batch norm after the first stem convolution's GELU.</summary>
    public BatchNorm2d StemNorm1 { get; }

    /// <summary>Second stem convolution, C/2 → C, 3×3.</summary>
    public Conv2d Stem2 { get; }

    /// <summary>Batch norm after the second stem convolution's GELU: the blocks' input is normalised.</summary>
    public BatchNorm2d StemNorm2 { get; }

    /// <summary>The WaveMix blocks, in order.</summary>
    public WaveMixBlock[] Blocks { get; }

    /// <summary>Linear classifier on the pooled features.</summary>
    public Linear Head { get; }

    /// <summary>The stem's feature map, the first block's input: [batch, in, H, W] → [batch, C, H/s, W/s].</summary>
    public Tensor StemFeatures(Tensor x)
    {
        var c = Config;
        if (x.Dim != 4 || x.Size(1) != c.InChannels)
            throw new ArgumentException($"WaveMix expects images [batch, {c.InChannels}, height, width], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var z = StemNorm2.Forward(Stem2.Forward(StemNorm1.Forward(Stem1.Forward(x).Gelu())).Gelu());
        if (z.Size(2) % 2 != 0 || z.Size(3) % 2 != 0)
            throw new ArgumentException($"WaveMix needs images whose size after the stride-{c.StemStride} stem is even (the blocks' wavelet transform halves it), got {x.ShapeString} → {z.ShapeString}", nameof(x));
        return scope.Keep(z);
    }

    /// <summary>Logits [batch, classes] of images [batch, in, H, W].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var z = StemFeatures(x);
        foreach (var block in Blocks) z = block.Forward(z);
        return scope.Keep(Head.Forward(z.Mean([2L, 3L])));
    }

    protected override string ExtraRepr() => Config.ToString();
}
