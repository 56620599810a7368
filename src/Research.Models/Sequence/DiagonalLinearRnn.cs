using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>Where the input-dependent state-transition eigenvalues a(x_t) of a diagonal linear RNN may lie.</summary>
public enum EigenvalueRange
{
    /// <summary>a = σ(s) ∈ (0, 1): Mamba, minGRU, GLA — the usual choice.</summary>
    ZeroToOne,

    /// <summary>a = 2σ(s) − 1 ∈ (−1, 1): the extension of Grazzi et al. that lets the state flip sign.</summary>
    MinusOneToOne,
}

/// <summary>
/// A one-layer diagonal linear RNN token classifier, the model of "Unlocking State-Tracking in Linear RNNs
/// Through Negative Eigenvalues" (Grazzi et al., 2024):
/// <code>
///   e_t = Embed(x_t)
///   a_t = σ(W_a e_t)  or  2σ(W_a e_t) − 1      eigenvalues, by <see cref="EigenvalueRange"/>
///   b_t = W_b e_t
///   h_t = a_t ⊙ h_{t−1} + b_t                  (h_0 = 0)
///   y_t = W_2 relu(W_1 h_t)                    logits at every position
/// </code>
/// Parity needs the state to flip sign on every 1: a(1) = −1, which only the (−1, 1) range contains.
/// With a ∈ (0, 1) the sign of every contribution to h_t is fixed, and no readout of h_t extrapolates parity.
/// </summary>
public sealed class DiagonalLinearRnn : Module<Tensor, Tensor>
{
    /// <summary>Creates the model.</summary>
    public DiagonalLinearRnn(long vocab, long classes, long stateSize, EigenvalueRange range, long width = 64, int chunk = 16,
        DType? dtype = null, Device? device = null)
    {
        Range = range;
        Chunk = chunk;
        Embed = new Embedding(vocab, width, dtype: dtype, device: device);
        Transition = new Linear(width, stateSize, dtype: dtype, device: device);
        Input = new Linear(width, stateSize, dtype: dtype, device: device);
        Hidden = new Linear(stateSize, width, dtype: dtype, device: device);
        Readout = new Linear(width, classes, dtype: dtype, device: device);
    }

    /// <summary>The eigenvalue range of the transition.</summary>
    public EigenvalueRange Range { get; }

    /// <summary>Chunk length of the scan (<see cref="LinearRecurrence.Chunked"/>).</summary>
    public int Chunk { get; }

    /// <summary>Token embedding e_t.</summary>
    public Embedding Embed { get; }

    /// <summary>W_a: embedding → eigenvalue pre-activation s_t.</summary>
    public Linear Transition { get; }

    /// <summary>W_b: embedding → input b_t.</summary>
    public Linear Input { get; }

    /// <summary>W_1 of the readout MLP.</summary>
    public Linear Hidden { get; }

    /// <summary>W_2 of the readout MLP.</summary>
    public Linear Readout { get; }

    /// <summary>The eigenvalues a_t of each token. tokens: int64 [batch, time] → [batch, time, state].</summary>
    public Tensor Eigenvalues(Tensor tokens)
    {
        using var scope = NewScope();
        var s = Transition.Forward(Embed.Forward(tokens));
        var a = Range == EigenvalueRange.ZeroToOne ? s.Sigmoid() : 2.0 * s.Sigmoid() - 1.0;
        return scope.Keep(a);
    }

    /// <summary>The states h_1..h_T. tokens: int64 [batch, time] → [batch, time, state].</summary>
    public Tensor States(Tensor tokens)
    {
        using var scope = NewScope();
        var a = Eigenvalues(tokens);
        var b = Input.Forward(Embed.Forward(tokens));
        return scope.Keep(LinearRecurrence.Chunked(a, b, chunk: Chunk));
    }

    /// <summary>Logits at every position. tokens: int64 [batch, time] → [batch, time, classes].</summary>
    public override Tensor Forward(Tensor tokens)
    {
        if (tokens.Dim != 2) throw new ArgumentException($"expected token ids [batch, time], got {tokens.ShapeString}", nameof(tokens));
        using var scope = NewScope();
        var h = States(tokens);
        return scope.Keep(Readout.Forward(Hidden.Forward(h).Relu()));
    }

    protected override string ExtraRepr() => $"range={Range}, chunk={Chunk}";
}
