using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// The IRNN of Le, Jaitly &amp; Hinton (2015), the wave-free baseline of the Wave-RNN paper: a dense ReLU RNN whose
/// recurrent matrix starts as the identity,
/// <code>
///   h_t = relu(W_h h_{t−1} + V x_t + b)       W_h = I, b = 0 at init; V ~ N(0, 0.001²)
///   y_t = W h_t + c
/// </code>
/// </summary>
public sealed class IdentityRnn : Module<Tensor, Tensor>
{
    /// <summary>Creates the network.</summary>
    public IdentityRnn(int inputs, int outputs, int hidden, DType? dtype = null, Device? device = null)
    {
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "must be ≥ 1");
        Hidden = hidden;
        Encoder = new Linear(inputs, hidden, dtype: dtype, device: device);
        Recurrent = new Linear(hidden, hidden, dtype: dtype, device: device);
        Readout = new Linear(hidden, outputs, dtype: dtype, device: device);
        using var noGrad = NoGrad();
        using var scope = NewScope();
        Research.Torch.NN.Init.Normal_(Encoder.Weight, std: 1e-3);
        Recurrent.Weight.Copy_(Tensor.Eye(hidden, dtype: Recurrent.Weight.DType, device: Recurrent.Weight.Device));
        Recurrent.Bias!.Zero_();
    }

    /// <summary>Hidden units.</summary>
    public int Hidden { get; }

    /// <summary>V, b: input → hidden.</summary>
    public Linear Encoder { get; }

    /// <summary>W_h: the dense recurrent matrix (identity at init).</summary>
    public Linear Recurrent { get; }

    /// <summary>W, c: hidden state → outputs at every step.</summary>
    public Linear Readout { get; }

    /// <summary>Parameters of an IRNN with <paramref name="hidden"/> units: h² + h(inputs + outputs + 2) + outputs.</summary>
    public static long ParameterCount(int inputs, int outputs, int hidden) => (long)hidden * hidden + (long)hidden * (inputs + outputs + 2) + outputs;

    /// <summary>The hidden size whose parameter count is closest to <paramref name="parameters"/>.</summary>
    public static int HiddenSizeFor(int inputs, int outputs, long parameters) =>
        Enumerable.Range(1, 4096).MinBy(h => Math.Abs(ParameterCount(inputs, outputs, h) - parameters));

    /// <summary>Hidden states h_1 … h_T from h_0 = 0. x: [batch, time, inputs] → [batch, time, hidden].</summary>
    public Tensor States(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(ReluRecurrence.Run(x, Encoder.Weight, Recurrent.Weight, Encoder.Bias!, Recurrent.Bias!));
    }

    /// <summary>Outputs y_t at every step. x: [batch, time, inputs] → [batch, time, outputs].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Readout.Forward(States(x)));
    }
}
