namespace Research.Torch.NN;

/// <summary>
/// Shared parts of <see cref="LSTM"/> and <see cref="GRU"/>: multi-layer, bidirectional, batch-first
/// recurrent layers running libtorch's fused kernels (aten::lstm / aten::gru), with PyTorch's parameter
/// names (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>...) and initialisation U(±1/√hidden).
/// </summary>
public abstract class RecurrentLayer : Module
{
    private readonly int _gates;

    private protected RecurrentLayer(int gates, long inputSize, long hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout,
        bool bidirectional, DType? dtype, Device? device)
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "need at least one layer");
        if (dropout is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1]");
        _gates = gates;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        HasBias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        double bound = 1 / Math.Sqrt(hiddenSize);
        int directions = bidirectional ? 2 : 1;
        for (int layer = 0; layer < numLayers; layer++)
            for (int dir = 0; dir < directions; dir++)
            {
                var suffix = $"l{layer}" + (dir == 1 ? "_reverse" : "");
                long layerInput = layer == 0 ? inputSize : hiddenSize * directions;
                var names = new List<(string, long[])>
                {
                    ($"weight_ih_{suffix}", [gates * hiddenSize, layerInput]),
                    ($"weight_hh_{suffix}", [gates * hiddenSize, hiddenSize]),
                };
                if (bias)
                {
                    names.Add(($"bias_ih_{suffix}", [gates * hiddenSize]));
                    names.Add(($"bias_hh_{suffix}", [gates * hiddenSize]));
                }
                foreach (var (name, shape) in names)
                {
                    var p = RegisterParameter(name, NewParameter(shape, dtype, device));
                    Init.Uniform_(p, -bound, bound);
                    _flat.Add(name);
                }
            }
    }

    private readonly List<string> _flat = new();

    /// <summary>Features per input step.</summary>
    public long InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public long HiddenSize { get; }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have biases.</summary>
    public bool HasBias { get; }

    /// <summary>Input and output are [batch, time, features] rather than [time, batch, features].</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout between layers (in training).</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs backwards in time (outputs concatenated).</summary>
    public bool Bidirectional { get; }

    /// <summary>The parameters in aten's flat order (per layer and direction: w_ih, w_hh, b_ih, b_hh).</summary>
    protected Tensor[] FlatWeights => _flat.Select(n => (Tensor)Param(n)!).ToArray();

    /// <summary>Checks the input and returns (batched input, was it unbatched, batch size).</summary>
    protected (Tensor Input, bool Unbatched, long Batch) Prepare(Tensor input)
    {
        if ((input.Dim != 2 && input.Dim != 3) || input.Size(-1) != InputSize)
            throw new ArgumentException($"{GetType().Name}(input={InputSize}, hidden={HiddenSize}) expects input " +
                (BatchFirst ? $"[batch, time, {InputSize}]" : $"[time, batch, {InputSize}]") + $" or [time, {InputSize}], got {input.ShapeString}", nameof(input));
        if (input.Dim == 2) return (input.Unsqueeze(BatchFirst ? 0 : 1), true, 1);
        return (input.Alias(), false, input.Size(BatchFirst ? 0 : 1));
    }

    /// <summary>A zero initial state [layers·directions, batch, hidden] like the input's dtype and device.</summary>
    protected Tensor ZeroState(Tensor input, long batch) =>
        Tensor.Zeros([NumLayers * (Bidirectional ? 2 : 1), batch, HiddenSize], input.DType, input.Device);

    /// <summary>Checks a user-supplied state's shape.</summary>
    protected Tensor CheckState(Tensor state, bool unbatched, long batch, string what)
    {
        long layers = NumLayers * (Bidirectional ? 2 : 1);
        var expected = unbatched ? new[] { layers, HiddenSize } : new[] { layers, batch, HiddenSize };
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{GetType().Name}: {what} must be [{string.Join(", ", expected)}], got {state.ShapeString}");
        return unbatched ? state.Unsqueeze(1) : state.Alias();
    }

    protected override string ExtraRepr() =>
        $"{InputSize}, {HiddenSize}, num_layers={NumLayers}" + (BatchFirst ? ", batch_first=True" : "") + (Bidirectional ? ", bidirectional=True" : "") +
        (_gates > 0 && !HasBias ? ", bias=False" : "");
}

/// <summary>Long short-term memory (Hochreiter &amp; Schmidhuber, 1997), as torch.nn.LSTM.</summary>
public sealed class LSTM : RecurrentLayer
{
    private static readonly Op s_lstm = new("lstm", "input");

    /// <summary>Creates the layer.</summary>
    public LSTM(long inputSize, long hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, DType? dtype = null, Device? device = null)
        : base(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, device) { }

    /// <summary>
    /// Runs the sequence from a zero (or the given) state. Output is [time, batch, directions·hidden]
    /// (batch first if configured); H and C are [layers·directions, batch, hidden].
    /// </summary>
    public (Tensor Output, Tensor H, Tensor C) Forward(Tensor input, Tensor? h0 = null, Tensor? c0 = null)
    {
        var (x, unbatched, batch) = Prepare(input);
        using (x)
        {
            using var h = h0 is null ? ZeroState(x, batch) : CheckState(h0, unbatched, batch, "h0");
            using var c = c0 is null ? ZeroState(x, batch) : CheckState(c0, unbatched, batch, "c0");
            var r = s_lstm.Invoke(x, new[] { h, c }, FlatWeights, HasBias, (long)NumLayers, Dropout, Training, Bidirectional, BatchFirst);
            var (output, hn, cn) = ((Tensor)r[0]!, (Tensor)r[1]!, (Tensor)r[2]!);
            if (!unbatched) return (output, hn, cn);
            using (output) using (hn) using (cn)
                return (output.Squeeze(BatchFirst ? 0 : 1), hn.Squeeze(1), cn.Squeeze(1));
        }
    }
}

/// <summary>Gated recurrent unit (Cho et al., 2014), as torch.nn.GRU.</summary>
public sealed class GRU : RecurrentLayer
{
    private static readonly Op s_gru = new("gru", "input");

    /// <summary>Creates the layer.</summary>
    public GRU(long inputSize, long hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, DType? dtype = null, Device? device = null)
        : base(3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, device) { }

    /// <summary>Runs the sequence from a zero (or the given) state; H is [layers·directions, batch, hidden].</summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? h0 = null)
    {
        var (x, unbatched, batch) = Prepare(input);
        using (x)
        {
            using var h = h0 is null ? ZeroState(x, batch) : CheckState(h0, unbatched, batch, "h0");
            var r = s_gru.Invoke(x, h, FlatWeights, HasBias, (long)NumLayers, Dropout, Training, Bidirectional, BatchFirst);
            var (output, hn) = ((Tensor)r[0]!, (Tensor)r[1]!);
            if (!unbatched) return (output, hn);
            using (output) using (hn)
                return (output.Squeeze(BatchFirst ? 0 : 1), hn.Squeeze(1));
        }
    }
}
