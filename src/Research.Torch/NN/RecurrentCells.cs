namespace Research.Torch.NN;

/// <summary>Shared parts of the single-step cells: weight_ih [gates·hidden, in], weight_hh [gates·hidden, hidden], biases; U(±1/√hidden).</summary>
public abstract class RecurrentCell : Module
{
    private protected RecurrentCell(int gates, long inputSize, long hiddenSize, bool bias, DType? dtype, Device? device)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        double bound = 1 / Math.Sqrt(hiddenSize);
        Init.Uniform_(RegisterParameter("weight_ih", NewParameter([gates * hiddenSize, inputSize], dtype, device)), -bound, bound);
        Init.Uniform_(RegisterParameter("weight_hh", NewParameter([gates * hiddenSize, hiddenSize], dtype, device)), -bound, bound);
        if (!bias) return;
        Init.Uniform_(RegisterParameter("bias_ih", NewParameter([gates * hiddenSize], dtype, device)), -bound, bound);
        Init.Uniform_(RegisterParameter("bias_hh", NewParameter([gates * hiddenSize], dtype, device)), -bound, bound);
    }

    /// <summary>Features per input.</summary>
    public long InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public long HiddenSize { get; }

    /// <summary>Input-to-hidden weights.</summary>
    public Parameter WeightIh => Param("weight_ih")!;

    /// <summary>Hidden-to-hidden weights.</summary>
    public Parameter WeightHh => Param("weight_hh")!;

    /// <summary>Input-to-hidden bias, or null.</summary>
    public Parameter? BiasIh => Param("bias_ih");

    /// <summary>Hidden-to-hidden bias, or null.</summary>
    public Parameter? BiasHh => Param("bias_hh");

    /// <summary>Checks one step's input [batch, in] and returns the batch size.</summary>
    protected long CheckInput(Tensor input)
    {
        if (input.Dim != 2 || input.Size(1) != InputSize)
            throw new ArgumentException($"{GetType().Name}(input={InputSize}, hidden={HiddenSize}) expects input [batch, {InputSize}], got {input.ShapeString}", nameof(input));
        return input.Size(0);
    }

    /// <summary>Splits [time, batch, in] (or batch-first) into steps once, up front: slicing x[:, t] inside the loop makes backward quadratic in length.</summary>
    protected static Tensor[] Steps(Tensor sequence, bool batchFirst) => sequence.Unbind(batchFirst ? 1 : 0);

    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}";
}

/// <summary>One LSTM step (torch.nn.LSTMCell): (x, (h, c)) → (h', c').</summary>
public sealed class LSTMCell : RecurrentCell
{
    private static readonly Op s_cell = new("lstm_cell");

    /// <summary>Creates the cell.</summary>
    public LSTMCell(long inputSize, long hiddenSize, bool bias = true, DType? dtype = null, Device? device = null)
        : base(4, inputSize, hiddenSize, bias, dtype, device) { }

    /// <summary>One step from [batch, in] and the state (zeros when null) to the new state, each [batch, hidden].</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? state = null)
    {
        long batch = CheckInput(input);
        using var h0 = state is null ? Tensor.Zeros([batch, HiddenSize], input.DType, input.Device) : state.Value.H.Alias();
        using var c0 = state is null ? Tensor.Zeros([batch, HiddenSize], input.DType, input.Device) : state.Value.C.Alias();
        var r = s_cell.Invoke(input, new[] { h0, c0 }, WeightIh, WeightHh, BiasIh, BiasHh);
        return ((Tensor)r[0]!, (Tensor)r[1]!);
    }

    /// <summary>Runs the cell over a sequence [time, batch, in] (or batch first); returns the hidden states stacked along time and the last state.</summary>
    public (Tensor Output, Tensor H, Tensor C) ForwardSequence(Tensor sequence, bool batchFirst = false, (Tensor H, Tensor C)? state = null)
    {
        var steps = Steps(sequence, batchFirst);
        var outputs = new Tensor[steps.Length];
        var current = state;
        for (int t = 0; t < steps.Length; t++)
        {
            var next = Forward(steps[t], current);
            if (t > 0) current!.Value.C.Dispose();
            outputs[t] = next.H;
            current = next;
            steps[t].Dispose();
        }
        var output = Tensor.Stack(outputs, batchFirst ? 1 : 0);
        var last = current ?? throw new ArgumentException("the sequence is empty", nameof(sequence));
        var h = last.H.Alias();
        for (int t = 0; t < outputs.Length; t++) outputs[t].Dispose();
        return (output, h, last.C);
    }
}

/// <summary>One GRU step (torch.nn.GRUCell): (x, h) → h'.</summary>
public sealed class GRUCell : RecurrentCell
{
    private static readonly Op s_cell = new("gru_cell");

    /// <summary>Creates the cell.</summary>
    public GRUCell(long inputSize, long hiddenSize, bool bias = true, DType? dtype = null, Device? device = null)
        : base(3, inputSize, hiddenSize, bias, dtype, device) { }

    /// <summary>One step from [batch, in] and h (zeros when null) to h' [batch, hidden].</summary>
    public Tensor Forward(Tensor input, Tensor? h = null)
    {
        long batch = CheckInput(input);
        using var h0 = h is null ? Tensor.Zeros([batch, HiddenSize], input.DType, input.Device) : h.Alias();
        return s_cell.Call(input, h0, WeightIh, WeightHh, BiasIh, BiasHh);
    }

    /// <summary>Runs the cell over a sequence [time, batch, in] (or batch first); returns the hidden states stacked along time and the last one.</summary>
    public (Tensor Output, Tensor H) ForwardSequence(Tensor sequence, bool batchFirst = false, Tensor? h = null)
    {
        var steps = Steps(sequence, batchFirst);
        if (steps.Length == 0) throw new ArgumentException("the sequence is empty", nameof(sequence));
        var outputs = new Tensor[steps.Length];
        for (int t = 0; t < steps.Length; t++)
        {
            outputs[t] = Forward(steps[t], t == 0 ? h : outputs[t - 1]);
            steps[t].Dispose();
        }
        var output = Tensor.Stack(outputs, batchFirst ? 1 : 0);
        var last = outputs[^1];
        for (int t = 0; t < outputs.Length - 1; t++) outputs[t].Dispose();
        return (output, last);
    }
}
