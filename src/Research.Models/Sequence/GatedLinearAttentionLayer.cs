using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// The gated linear attention layer of Yang et al. (2024), Sec. 4.3, multi-head, from x <c>[batch, time, d]</c>:
/// <code>
///   q_t = x_t W_q / √(d_k/H),   k_t = x_t W_k,   v_t = x_t W_v                   (no feature map)
///   α_t = σ(x_t W_α1 W_α2 + b_α)^{1/τ}                                         low-rank (rank 16) gates, τ = 16
///   S_t = diag(α_t) S_{t−1} + k_t v_tᵀ,   o_t = S_tᵀ q_t                        per head (<see cref="GatedLinearAttention"/>)
///   r_t = Swish(x_t W_r + b_r)
///   y_t = (Norm(o_t) ⊙ r_t) W_o                                               Norm: RMS norm per head
/// </code>
/// Keys have half the width of values (d_k = d/2, d_v = d) as in the paper. With <c>gated: false</c> the layer has no
/// gate parameters and α ≡ 1: ungated linear attention, otherwise identical. <see cref="Form"/> selects how the
/// recurrence is evaluated (all forms agree); training uses <see cref="GlaForm.Chunked"/>.
/// </summary>
public sealed class GatedLinearAttentionLayer : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="modelDim">Width d of the input and output.</param>
    /// <param name="heads">Number of heads H; must divide the key and value widths.</param>
    /// <param name="keyDim">Total key width d_k (default d / 2).</param>
    /// <param name="valueDim">Total value width d_v (default d).</param>
    /// <param name="gated">False: α ≡ 1 (ungated linear attention, no gate parameters).</param>
    /// <param name="gateRank">Inner width of the low-rank gate projection W_α1 W_α2 (16 in the paper).</param>
    /// <param name="temperature">τ in α = σ(·)^{1/τ}: larger τ keeps gates near 1 (slow forgetting); 16 in the paper.</param>
    /// <param name="chunk">Chunk length of the chunk-wise form.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    public GatedLinearAttentionLayer(long modelDim, long heads, long? keyDim = null, long? valueDim = null, bool gated = true,
        long gateRank = 16, double temperature = 16, int chunk = 32, DType? dtype = null, Device? device = null)
    {
        long dk = keyDim ?? modelDim / 2, dv = valueDim ?? modelDim;
        if (modelDim < 1 || heads < 1 || dk < heads || dv < heads || dk % heads != 0 || dv % heads != 0)
            throw new ArgumentException($"GLA: the {heads} heads must divide the key width {dk} and the value width {dv} (model width {modelDim})");
        if (gateRank < 1) throw new ArgumentOutOfRangeException(nameof(gateRank), gateRank, "the gate rank must be positive");
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the gate temperature τ must be positive");
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk length must be positive");
        ModelDim = modelDim;
        Heads = heads;
        KeyDim = dk;
        ValueDim = dv;
        Gated = gated;
        Temperature = temperature;
        Chunk = chunk;
        Query = new Linear(modelDim, dk, bias: false, dtype: dtype, device: device);
        Key = new Linear(modelDim, dk, bias: false, dtype: dtype, device: device);
        Value = new Linear(modelDim, dv, bias: false, dtype: dtype, device: device);
        if (gated)
        {
            GateDown = new Linear(modelDim, gateRank, bias: false, dtype: dtype, device: device);
            GateUp = new Linear(gateRank, dk, dtype: dtype, device: device);
        }
        OutputGate = new Linear(modelDim, dv, dtype: dtype, device: device);
        HeadNorm = new RMSNorm(dv / heads, eps: 1e-5, dtype: dtype, device: device);
        Output = new Linear(dv, modelDim, bias: false, dtype: dtype, device: device);
    }

    /// <summary>Width d of the input and output.</summary>
    public long ModelDim { get; }

    /// <summary>Number of heads H.</summary>
    public long Heads { get; }

    /// <summary>Total key width d_k (each head has d_k / H).</summary>
    public long KeyDim { get; }

    /// <summary>Total value width d_v (each head has d_v / H).</summary>
    public long ValueDim { get; }

    /// <summary>False for ungated linear attention (α ≡ 1).</summary>
    public bool Gated { get; }

    /// <summary>τ in α = σ(·)^{1/τ}.</summary>
    public double Temperature { get; }

    /// <summary>How <see cref="Forward(Tensor)"/> evaluates the recurrence.</summary>
    public GlaForm Form { get; set; } = GlaForm.Chunked;

    /// <summary>Chunk length of <see cref="GlaForm.Chunked"/>.</summary>
    public int Chunk { get; set; }

    /// <summary>W_q.</summary>
    public Linear Query { get; }

    /// <summary>W_k.</summary>
    public Linear Key { get; }

    /// <summary>W_v.</summary>
    public Linear Value { get; }

    /// <summary>W_α1: d → gate rank (null when ungated).</summary>
    public Linear? GateDown { get; }

    /// <summary>W_α2, b_α: gate rank → d_k (null when ungated).</summary>
    public Linear? GateUp { get; }

    /// <summary>W_r, b_r of the output gate r_t = Swish(x_t W_r + b_r).</summary>
    public Linear OutputGate { get; }

    /// <summary>The RMS norm applied to every head's output o_t.</summary>
    public RMSNorm HeadNorm { get; }

    /// <summary>W_o.</summary>
    public Linear Output { get; }

    /// <summary>The log-gates log α_t = log σ(x_t W_α1 W_α2 + b_α) / τ per head, <c>[batch, heads, time, d_k / H]</c>; null when ungated.</summary>
    public Tensor? LogGates(Tensor x)
    {
        CheckInput(x);
        if (GateDown is null || GateUp is null) return null;
        using var scope = NewScope();
        var logAlpha = GateUp.Forward(GateDown.Forward(x)).LogSigmoid() / Temperature;
        return scope.Keep(SplitHeads(logAlpha));
    }

    /// <summary>The forget gates α_t ∈ (0, 1) per head, <c>[batch, heads, time, d_k / H]</c> (all ones when ungated).</summary>
    public Tensor Gates(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var logAlpha = LogGates(x);
        return scope.Keep(logAlpha is null ? Tensor.Ones([x.Size(0), Heads, x.Size(1), KeyDim / Heads], x.DType, x.Device) : logAlpha.Exp());
    }

    /// <summary>
    /// The per-head inputs of the recurrence: q (scaled), k <c>[batch, heads, time, d_k / H]</c>, v <c>[batch, heads, time, d_v / H]</c>
    /// and log α (null when ungated).
    /// </summary>
    public (Tensor Q, Tensor K, Tensor V, Tensor? LogAlpha) Projections(Tensor x)
    {
        CheckInput(x);
        using var scope = NewScope();
        var q = SplitHeads(Query.Forward(x)) * (1.0 / Math.Sqrt(KeyDim / Heads));
        var k = SplitHeads(Key.Forward(x));
        var v = SplitHeads(Value.Forward(x));
        var logAlpha = LogGates(x);
        scope.Keep(q, k, v);
        if (logAlpha is not null) scope.Keep(logAlpha);
        return (q, k, v, logAlpha);
    }

    /// <summary>x <c>[batch, time, d]</c> → y <c>[batch, time, d]</c>, with the recurrence evaluated by <see cref="Form"/>.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, Form);

    /// <summary>x <c>[batch, time, d]</c> → y <c>[batch, time, d]</c>, with the recurrence evaluated by <paramref name="form"/>.</summary>
    public Tensor Forward(Tensor x, GlaForm form)
    {
        using var scope = NewScope();
        var (q, k, v, logAlpha) = Projections(x);
        var (o, _) = form switch
        {
            GlaForm.Recurrent => GatedLinearAttention.Recurrent(q, k, v, logAlpha),
            GlaForm.Parallel => GatedLinearAttention.Parallel(q, k, v, logAlpha),
            _ => GatedLinearAttention.Chunked(q, k, v, logAlpha, chunk: Chunk),
        };
        long batch = x.Size(0), time = x.Size(1);
        var merged = HeadNorm.Forward(o).Transpose(1, 2).Reshape(batch, time, ValueDim);   // [batch, time, d_v]
        var r = OutputGate.Forward(x).Silu();
        return scope.Keep(Output.Forward(merged * r));
    }

    // [batch, time, H·w] → [batch, H, time, w]
    private Tensor SplitHeads(Tensor t)
    {
        using var scope = NewScope();
        return scope.Keep(t.View(t.Size(0), t.Size(1), Heads, t.Size(2) / Heads).Transpose(1, 2));
    }

    private void CheckInput(Tensor x)
    {
        if (x.Dim != 3 || x.Size(2) != ModelDim)
            throw new ArgumentException($"GLA(d={ModelDim}) expects x [batch, time, {ModelDim}], got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() =>
        $"d={ModelDim}, heads={Heads}, d_k={KeyDim}, d_v={ValueDim}, " + (Gated ? $"gated (τ={Temperature})" : "ungated (α ≡ 1)") + $", form={Form}, chunk={Chunk}";
}
