using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// ConvLSTM (Shi et al., 2015, "Convolutional LSTM Network: A Machine Learning Approach for Precipitation Nowcasting"):
/// an LSTM whose input-to-state and state-to-state maps are convolutions, so hidden H_t and cell C_t are tensors
/// [hidden, h, w]:
/// <code>
///   [i; f; g; o] = W ∗ [X_t; H_{t−1}] + b        one k×k convolution over the concatenated input and hidden state
///   C_t = σ(f) ⊙ C_{t−1} + σ(i) ⊙ tanh(g)
///   H_t = σ(o) ⊙ tanh(C_t)
/// </code>
/// (the paper's peephole terms W_c ⊙ C are left out, as in most implementations). The recurrence is non-linear in H, so
/// its sequence forward runs one frame after another.
/// </summary>
public sealed class ConvLstm : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer: <paramref name="inputChannels"/> → <paramref name="hiddenChannels"/>, k×k gates.</summary>
    public ConvLstm(long inputChannels, long hiddenChannels, long kernelSize = 3, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenChannels, 1);
        if (kernelSize % 2 != 1) throw new ArgumentException($"the kernel size must be odd (same padding), got {kernelSize}", nameof(kernelSize));
        (InputChannels, HiddenChannels) = (inputChannels, hiddenChannels);
        Gates = new Conv2d(inputChannels + hiddenChannels, 4 * hiddenChannels, kernelSize, padding: kernelSize / 2, dtype: dtype, device: device);
    }

    /// <summary>Input channels.</summary>
    public long InputChannels { get; }

    /// <summary>Hidden (and cell) channels.</summary>
    public long HiddenChannels { get; }

    /// <summary>W, b: [X_t; H_{t−1}] → the pre-activations of the gates i, f, g, o (in that order along the channels).</summary>
    public Conv2d Gates { get; }

    /// <summary>x [batch, time, in, h, w] → H_1..H_T [batch, time, hidden, h, w] from zero states.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null).H;

    /// <summary>All frames, one after another, from (H_0, C_0) (null: zeros): returns H_1..H_T and the last (H_T, C_T).</summary>
    public (Tensor H, (Tensor H, Tensor C) State) Forward(Tensor x, (Tensor H, Tensor C)? state)
    {
        if (x.Dim != 5 || x.Size(2) != InputChannels)
            throw new ArgumentException($"ConvLSTM ({InputChannels} → {HiddenChannels}) expects [batch, time, {InputChannels}, h, w], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var frames = x.Unbind(1);
        var hidden = new Tensor[frames.Length];
        var s = state;
        for (int t = 0; t < frames.Length; t++)
        {
            s = Step(frames[t], s);
            hidden[t] = s.Value.H;
        }
        var last = s!.Value;
        return (scope.Keep(Tensor.Stack(hidden, 1)), (scope.Keep(last.H), scope.Keep(last.C)));
    }

    /// <summary>One frame: x_t [batch, in, h, w] and (H_{t−1}, C_{t−1}) (null: zeros) → (H_t, C_t).</summary>
    public (Tensor H, Tensor C) Step(Tensor x, (Tensor H, Tensor C)? state)
    {
        if (x.Dim != 4 || x.Size(1) != InputChannels)
            throw new ArgumentException($"ConvLSTM steps on [batch, {InputChannels}, h, w], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var (h, c) = state ?? (Tensor.Zeros([x.Size(0), HiddenChannels, x.Size(2), x.Size(3)], x.DType, x.Device),
            Tensor.Zeros([x.Size(0), HiddenChannels, x.Size(2), x.Size(3)], x.DType, x.Device));
        var gates = Gates.Forward(Tensor.Cat([x, h], 1)).Chunk(4, 1);                  // i, f, g, o: 4 × [batch, hidden, h, w]
        var cell = gates[1].Sigmoid() * c + gates[0].Sigmoid() * gates[2].Tanh();
        var next = gates[3].Sigmoid() * cell.Tanh();
        return (scope.Keep(next), scope.Keep(cell));
    }

    protected override string ExtraRepr() => $"{InputChannels}, {HiddenChannels}";
}
