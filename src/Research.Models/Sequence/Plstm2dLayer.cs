using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>How <see cref="Plstm2dLayer"/> evaluates its recurrence (both give the same outputs).</summary>
public enum Plstm2dForm
{
    /// <summary><see cref="Plstm2d.Sequential"/>: one cell at a time (the definition).</summary>
    Sequential,

    /// <summary><see cref="Plstm2d.Chunked"/>: parallel inside chunks, boundary states passed between chunks (training form).</summary>
    Chunked,
}

/// <summary>
/// A multi-head 2-D pLSTM layer in P-mode (Pöppel et al., 2025) on a feature grid x <c>[batch, H, W, d]</c>. Heads come in four
/// direction groups: group o runs <see cref="Plstm2d"/> on the grid flipped so that information flows
/// right-down, left-down, right-up or left-up. Per cell and head, from x_c:
/// <code>
///   q_c = W_q x_c / √d_k,  k_c = W_k x_c,  v_c = W_v x_c
///   S_c[b] = σ(z_S,b),  M_c[a] = σ(z_M,a),  E_c = σ(z_E)                    Source, Mark, direct gates in (0, 1)
///   T_c[0, a] = λ_a π_a,  T_c[1, a] = λ_a (1 − π_a),  λ_a = σ(z_λ,a),  π_a = σ(z_π,a)
///   y_c = W_o [Norm(o_c,head)]_heads                                          o: the recurrence's output per head
/// </code>
/// The transition parametrisation is the P-mode stabilisation: what enters a cell along edge a leaves it split between the
/// right and down edges with total weight λ_a ≤ 1 (column sums of T bounded by 1), so the path sums of <see cref="Plstm2d"/>
/// stay ≤ 1 however many lattice paths join two cells and long distances neither explode nor need tuning; π_a steers the
/// direction of propagation inside the quadrant (π → 1: along the row, π = ½: along the diagonal). The z's come from one
/// linear map of x_c; λ starts near 0.95 and the π of the heads of a group start spread over the quadrant.
/// </summary>
public sealed class Plstm2dLayer : Module<Tensor, Tensor>
{
    private const int GatesPerHead = 9;                         // S (2), λ (2), π (2), M (2), E (1)

    /// <summary>Creates the layer.</summary>
    /// <param name="modelDim">Width d of the input and output features.</param>
    /// <param name="headsPerDirection">Heads in each of the four direction groups.</param>
    /// <param name="keyDim">d_k of every head.</param>
    /// <param name="valueDim">d_v of every head.</param>
    /// <param name="chunk">Chunk side of the chunk-wise form.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    public Plstm2dLayer(long modelDim, int headsPerDirection, long keyDim, long valueDim, int chunk = 4, DType? dtype = null, Device? device = null)
    {
        if (modelDim < 1 || headsPerDirection < 1 || keyDim < 1 || valueDim < 1)
            throw new ArgumentException($"pLSTM layer: width {modelDim}, heads per direction {headsPerDirection}, d_k {keyDim}, d_v {valueDim} must be positive");
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk side must be positive");
        ModelDim = modelDim;
        HeadsPerDirection = headsPerDirection;
        KeyDim = keyDim;
        ValueDim = valueDim;
        Chunk = chunk;
        Query = new Linear(modelDim, Heads * keyDim, bias: false, dtype: dtype, device: device);
        Key = new Linear(modelDim, Heads * keyDim, bias: false, dtype: dtype, device: device);
        Value = new Linear(modelDim, Heads * valueDim, bias: false, dtype: dtype, device: device);
        Gates = new Linear(modelDim, Heads * GatesPerHead, dtype: dtype, device: device);
        var bias = new float[Heads * GatesPerHead];
        for (int h = 0; h < Heads; h++)
        {
            double pi = (h % headsPerDirection + 1.0) / (headsPerDirection + 1);              // spread over the quadrant
            bias[h * GatesPerHead + 2] = bias[h * GatesPerHead + 3] = 3f;                       // λ ≈ 0.95
            bias[h * GatesPerHead + 4] = bias[h * GatesPerHead + 5] = (float)Math.Log(pi / (1 - pi));
        }
        using (NoGrad()) Gates.Bias!.Copy_(Tensor.From(bias).To(Gates.Bias.DType));
        HeadNorm = new LayerNorm(valueDim, dtype: dtype, device: device);
        Output = new Linear(Heads * valueDim, modelDim, dtype: dtype, device: device);
    }

    /// <summary>Width d of the features.</summary>
    public long ModelDim { get; }

    /// <summary>Heads per direction group (four groups).</summary>
    public int HeadsPerDirection { get; }

    /// <summary>All heads: 4 × <see cref="HeadsPerDirection"/>.</summary>
    public int Heads => 4 * HeadsPerDirection;

    /// <summary>d_k per head.</summary>
    public long KeyDim { get; }

    /// <summary>d_v per head.</summary>
    public long ValueDim { get; }

    /// <summary>Chunk side of <see cref="Plstm2dForm.Chunked"/>.</summary>
    public int Chunk { get; set; }

    /// <summary>How the recurrence is evaluated.</summary>
    public Plstm2dForm Form { get; set; } = Plstm2dForm.Chunked;

    /// <summary>W_q.</summary>
    public Linear Query { get; }

    /// <summary>W_k.</summary>
    public Linear Key { get; }

    /// <summary>W_v.</summary>
    public Linear Value { get; }

    /// <summary>The gate pre-activations z (9 per head).</summary>
    public Linear Gates { get; }

    /// <summary>Layer norm of every head's output.</summary>
    public LayerNorm HeadNorm { get; }

    /// <summary>W_o.</summary>
    public Linear Output { get; }

    /// <summary>
    /// The gates per head in the flipped frame of the head's group: S, M <c>[batch, heads, H, W, 2]</c>, T
    /// <c>[batch, heads, H, W, 2, 2]</c>, E <c>[batch, heads, H, W]</c>.
    /// </summary>
    public (Tensor Source, Tensor Transition, Tensor Mark, Tensor Direct) GateValues(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var z = Oriented(Gates.Forward(x), GatesPerHead).Sigmoid();                          // [batch, heads, H, W, 9]
        var source = z.Narrow(-1, 0, 2);
        var lambda = z.Narrow(-1, 2, 2);
        var pi = z.Narrow(-1, 4, 2);
        var transition = Tensor.Stack([lambda * pi, lambda * (1 - pi)], -2);                  // [.., b, a]
        var mark = z.Narrow(-1, 6, 2);
        var direct = z.Select(-1, 8);
        scope.Keep(source, transition, mark, direct);
        return (source, transition, mark, direct);
    }

    /// <summary>[batch, H, W, d] → [batch, H, W, d].</summary>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var q = Oriented(Query.Forward(x), KeyDim) * (1.0 / Math.Sqrt(KeyDim));
        var k = Oriented(Key.Forward(x), KeyDim);
        var v = Oriented(Value.Forward(x), ValueDim);
        var (s, t, m, e) = GateValues(x);
        var o = Form == Plstm2dForm.Sequential ? Plstm2d.Sequential(q, k, v, s, t, m, e) : Plstm2d.Chunked(q, k, v, s, t, m, e, Chunk);
        var y = Flip(HeadNorm.Forward(o));                                                     // [batch, heads, H, W, dv], original frame
        y = y.Permute(0, 2, 3, 1, 4).Reshape(x.Size(0), x.Size(1), x.Size(2), Heads * ValueDim);
        return scope.Keep(Output.Forward(y));
    }

    /// <summary>
    /// The propagation map of every head from one source cell: <c>G[c, source]</c> of <see cref="Plstm2d"/> for every cell c
    /// (how strongly a key written at the source reaches the read-out at c, through the Source, Transition and Mark gates of x),
    /// <c>[batch, heads, H, W]</c> in the image's frame.
    /// </summary>
    public Tensor PropagationMap(Tensor x, long row, long column)
    {
        CheckInput(x);
        if (row < 0 || row >= x.Size(1) || column < 0 || column >= x.Size(2))
            throw new ArgumentOutOfRangeException(nameof(row), $"cell ({row}, {column}) is outside the {x.Size(1)} × {x.Size(2)} grid");
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var (s, t, m, e) = GateValues(x);
        var ones = Tensor.Ones([x.Size(0), Heads, x.Size(1), x.Size(2), 1], x.DType, x.Device);
        var at = Tensor.Zeros([x.Size(0), x.Size(1), x.Size(2), Heads], x.DType, x.Device);
        at.Select(1, row).Select(1, column).Fill_(1.0);
        var key = Oriented(at, 1);                                                             // 1 at the source cell only
        var map = Plstm2d.Chunked(ones, key, ones, s, t, m, e, Chunk);                       // y_c = G[c, source]
        return scope.Keep(Flip(map).Squeeze(-1));
    }

    // [batch, H, W, heads·n] → [batch, heads, H, W, n], each head's grid flipped into its group's frame.
    private Tensor Oriented(Tensor x, long n) =>
        Flip(x.Reshape(x.Size(0), x.Size(1), x.Size(2), Heads, n).Permute(0, 3, 1, 2, 4));

    // Group o of the heads (dim 1) flips rows when o is 2 or 3 and columns when o is 1 or 3; the flip is its own inverse.
    private Tensor Flip(Tensor x)
    {
        using var scope = NewScope();
        var groups = new Tensor[4];
        for (int o = 0; o < 4; o++)
        {
            var g = x.Narrow(1, o * HeadsPerDirection, HeadsPerDirection);
            groups[o] = o switch { 0 => g, 1 => g.Flip(3), 2 => g.Flip(2), _ => g.Flip(2, 3) };
        }
        return scope.Keep(Tensor.Cat(groups, 1));
    }

    private void CheckInput(Tensor x)
    {
        if (x.Dim != 4 || x.Size(3) != ModelDim)
            throw new ArgumentException($"pLSTM layer expects features [batch, H, W, {ModelDim}], got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() => $"d={ModelDim}, heads={Heads} (4 directions × {HeadsPerDirection}), d_k={KeyDim}, d_v={ValueDim}, chunk={Chunk}";
}
