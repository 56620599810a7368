using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>How a sequence classifier turns features [batch, C, time] into one vector per sequence.</summary>
public enum SequenceReadout
{
    /// <summary>The mean over time (the MultiresNet paper's pooling).</summary>
    Mean,

    /// <summary>The last step (the TCN paper's sequential-MNIST read-out): the only step that has seen the whole sequence.</summary>
    Last,
}

/// <summary>
/// One residual block of <see cref="MultiresNet"/> (the paper's code, post-norm): the depthwise <see cref="MultiresConv"/>
/// captures the time structure, a GELU, then a 1×1 convolution to 2C channels with a GLU mixes channels:
/// <code>
///   z = GLU(Conv1×1(GELU(MultiresConv(x))))
///   out = LayerNorm(x + Dropout(z))          LayerNorm over the channels of every step
/// </code>
/// </summary>
public sealed class MultiresLayer : Module<Tensor, Tensor>
{
    /// <summary>Creates the block: a tree of <paramref name="depth"/> levels with kernels of <paramref name="kernelSize"/>.</summary>
    public MultiresLayer(int channels, int kernelSize, int depth, double dropout = 0.0, bool dilated = true, DType? dtype = null, Device? device = null)
    {
        Conv = new MultiresConv(channels, kernelSize, depth, dilated, dtype, device);
        Mixing = new Conv1d(channels, 2 * channels, 1, dtype: dtype, device: device);
        Dropout = new Dropout(dropout);
        Norm = new LayerNorm(channels, dtype: dtype, device: device);
    }

    /// <summary>The multiresolution convolution (depthwise).</summary>
    public MultiresConv Conv { get; }

    /// <summary>The 1×1 convolution C → 2C before the GLU.</summary>
    public Conv1d Mixing { get; }

    /// <summary>Dropout on the block's output.</summary>
    public Dropout Dropout { get; }

    /// <summary>Post-norm over channels.</summary>
    public LayerNorm Norm { get; }

    /// <summary>x [batch, C, time] → [batch, C, time], causal.</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var z = Mixing.Forward(F.Gelu(Conv.Forward(x))).Glu(1);                                 // [batch, C, time]
        var sum = x + Dropout.Forward(z);
        return scope.Keep(Norm.Forward(sum.Transpose(1, 2)).Transpose(1, 2));
    }
}

/// <summary>
/// MultiresNet, the sequence classifier of the paper: a 1×1 convolution from the input channels to C, a stack of
/// <see cref="MultiresLayer"/>s (each tree deep enough to cover the sequence: <see cref="MultiresConv.DepthFor"/>), a read-out
/// over time and a linear head. Input [batch, in, time] → logits [batch, classes].
/// </summary>
public sealed class MultiresNet : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for sequences of <paramref name="length"/> steps.</summary>
    public MultiresNet(int inputChannels, int channels, int layers, int classes, int length, int kernelSize = 2, double dropout = 0.0,
        SequenceReadout readout = SequenceReadout.Mean, bool dilated = true, DType? dtype = null, Device? device = null)
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "must be ≥ 1");
        Readout = readout;
        Encoder = new Conv1d(inputChannels, channels, 1, dtype: dtype, device: device);
        int depth = MultiresConv.DepthFor(length, kernelSize);
        Layers = Enumerable.Range(0, layers).Select(_ => new MultiresLayer(channels, kernelSize, depth, dropout, dilated, dtype, device)).ToArray();
        Head = new Linear(channels, classes, dtype: dtype, device: device);
    }

    /// <summary>Input channels → C.</summary>
    public Conv1d Encoder { get; }

    /// <summary>The residual multiresolution blocks.</summary>
    public MultiresLayer[] Layers { get; }

    /// <summary>Features → class logits.</summary>
    public Linear Head { get; }

    /// <summary>How the features are pooled over time.</summary>
    public SequenceReadout Readout { get; }

    /// <summary>Features [batch, C, time] after the last block (causal in time).</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = NewScope();
        var h = Encoder.Forward(x);
        foreach (var layer in Layers) h = layer.Forward(h);
        return scope.Keep(h);
    }

    /// <summary>x [batch, in, time] → logits [batch, classes].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Head.Forward(Pool(Features(x), Readout)));
    }

    /// <summary>[batch, C, time] → [batch, C]: the mean over time or the last step.</summary>
    public static Tensor Pool(Tensor features, SequenceReadout readout) =>
        readout == SequenceReadout.Mean ? features.Mean(2) : features.Select(2, features.Size(2) - 1);
}

/// <summary>
/// The TCN of Bai et al. (<see cref="TemporalConvNet"/>) as a sequence classifier: the same read-out and linear head as
/// <see cref="MultiresNet"/>. Input [batch, in, time] → logits [batch, classes].
/// </summary>
public sealed class TcnClassifier : Module<Tensor, Tensor>
{
    /// <summary>Creates L = <paramref name="levels"/> blocks of <paramref name="channels"/> channels, dilations 1, 2, ….</summary>
    public TcnClassifier(int inputChannels, int channels, int levels, int classes, int kernelSize = 2, double dropout = 0.0,
        SequenceReadout readout = SequenceReadout.Mean, DType? dtype = null, Device? device = null)
    {
        Readout = readout;
        Tcn = new TemporalConvNet(inputChannels, Enumerable.Repeat(channels, levels).ToArray(), kernelSize, dropout, dtype: dtype, device: device);
        Head = new Linear(channels, classes, dtype: dtype, device: device);
    }

    /// <summary>The temporal convolutional network.</summary>
    public TemporalConvNet Tcn { get; }

    /// <summary>Features → class logits.</summary>
    public Linear Head { get; }

    /// <summary>How the features are pooled over time.</summary>
    public SequenceReadout Readout { get; }

    /// <summary>x [batch, in, time] → logits [batch, classes].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Head.Forward(MultiresNet.Pool(Tcn.Forward(x), Readout)));
    }
}
