using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// A causal per-step classifier of token sequences: tokens x[0 … T−1] → logits y[t] over <see cref="Classes"/> for every t,
/// each a function of x[≤ t]. The tokens enter one-hot, so a float one-hot (or any soft) encoding [batch, time, vocabulary]
/// can replace the codes — the output is then differentiable with respect to the input (receptive-field measurements).
/// Two implementations with the same interface: <see cref="TcnTagger"/> and <see cref="LstmTagger"/>.
/// </summary>
public abstract class SequenceTagger : Module<Tensor, Tensor>
{
    private protected SequenceTagger(int vocabulary, int classes)
    {
        if (vocabulary < 1) throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "must be ≥ 1");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "must be ≥ 1");
        Vocabulary = vocabulary;
        Classes = classes;
    }

    /// <summary>Input tokens are 0 … Vocabulary − 1.</summary>
    public int Vocabulary { get; }

    /// <summary>Output classes per step.</summary>
    public int Classes { get; }

    /// <summary>
    /// Logits [batch, time, classes] from int64 tokens [batch, time] in [0, <see cref="Vocabulary"/>), or from a float
    /// encoding [batch, time, vocabulary].
    /// </summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(Logits(Encode(x)));
    }

    /// <summary>The network on a float encoding [batch, time, vocabulary] → logits [batch, time, classes].</summary>
    protected abstract Tensor Logits(Tensor encoded);

    /// <summary>The dtype the float encoding must have (that of the weights).</summary>
    protected abstract DType WeightType { get; }

    private Tensor Encode(Tensor x)
    {
        if (x.DType.IsFloatingPoint())
        {
            if (x.Dim != 3 || x.Size(2) != Vocabulary)
                throw new ArgumentException($"{GetType().Name} expects a float encoding [batch, time, {Vocabulary}], got {x.ShapeString}", nameof(x));
            return x.Alias();
        }
        if (x.Dim != 2) throw new ArgumentException($"{GetType().Name} expects int64 tokens [batch, time], got {x.ShapeString}", nameof(x));
        if (x.NumEl > 0)
        {
            long min = x.Min().Item<long>(), max = x.Max().Item<long>();
            if (min < 0 || max >= Vocabulary)
                throw new ArgumentOutOfRangeException(nameof(x), $"tokens must be in [0, {Vocabulary}), got [{min}, {max}]");
        }
        using var oneHot = F.OneHot(x, Vocabulary);                                  // [batch, time, vocabulary] int64
        return oneHot.To(WeightType);
    }
}

/// <summary>
/// A <see cref="TemporalConvNet"/> tagger: one-hot tokens → TCN (channels first) → a linear readout at every step.
/// Causal with receptive field <see cref="TemporalConvNet.ReceptiveField"/>.
/// </summary>
public sealed class TcnTagger : SequenceTagger
{
    /// <summary>Creates the tagger; see <see cref="TemporalConvNet"/> for the arguments of the network.</summary>
    public TcnTagger(int vocabulary, int classes, IReadOnlyList<int> channels, int kernelSize, double dropout = 0.0, bool weightNorm = true,
        DType? dtype = null, Device? device = null) : base(vocabulary, classes)
    {
        Tcn = new TemporalConvNet(vocabulary, channels, kernelSize, dropout, weightNorm, dtype, device);
        Readout = new Linear(Tcn.OutputChannels, classes, dtype: dtype, device: device);
    }

    /// <summary>The temporal convolutional network.</summary>
    public TemporalConvNet Tcn { get; }

    /// <summary>The per-step linear readout to the class logits.</summary>
    public Linear Readout { get; }

    /// <summary>Input steps each output sees, the current one included.</summary>
    public int ReceptiveField => Tcn.ReceptiveField;

    /// <inheritdoc />
    protected override DType WeightType => Readout.Weight.DType;

    /// <inheritdoc />
    protected override Tensor Logits(Tensor encoded)
    {
        using var scope = NewScope();
        var h = Tcn.Forward(encoded.Transpose(1, 2));                               // [batch, channels, time]
        return scope.Keep(Readout.Forward(h.Transpose(1, 2)));                      // [batch, time, classes]
    }
}

/// <summary>
/// An <see cref="LSTM"/> tagger: one-hot tokens → a (multi-layer) LSTM from a zero state → a linear readout at every step.
/// </summary>
public sealed class LstmTagger : SequenceTagger
{
    /// <summary>Creates the tagger.</summary>
    public LstmTagger(int vocabulary, int classes, int hiddenSize, int layers = 1, DType? dtype = null, Device? device = null)
        : base(vocabulary, classes)
    {
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "must be ≥ 1");
        Lstm = new LSTM(vocabulary, hiddenSize, layers, batchFirst: true, dtype: dtype, device: device);
        Readout = new Linear(hiddenSize, classes, dtype: dtype, device: device);
    }

    /// <summary>The recurrent network (batch first).</summary>
    public LSTM Lstm { get; }

    /// <summary>The per-step linear readout to the class logits.</summary>
    public Linear Readout { get; }

    /// <summary>Parameters of a one-layer tagger: 4h(V + h) + 8h (two bias vectors) + hC + C.</summary>
    public static long ParameterCountOf(int vocabulary, int classes, int hiddenSize) =>
        4L * hiddenSize * (vocabulary + hiddenSize) + 8L * hiddenSize + (long)hiddenSize * classes + classes;

    /// <summary>The one-layer hidden size whose <see cref="ParameterCountOf"/> is closest to <paramref name="parameters"/>.</summary>
    public static int HiddenSizeFor(int vocabulary, int classes, long parameters)
    {
        if (parameters < ParameterCountOf(vocabulary, classes, 1))
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters, "fewer parameters than a one-unit LSTM tagger has");
        int h = 1;
        while (ParameterCountOf(vocabulary, classes, h + 1) <= parameters) h++;
        long below = parameters - ParameterCountOf(vocabulary, classes, h), above = ParameterCountOf(vocabulary, classes, h + 1) - parameters;
        return above < below ? h + 1 : h;
    }

    /// <inheritdoc />
    protected override DType WeightType => Readout.Weight.DType;

    /// <inheritdoc />
    protected override Tensor Logits(Tensor encoded)
    {
        using var scope = NewScope();
        var (output, _, _) = Lstm.Forward(encoded);                                 // [batch, time, hidden]
        return scope.Keep(Readout.Forward(output));                                 // [batch, time, classes]
    }
}
