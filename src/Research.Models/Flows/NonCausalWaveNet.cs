using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// The conditioning network of an audio flow's affine coupling: WaveGlow's "WN" and FloWaveNet's non-causal WaveNet. A
/// WaveNet stack whose dilated convolutions are centred (non-causal: the coupling sees x_a in the past and the future),
/// with the conditioning c added to every layer's gate input:
/// <code>
///   h_0  = W_start x_a                                                     1×1           [batch, R, T]
///   z_ℓ  = tanh(W_f,ℓ * h_{ℓ−1} + V_f,ℓ c) ⊙ σ(W_g,ℓ * h_{ℓ−1} + V_g,ℓ c)   kernel k, dilation 2^ℓ
///   h_ℓ  = h_{ℓ−1} + U_r,ℓ z_ℓ,   s += U_s,ℓ z_ℓ                            1×1
///   out  = W_end s                                                         1×1, zero at initialisation
/// </code>
/// W_end starts at zero, so a coupling built on it starts as the identity (WaveGlow, Glow).
/// </summary>
public sealed class NonCausalWaveNet : Module
{
    /// <summary>Creates the network: <paramref name="inChannels"/> → <paramref name="outChannels"/>, <paramref name="layers"/> gated layers of width R.</summary>
    public NonCausalWaveNet(long inChannels, long outChannels, long conditionChannels, int residualChannels, int layers, int kernelSize = 3,
        DType? dtype = null, Device? device = null)
    {
        if (layers < 1 || residualChannels < 1) throw new ArgumentOutOfRangeException(nameof(layers), $"need ≥ 1 layer of ≥ 1 channel, got {layers} × {residualChannels}");
        if (kernelSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "a centred kernel has an odd size");
        ResidualChannels = residualChannels;
        ConditionChannels = conditionChannels;
        Start = new Conv1d(inChannels, residualChannels, 1, dtype: dtype, device: device);
        Dilated = Enumerable.Range(0, layers).Select(i =>
            new Conv1d(residualChannels, 2 * residualChannels, kernelSize, padding: Padding.Same, dilation: 1L << i, dtype: dtype, device: device)).ToArray();
        Condition = conditionChannels > 0 ? new Conv1d(conditionChannels, 2L * residualChannels * layers, 1, dtype: dtype, device: device) : null;
        ResidualSkip = Enumerable.Range(0, layers).Select(_ => new Conv1d(residualChannels, 2 * residualChannels, 1, dtype: dtype, device: device)).ToArray();
        End = new Conv1d(residualChannels, outChannels, 1, dtype: dtype, device: device);
        using (NoGrad())
        {
            End.Weight.Zero_();
            End.Bias!.Zero_();
        }
    }

    /// <summary>Width R of the residual stream.</summary>
    public int ResidualChannels { get; }

    /// <summary>Channels of the conditioning c (0: unconditioned).</summary>
    public long ConditionChannels { get; }

    /// <summary>W_start: 1×1 from x_a to the residual stream.</summary>
    public Conv1d Start { get; }

    /// <summary>W_f,ℓ and W_g,ℓ of every layer as one centred dilated convolution R → 2R (dilation 2^ℓ).</summary>
    public Conv1d[] Dilated { get; }

    /// <summary>V_f,ℓ and V_g,ℓ of all layers as one 1×1 convolution from c (null when unconditioned).</summary>
    public Conv1d? Condition { get; }

    /// <summary>U_r,ℓ and U_s,ℓ of every layer as one 1×1 convolution R → 2R.</summary>
    public Conv1d[] ResidualSkip { get; }

    /// <summary>W_end: 1×1 from the skip sum to the output, zero at initialisation.</summary>
    public Conv1d End { get; }

    /// <summary>Samples on each side that out[t] depends on: Σ_ℓ (k − 1)/2 · 2^ℓ.</summary>
    public long ReceptiveRadius => Dilated.Sum(c => (c.KernelSize[0] - 1) / 2 * c.Dilation[0]);

    /// <summary>x_a [batch, C_in, T], c [batch, C_c, T] or null → [batch, C_out, T].</summary>
    public Tensor Forward(Tensor x, Tensor? condition)
    {
        if ((condition is null) != (Condition is null))
            throw new ArgumentException($"NonCausalWaveNet: built for {ConditionChannels} conditioning channels, got {condition?.ShapeString ?? "none"}", nameof(condition));
        using var scope = NewScope();
        var h = Start.Forward(x);                                                       // [batch, R, T]
        var conditions = Condition?.Forward(condition!).Chunk(Dilated.Length, 1);       // L × [batch, 2R, T]
        Tensor? skip = null;
        for (int i = 0; i < Dilated.Length; i++)
        {
            var gates = Dilated[i].Forward(h);                                          // [batch, 2R, T]
            if (conditions is not null) gates = gates + conditions[i];
            var halves = gates.Chunk(2, 1);
            var z = halves[0].Tanh() * halves[1].Sigmoid();                             // [batch, R, T]
            var residualSkip = ResidualSkip[i].Forward(z).Chunk(2, 1);
            h = h + residualSkip[0];
            skip = skip is null ? residualSkip[1] : skip + residualSkip[1];
        }
        return scope.Keep(End.Forward(skip!));
    }
}
