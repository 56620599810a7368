using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// One residual block of a <see cref="TemporalConvNet"/> (Bai, Kolter &amp; Koltun, 2018, Fig. 1b), with two dilated
/// causal convolutions W_1 * x, W_2 * h of kernel k and dilation d:
/// <code>
///   h   = Dropout(ReLU(W_1 * x))          causal: h[t] sees x[t − (k−1)d … t]
///   h   = Dropout(ReLU(W_2 * h))
///   out = ReLU(h + R x)                   R = 1×1 convolution when in ≠ out channels, else the identity
/// </code>
/// W_1 and W_2 are weight-normalised, w = g · v / ‖v‖ with one g per output channel (<see cref="WeightedLayer.ApplyWeightNorm"/>),
/// and the dropout is spatial (<see cref="ChannelDropout"/>: whole channels of one sequence), as in the paper.
/// The causal left padding is <see cref="Padding.Causal"/> of <see cref="Conv1d"/>, as in WaveNet's dilated layers.
/// One block adds 2(k−1)d steps to the receptive field.
/// </summary>
public sealed class TemporalBlock : Module<Tensor, Tensor>
{
    /// <summary>Creates the block (PyTorch's default convolution initialisation, then weight normalisation when asked).</summary>
    public TemporalBlock(int inChannels, int outChannels, int kernelSize, int dilation, double dropout = 0.0, bool weightNorm = true,
        DType? dtype = null, Device? device = null)
    {
        if (inChannels < 1 || outChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"channels must be ≥ 1, got {inChannels} → {outChannels}");
        if (kernelSize < 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be ≥ 1");
        if (dilation < 1) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "must be ≥ 1");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "must be in [0, 1)");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Dilation = dilation;
        Conv1 = new Conv1d(inChannels, outChannels, kernelSize, padding: Padding.Causal, dilation: dilation, dtype: dtype, device: device);
        Conv2 = new Conv1d(outChannels, outChannels, kernelSize, padding: Padding.Causal, dilation: dilation, dtype: dtype, device: device);
        if (weightNorm)
        {
            Conv1.ApplyWeightNorm(dim: 0);
            Conv2.ApplyWeightNorm(dim: 0);
        }
        Dropout1 = new ChannelDropout(dropout);
        Dropout2 = new ChannelDropout(dropout);
        Downsample = inChannels != outChannels ? new Conv1d(inChannels, outChannels, 1, dtype: dtype, device: device) : null;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size k of both convolutions.</summary>
    public int KernelSize { get; }

    /// <summary>Dilation d: the taps are x[t], x[t−d], …, x[t−(k−1)d].</summary>
    public int Dilation { get; }

    /// <summary>W_1: the first dilated causal convolution (in → out).</summary>
    public Conv1d Conv1 { get; }

    /// <summary>W_2: the second dilated causal convolution (out → out).</summary>
    public Conv1d Conv2 { get; }

    /// <summary>Spatial dropout after the first convolution.</summary>
    public ChannelDropout Dropout1 { get; }

    /// <summary>Spatial dropout after the second convolution.</summary>
    public ChannelDropout Dropout2 { get; }

    /// <summary>R: the 1×1 convolution on the residual path when the channel counts differ (null: identity).</summary>
    public Conv1d? Downsample { get; }

    /// <summary>Steps this block adds to the receptive field: 2(k−1)d.</summary>
    public int ReceptiveFieldGrowth => 2 * (KernelSize - 1) * Dilation;

    /// <summary>x [batch, in, time] → [batch, out, time].</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 3 || x.Size(1) != InChannels)
            throw new ArgumentException($"TemporalBlock({InChannels} → {OutChannels}) expects [batch, {InChannels}, time], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var h = Dropout1.Forward(Conv1.Forward(x).Relu());
        h = Dropout2.Forward(Conv2.Forward(h).Relu());
        var residual = Downsample is null ? x : Downsample.Forward(x);
        return scope.Keep((h + residual).Relu());
    }

    protected override string ExtraRepr() => $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, dilation={Dilation}";
}

/// <summary>
/// The generic temporal convolutional network (TCN) of Bai, Kolter &amp; Koltun (2018), "An Empirical Evaluation of Generic
/// Convolutional and Recurrent Networks for Sequence Modeling": a stack of L <see cref="TemporalBlock"/>s whose dilations
/// double, d_i = 2^i (i = 0 … L−1), mapping [batch, in, time] → [batch, channels[L−1], time] with the same length.
/// Every convolution is causal, so output[t] depends on input[t − RF + 1 … t] only, where
/// <code>
///   RF = 1 + Σ_i 2(k−1)·2^i = 1 + 2(k−1)(2^L − 1)
/// </code>
/// grows exponentially with depth (<see cref="ReceptiveFieldOf"/>).
/// </summary>
public sealed class TemporalConvNet : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates L = <paramref name="channels"/>.Count blocks; block i maps channels[i−1] (or <paramref name="inputChannels"/>)
    /// to channels[i] with dilation 2^i.
    /// </summary>
    public TemporalConvNet(int inputChannels, IReadOnlyList<int> channels, int kernelSize = 2, double dropout = 0.0, bool weightNorm = true,
        DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Count == 0) throw new ArgumentException("a TCN needs at least one block", nameof(channels));
        if (channels.Count > 30) throw new ArgumentOutOfRangeException(nameof(channels), channels.Count, "at most 30 blocks (dilation 2^i must fit in an int)");
        if (inputChannels < 1 || channels.Any(c => c < 1))
            throw new ArgumentOutOfRangeException(nameof(channels), $"channel counts must be ≥ 1, got {inputChannels} → [{string.Join(", ", channels)}]");
        if (kernelSize < 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be ≥ 1");
        InputChannels = inputChannels;
        KernelSize = kernelSize;
        Blocks = channels.Select((c, i) => new TemporalBlock(i == 0 ? inputChannels : channels[i - 1], c, kernelSize, 1 << i, dropout, weightNorm, dtype, device)).ToArray();
    }

    /// <summary>Input channels.</summary>
    public int InputChannels { get; }

    /// <summary>Output channels (those of the last block).</summary>
    public int OutputChannels => Blocks[^1].OutChannels;

    /// <summary>Kernel size k of every convolution.</summary>
    public int KernelSize { get; }

    /// <summary>The residual blocks, dilations 1, 2, 4, ….</summary>
    public TemporalBlock[] Blocks { get; }

    /// <summary>Input steps each output sees, the current one included: 1 + 2(k−1)(2^L − 1).</summary>
    public int ReceptiveField => ReceptiveFieldOf(KernelSize, Blocks.Length);

    /// <summary>The receptive field of L blocks of kernel k with dilations 1, 2, …, 2^(L−1): 1 + 2(k−1)(2^L − 1).</summary>
    public static int ReceptiveFieldOf(int kernelSize, int levels)
    {
        if (kernelSize < 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be ≥ 1");
        if (levels is < 0 or > 30) throw new ArgumentOutOfRangeException(nameof(levels), levels, "must be in [0, 30]");
        return checked(1 + 2 * (kernelSize - 1) * ((1 << levels) - 1));
    }

    /// <summary>
    /// The fewest blocks L with kernel <paramref name="kernelSize"/> ≥ 2 whose receptive field covers
    /// <paramref name="steps"/> input steps (the current one included).
    /// </summary>
    public static int LevelsFor(int steps, int kernelSize)
    {
        if (kernelSize < 2) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "kernel 1 never grows the receptive field");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be ≥ 1");
        int levels = 0;
        while (ReceptiveFieldOf(kernelSize, levels) < steps) levels++;
        return levels;
    }

    /// <summary>x [batch, in, time] → [batch, out, time]; output[t] depends on x[t − RF + 1 … t] only.</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 3 || x.Size(1) != InputChannels)
            throw new ArgumentException($"TemporalConvNet expects [batch, {InputChannels}, time], got {x.ShapeString}", nameof(x));
        if (!x.DType.IsFloatingPoint())
            throw new ArgumentException($"TemporalConvNet expects a floating-point input, got {x.DType} (one-hot encode tokens first)", nameof(x));
        using var scope = NewScope();
        var h = x;
        foreach (var block in Blocks) h = block.Forward(h);
        return scope.Keep(h);
    }

    protected override string ExtraRepr() => $"receptive_field={ReceptiveField}";
}
