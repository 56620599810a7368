using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// h_t = relu(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) from h_0 = 0 over a whole sequence, by libtorch's own loop (aten::rnn_relu,
/// as torch.nn.RNN(nonlinearity="relu")), for any weight tensors — also computed ones, such as a <see cref="WaveRnn"/>'s circulant
/// matrix — with gradients to them.
/// </summary>
public static class ReluRecurrence
{
    private static readonly Op s_rnnRelu = new("rnn_relu", "input");

    /// <summary>States [batch, time, hidden] of inputs x [batch, time, inputs]; W_ih [hidden, inputs], W_hh [hidden, hidden], biases [hidden].</summary>
    public static Tensor Run(Tensor x, Tensor inputWeight, Tensor recurrentWeight, Tensor inputBias, Tensor recurrentBias)
    {
        if (x.Dim != 3) throw new ArgumentException($"expects inputs [batch, time, inputs], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var h0 = Tensor.Zeros([1, x.Size(0), recurrentWeight.Size(0)], x.DType, x.Device);
        var r = s_rnnRelu.Invoke(x, h0, new[] { inputWeight, recurrentWeight, inputBias, recurrentBias }, true, 1L, 0.0, false, false, true);
        ((Tensor)r[1]!).Dispose();
        return scope.Keep((Tensor)r[0]!);
    }
}
