using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// An autoregressive GRU over binary sequences, the token-by-token baseline of the VSSM paper:
/// <code>
///   s_t = GRUCell([x_{t−1}, 1{t = 1}], s_{t−1})      x_0 = 0 with the start flag set
///   p(x_t = 1 | x_{&lt;t}) = σ(w·s_t + c)
///   NLL(x) = −Σ_t log p(x_t | x_{&lt;t})
/// </code>
/// Training evaluates every step with the true prefix (teacher forcing); <see cref="Generate"/> must loop over the steps,
/// feeding each sample back. Sequences [batch, time] in {0, 1} (float).
/// </summary>
public sealed class AutoregressiveGru : Module<Tensor, Tensor>
{
    /// <summary>Creates the model with <paramref name="hidden"/> GRU units.</summary>
    public AutoregressiveGru(int hidden, DType? dtype = null, Device? device = null)
    {
        Cell = new GRUCell(2, hidden, dtype: dtype, device: device);
        Head = new Linear(hidden, 1, dtype: dtype, device: device);
    }

    /// <summary>The recurrent cell.</summary>
    public GRUCell Cell { get; }

    /// <summary>State → logit of x_t = 1.</summary>
    public Linear Head { get; }

    /// <summary>The GRU width whose parameter count, 3(2H + H² + 2H) + H + 1, is closest to <paramref name="parameters"/>.</summary>
    public static int HiddenFor(long parameters) =>
        Enumerable.Range(1, 1024).MinBy(h => Math.Abs(3L * (2 * h + (long)h * h + 2 * h) + h + 1 - parameters));

    /// <summary>Logits [batch, time] of x_t = 1 given the true prefix x_{&lt;t}.</summary>
    public Tensor Logits(Tensor x)
    {
        using var scope = NewScope();
        long batch = x.Size(0), time = x.Size(1);
        var previous = F.Pad(x, [1, 0]).Narrow(1, 0, time);                                          // x_{t−1}, 0 at t = 1
        var start = Tensor.Zeros([batch, time], x.DType, x.Device);
        start.Narrow(1, 0, 1).Fill_(1.0);
        var inputs = Tensor.Stack([previous, start], 2);                                               // [batch, time, 2]
        var (states, _) = Cell.ForwardSequence(inputs, batchFirst: true);
        return scope.Keep(Head.Forward(states).Squeeze(-1));
    }

    /// <summary>−log p(x) per sequence [batch] (nats).</summary>
    public Tensor Nll(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(F.BinaryCrossEntropyWithLogits(Logits(x), x, reduction: Reduction.None).Sum(1));
    }

    /// <summary>The mean NLL per sequence over the batch (the training loss).</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Nll(x).Mean());
    }

    /// <summary>Samples <paramref name="batch"/> sequences of <paramref name="length"/> steps, one step at a time.</summary>
    public Tensor Generate(int batch, int length) => GenerateWithLogits(batch, length).Samples;

    /// <summary>Samples and the logits they were drawn from, [batch, length] each.</summary>
    public (Tensor Samples, Tensor Logits) GenerateWithLogits(int batch, int length)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var w = Head.Weight;
        var input = Tensor.Zeros([batch, 2], w.DType, w.Device);
        input.Narrow(1, 1, 1).Fill_(1.0);
        Tensor? state = null;
        var samples = new Tensor[length];
        var logits = new Tensor[length];
        for (int t = 0; t < length; t++)
        {
            state = Cell.Forward(input, state);
            logits[t] = Head.Forward(state).Squeeze(-1);                                               // [batch]
            samples[t] = logits[t].Sigmoid().Bernoulli();
            input = Tensor.Stack([samples[t], samples[t].ZerosLike()], 1);                              // [x_t, no start flag]
        }
        return (scope.Keep(Tensor.Stack(samples, 1)), scope.Keep(Tensor.Stack(logits, 1)));
    }
}
