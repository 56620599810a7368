using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>The encoder of a <see cref="SequenceForecaster"/>.</summary>
public enum ForecastEncoder
{
    /// <summary>A <see cref="ParallelGatedNetwork"/> whose HIE layer reads the whole input window (or a given shorter history).</summary>
    Pgn,

    /// <summary>libtorch's GRU, run through the window step by step.</summary>
    Gru,
}

/// <summary>
/// Direct multi-step forecasting of a univariate series: a window x [batch, L] is encoded step by step (one channel per
/// step) by a PGN or a GRU, and a linear head maps the last step's features to the next P values [batch, P].
/// </summary>
public sealed class SequenceForecaster : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the forecaster with <paramref name="hidden"/> features per step; a PGN's HIE layer reads <paramref name="history"/>
    /// steps (default: the whole window).
    /// </summary>
    public SequenceForecaster(ForecastEncoder kind, int hidden, int window, int horizon, int? history = null, DType? dtype = null, Device? device = null)
    {
        (Kind, Window, Horizon) = (kind, window, horizon);
        if (kind == ForecastEncoder.Pgn) Pgn = new ParallelGatedNetwork(1, hidden, HistoryOf(window, history), dtype, device);
        else if (history is not null) throw new ArgumentException($"a history length applies to a PGN encoder only, not {kind}", nameof(history));
        else Gru = new GRU(1, hidden, batchFirst: true, dtype: dtype, device: device);
        Head = new Linear(hidden, horizon, dtype: dtype, device: device);
    }

    /// <summary>Which encoder runs.</summary>
    public ForecastEncoder Kind { get; }

    /// <summary>L, the input steps.</summary>
    public int Window { get; }

    /// <summary>P, the forecast steps.</summary>
    public int Horizon { get; }

    /// <summary>The PGN encoder (null for a GRU forecaster).</summary>
    public ParallelGatedNetwork? Pgn { get; }

    /// <summary>The GRU encoder (null for a PGN forecaster).</summary>
    public GRU? Gru { get; }

    /// <summary>Last step's features → the P forecast values.</summary>
    public Linear Head { get; }

    /// <summary>The parameters of a forecaster of this shape, without building it.</summary>
    public static long ParameterCountOf(ForecastEncoder kind, int hidden, int window, int horizon, int? history = null)
    {
        long h = hidden, encoder = kind == ForecastEncoder.Pgn
            ? h * HistoryOf(window, history) + h + 2 * ((1 + h) * h + h)
            : 3 * (h + h * h + 2 * h);
        return encoder + h * horizon + horizon;
    }

    private static int HistoryOf(int window, int? history) =>
        history is not { } l ? window
        : l >= 1 && l <= window ? l
        : throw new ArgumentOutOfRangeException(nameof(history), l, $"a PGN's history must be 1 … {window} steps (the window)");

    /// <summary>x [batch, L] → forecast [batch, P].</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Dim != 2 || x.Size(1) != Window)
            throw new ArgumentException($"expected windows [batch, {Window}], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var steps = x.Unsqueeze(-1);                                                   // [batch, L, 1]
        var features = Pgn is not null ? Pgn.Forward(steps) : Gru!.Forward(steps).Output;
        return scope.Keep(Head.Forward(features[.., -1]));
    }

    protected override string ExtraRepr() => $"{Kind}, window={Window}, horizon={Horizon}";
}
