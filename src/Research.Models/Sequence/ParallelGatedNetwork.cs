using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// PGN, the Parallel Gated Network (Jia et al., 2024, "PGN: The RNN's New Successor is Effective for Long-Range Time Series
/// Forecasting"). A Historical Information Extraction (HIE) layer maps the last L inputs linearly to a history vector, and
/// a gate fuses it with the current step; no state is carried, so every step is computed at once and the information path
/// from any past step is O(1):
/// <code>
///   HIE      H_t = Σ_{s=0}^{L−1} A_s x_{t−s} + b_H          (x_{&lt;0} = 0: a causal convolution of length L)
///   gate     g_t = σ(W_g [x_t, H_t] + b_g)
///   candidate c_t = tanh(W_c [x_t, H_t] + b_c)
///   output   y_t = g_t ⊙ H_t + (1 − g_t) ⊙ c_t
/// </code>
/// <see cref="Forward"/> runs the HIE layer as one left-padded convolution over the whole sequence; <see cref="ForwardSequential"/>
/// evaluates the same equations step by step (the definition, for tests).
/// </summary>
public sealed class ParallelGatedNetwork : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer: HIE over <paramref name="history"/> steps (the paper uses the whole input window), gate and candidate.</summary>
    public ParallelGatedNetwork(long inputSize, long hiddenSize, int history, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(history, 1);
        (InputSize, HiddenSize, History) = (inputSize, hiddenSize, history);
        Hie = new Conv1d(inputSize, hiddenSize, history, padding: Padding.Causal, dtype: dtype, device: device);
        Gate = new Linear(inputSize + hiddenSize, hiddenSize, dtype: dtype, device: device);
        Candidate = new Linear(inputSize + hiddenSize, hiddenSize, dtype: dtype, device: device);
    }

    /// <summary>Size of each input step.</summary>
    public long InputSize { get; }

    /// <summary>Size of each output step.</summary>
    public long HiddenSize { get; }

    /// <summary>L: how many steps (the current one included) the HIE layer reads.</summary>
    public int History { get; }

    /// <summary>The HIE layer: a causal convolution of length L, weight [hidden, input, L] (A_s = weight[.., .., L − 1 − s]).</summary>
    public Conv1d Hie { get; }

    /// <summary>W_g, b_g over [x_t, H_t].</summary>
    public Linear Gate { get; }

    /// <summary>W_c, b_c over [x_t, H_t].</summary>
    public Linear Candidate { get; }

    /// <summary>x [batch, time, input] → y [batch, time, hidden], all steps at once.</summary>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var history = Hie.Forward(x.Transpose(1, 2)).Transpose(1, 2);                 // [batch, time, hidden]
        return scope.Keep(Fuse(x, history));
    }

    /// <summary>The same equations one step at a time: H_t summed over the last L inputs, then the gate (the definition).</summary>
    public Tensor ForwardSequential(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var weight = Hie.Weight;                                                       // [hidden, input, L]
        var steps = new Tensor[x.Size(1)];
        for (int t = 0; t < steps.Length; t++)
        {
            var h = Hie.Bias!.Unsqueeze(0).Expand([x.Size(0), HiddenSize]);
            for (int s = 0; s < History && s <= t; s++)
                h = h + x[.., t - s].Matmul(weight[.., .., History - 1 - s].T);
            steps[t] = Fuse(x[.., t], h);
        }
        return scope.Keep(Tensor.Stack(steps, 1));
    }

    private Tensor Fuse(Tensor x, Tensor history)
    {
        var both = Tensor.Cat([x, history], -1);
        var g = Gate.Forward(both).Sigmoid();
        return g * history + (1 - g) * Candidate.Forward(both).Tanh();
    }

    private void CheckInput(Tensor x)
    {
        if (x.Dim != 3 || x.Size(2) != InputSize)
            throw new ArgumentException($"PGN expects [batch, time, {InputSize}], got {x.ShapeString}", nameof(x));
    }
}
