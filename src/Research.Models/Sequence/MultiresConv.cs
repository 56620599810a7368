using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// The multiresolution convolution of Shi, Wang &amp; Huang (2023), "Sequence Modeling with Multiresolution Convolutional
/// Memory": per channel, two learned filters h0 (low-pass) and h1 (high-pass) of length k are applied along a dilated causal
/// convolution tree — the same two filters at every level, dilation 2^(j−1) at level j — like the cascade of a discrete
/// wavelet transform without downsampling (à trous):
/// <code>
///   a_0 = x
///   a_j = h0 ⋆_{2^(j−1)} a_{j−1}      approximation (low-pass) at level j = 1 … J
///   b_j = h1 ⋆_{2^(j−1)} a_{j−1}      detail (high-pass) at level j
///   y   = w_0 ⊙ a_J + Σ_{j=1…J} w_{J+1−j} ⊙ b_j + w_{J+1} ⊙ x        learned mixing of every resolution
/// </code>
/// where (h ⋆_d u)[t] = Σ_i h[i] u[t − (k−1−i)d] (zero before the start), so y[t] depends on x[t − (k−1)(2^J − 1) … t] only.
/// Channels never mix (depthwise). The filters hold 2·C·k numbers whatever the depth; only the mixing weights w
/// (C × (J + 2)) grow, by one per channel per level. <see cref="Coefficients"/> returns the J + 2 signals that are mixed,
/// in the order of w: a_J, b_J, b_{J−1}, …, b_1, x (coarse to fine, then the input).
/// With <c>dilated: false</c> every level uses dilation 1 (the same parameters, a receptive field of J(k−1) + 1): the control
/// that shows the tree's dilations matter.
/// </summary>
public sealed class MultiresConv : Module<Tensor, Tensor>
{
    /// <summary>Creates the filters (uniform, ±√(1/k), as the paper's code) and the mixing weights (normal, std √(2/(2J + 4))).</summary>
    public MultiresConv(int channels, int kernelSize, int depth, bool dilated = true, DType? dtype = null, Device? device = null)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be ≥ 1");
        if (kernelSize < 2) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be ≥ 2 (kernel 1 never grows the receptive field)");
        if (depth is < 1 or > 30) throw new ArgumentOutOfRangeException(nameof(depth), depth, "must be in [1, 30]");
        Channels = channels;
        KernelSize = kernelSize;
        Depth = depth;
        Dilated = dilated;
        using var scope = NewScope();
        double filterScale = Math.Sqrt(2.0 / (2 * kernelSize));
        H0 = new Parameter((Tensor.Rand([channels, 1, kernelSize], dtype, device) * 2 - 1) * filterScale);
        H1 = new Parameter((Tensor.Rand([channels, 1, kernelSize], dtype, device) * 2 - 1) * filterScale);
        W = new Parameter(Tensor.RandN([channels, depth + 2], dtype, device) * Math.Sqrt(2.0 / (2 * depth + 4)));
    }

    /// <summary>Channels C (each filtered on its own).</summary>
    public int Channels { get; }

    /// <summary>Filter length k.</summary>
    public int KernelSize { get; }

    /// <summary>Levels J of the tree.</summary>
    public int Depth { get; }

    /// <summary>Whether level j uses dilation 2^(j−1) (the paper) or 1 (the control).</summary>
    public bool Dilated { get; }

    /// <summary>h0: the low-pass filter of every level, [C, 1, k].</summary>
    public Parameter H0 { get; }

    /// <summary>h1: the high-pass filter of every level, [C, 1, k].</summary>
    public Parameter H1 { get; }

    /// <summary>w: mixing weights [C, J + 2] over a_J, b_J, …, b_1, x.</summary>
    public Parameter W { get; }

    /// <summary>Dilation of level j = 1 … J: 2^(j−1), or 1 without dilation.</summary>
    public int DilationOf(int level) => Dilated ? 1 << (level - 1) : 1;

    /// <summary>Input steps each output sees, the current one included: 1 + (k−1)(2^J − 1), or 1 + (k−1)J without dilation.</summary>
    public int ReceptiveField => 1 + (KernelSize - 1) * Enumerable.Range(1, Depth).Sum(DilationOf);

    /// <summary>The fewest levels whose receptive field 1 + (k−1)(2^J − 1) covers <paramref name="length"/> steps (at least 1).</summary>
    public static int DepthFor(int length, int kernelSize)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "must be ≥ 1");
        if (kernelSize < 2) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be ≥ 2");
        int depth = 1;
        while (1 + (kernelSize - 1) * ((1L << depth) - 1) < length) depth++;
        return depth;
    }

    /// <summary>
    /// The J + 2 signals the layer mixes, each [batch, C, time], in the order of <see cref="W"/>'s columns:
    /// a_J, b_J, b_{J−1}, …, b_1, x.
    /// </summary>
    public Tensor[] Coefficients(Tensor x)
    {
        Check(x);
        using var scope = NewScope();
        var details = new Tensor[Depth];
        var approximation = x;
        long time = x.Size(2);
        for (int level = 1; level <= Depth; level++)
        {
            int d = DilationOf(level);
            // tap i reads u[t − (k−1−i)d]: a slice of the left-padded signal (faster on a CPU than a grouped dilated conv1d)
            var padded = F.Pad(approximation, [(long)(KernelSize - 1) * d, 0]);                // causal: zeros before the start
            Tensor? a = null, b = null;
            for (int i = 0; i < KernelSize; i++)
            {
                var tap = padded.Narrow(2, (long)i * d, time);                                    // [batch, C, time]
                var lo = tap * H0.Select(2, i);                                                    // h0[:, i] [C, 1], broadcast over time
                var hi = tap * H1.Select(2, i);
                a = a is null ? lo : a + lo;
                b = b is null ? hi : b + hi;
            }
            details[level - 1] = b!;                                                              // b_j [batch, C, time]
            approximation = a!;                                                                   // a_j [batch, C, time]
        }
        return [scope.Keep(approximation), .. details.Reverse().Select(scope.Keep), scope.Keep(x.Alias())];
    }

    /// <summary>x [batch, C, time] → y = Σ_m w_m ⊙ coefficient_m, [batch, C, time]; y[t] depends on x[t − RF + 1 … t] only.</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var coefficients = Coefficients(x);
        var y = coefficients[0] * W.Narrow(1, 0, 1);                                              // w_0 [C, 1] broadcast over time
        for (int m = 1; m < coefficients.Length; m++) y = y + coefficients[m] * W.Narrow(1, m, 1);
        return scope.Keep(y);
    }

    private void Check(Tensor x)
    {
        if (x.Dim != 3 || x.Size(1) != Channels)
            throw new ArgumentException($"MultiresConv({Channels}) expects [batch, {Channels}, time], got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() => $"{Channels}, kernel_size={KernelSize}, depth={Depth}, dilated={Dilated}, receptive_field={ReceptiveField}";
}
