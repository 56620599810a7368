using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Vision;

/// <summary>
/// A plain convolutional classifier, the CNN baseline for small images: stages of 3×3 convolution → batch norm → ReLU,
/// the first <see cref="PooledStages"/> of them followed by 2×2 max pooling, then global average pooling and a linear head.
/// <code>
///   z_i = ReLU(BN_i(Conv3x3_i(z_{i−1})))      widths[i] channels; MaxPool 2×2 after stage i &lt; pooledStages
///   logits = Head(mean_{h,w} z_last)
/// </code>
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>
{
    /// <summary>Creates one stage per entry of <paramref name="widths"/>; the first <paramref name="pooledStages"/> halve the resolution.</summary>
    public SmallCnn(long inChannels, long classes, long[] widths, int pooledStages, DType? dtype = null, Device? device = null)
    {
        if (inChannels < 1 || classes < 2 || widths.Length == 0 || widths.Any(w => w < 1) || pooledStages < 0 || pooledStages > widths.Length)
            throw new ArgumentException($"invalid SmallCnn: in {inChannels}, classes {classes}, widths [{string.Join(", ", widths)}], pooled stages {pooledStages}");
        InChannels = inChannels;
        Widths = (long[])widths.Clone();
        PooledStages = pooledStages;
        Convs = widths.Select((w, i) => new Conv2d(i == 0 ? inChannels : widths[i - 1], w, 3, padding: 1, dtype: dtype, device: device)).ToArray();
        Norms = widths.Select(w => new BatchNorm2d(w, dtype: dtype, device: device)).ToArray();
        Head = new Linear(widths[^1], classes, dtype: dtype, device: device);
    }

    /// <summary>Image channels.</summary>
    public long InChannels { get; }

    /// <summary>Channels of each stage.</summary>
    public long[] Widths { get; }

    /// <summary>How many leading stages end in 2×2 max pooling.</summary>
    public int PooledStages { get; }

    /// <summary>The 3×3 convolutions, one per stage.</summary>
    public Conv2d[] Convs { get; }

    /// <summary>Batch normalisation after each convolution.</summary>
    public BatchNorm2d[] Norms { get; }

    /// <summary>Linear classifier on the pooled features.</summary>
    public Linear Head { get; }

    /// <summary>Logits [batch, classes] of images [batch, in, H, W] (H and W divisible by 2^pooledStages).</summary>
    public override Tensor Forward(Tensor x)
    {
        int factor = 1 << PooledStages;
        if (x.Dim != 4 || x.Size(1) != InChannels)
            throw new ArgumentException($"SmallCnn expects images [batch, {InChannels}, height, width], got {x.ShapeString}", nameof(x));
        if (x.Size(2) % factor != 0 || x.Size(3) % factor != 0)
            throw new ArgumentException($"SmallCnn pools {PooledStages} times, so height and width must be multiples of {factor}, got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var z = x;
        for (int i = 0; i < Convs.Length; i++)
        {
            z = Norms[i].Forward(Convs[i].Forward(z)).Relu();
            if (i < PooledStages) z = F.MaxPool2d(z, 2);
        }
        return scope.Keep(Head.Forward(z.Mean([2L, 3L])));
    }

    protected override string ExtraRepr() => $"widths=[{string.Join(", ", Widths)}], pooled_stages={PooledStages}";
}
