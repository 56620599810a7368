using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// minGRU (Feng et al., 2024, "Were RNNs All We Needed?"): a GRU whose gates see only the current input,
/// so the recurrence is linear in h and the whole sequence is one parallel scan.
/// <code>
///   z_t = σ(Linear_z(x_t))                 update gate
///   h̃_t = g(Linear_h(x_t))                 candidate, g(x) = x + ½ (x ≥ 0), σ(x) (x &lt; 0)  — always positive
///   h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t   = a_t ⊙ h_{t−1} + b_t
/// </code>
/// <see cref="Forward(Tensor, Tensor?)"/> runs the log-space scan: log a = log σ(−k), log z = log σ(k),
/// log g(x) = log(x + ½) (x ≥ 0), log σ(x) (x &lt; 0); <see cref="ForwardSequential"/> runs the loop.
/// </summary>
public sealed class MinGru : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer: two input projections (gate and candidate), no hidden-to-hidden weights.</summary>
    public MinGru(long inputSize, long hiddenSize, DType? dtype = null, Device? device = null)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Gate = new Linear(inputSize, hiddenSize, dtype: dtype, device: device);
        Candidate = new Linear(inputSize, hiddenSize, dtype: dtype, device: device);
    }

    /// <summary>Size of each input step.</summary>
    public long InputSize { get; }

    /// <summary>Size of the hidden state.</summary>
    public long HiddenSize { get; }

    /// <summary>Linear_z: x_t → gate pre-activation k_t.</summary>
    public Linear Gate { get; }

    /// <summary>Linear_h: x_t → candidate pre-activation.</summary>
    public Linear Candidate { get; }

    /// <summary>g(x) = x + ½ for x ≥ 0, σ(x) for x &lt; 0: continuous, increasing and positive (so its log exists).</summary>
    public static Tensor G(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Tensor.Where(x >= 0, x.Relu() + 0.5, x.Sigmoid()));
    }

    /// <summary>log g(x), computed without forming g: log(relu(x) + ½) for x ≥ 0, log σ(x) for x &lt; 0 (log σ rather than −softplus(−x): softplus cuts off at 20).</summary>
    public static Tensor LogG(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Tensor.Where(x >= 0, (x.Relu() + 0.5).Log(), x.LogSigmoid()));
    }

    /// <summary>All hidden states by the log-space parallel scan. x: [batch, time, input]; h0: [batch, hidden] (positive) or null → [batch, time, hidden].</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>All hidden states by the log-space parallel scan, from a positive initial state <paramref name="h0"/> [batch, hidden].</summary>
    public Tensor Forward(Tensor x, Tensor? h0)
    {
        CheckInput(x);
        using var scope = NewScope();
        var k = Gate.Forward(x);                                   // [batch, time, hidden]
        var logA = (-k).LogSigmoid();                              // log(1 − z_t) = log σ(−k) = −softplus(k)
        var logZ = k.LogSigmoid();                                 // log z_t = log σ(k)
        var logB = logZ + LogG(Candidate.Forward(x));              // log(z_t ⊙ h̃_t)
        return scope.Keep(LinearRecurrence.LogSpace(logA, logB, h0?.Log()));
    }

    /// <summary>The same states by the sequential loop h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t (the definition).</summary>
    public Tensor ForwardSequential(Tensor x, Tensor? h0 = null)
    {
        CheckInput(x);
        using var scope = NewScope();
        var z = Gate.Forward(x).Sigmoid();                         // [batch, time, hidden]
        var candidate = G(Candidate.Forward(x));
        return scope.Keep(LinearRecurrence.Sequential(1.0 - z, z * candidate, h0));
    }

    private void CheckInput(Tensor x)
    {
        if (x.Dim != 3 || x.Size(2) != InputSize)
            throw new ArgumentException($"minGRU({InputSize} → {HiddenSize}) expects [batch, time, {InputSize}], got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}";
}
