using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>How <see cref="GatedLinearAttentionLayer"/> evaluates its recurrence (all three give the same outputs).</summary>
public enum GlaForm
{
    /// <summary><see cref="GatedLinearAttention.Recurrent"/>: one step per time index (the definition).</summary>
    Recurrent,

    /// <summary><see cref="GatedLinearAttention.Parallel"/>: one masked T × T "attention" with decays from cumulative log-gates.</summary>
    Parallel,

    /// <summary><see cref="GatedLinearAttention.Chunked"/>: parallel inside chunks, recurrent across chunks (the paper's training form).</summary>
    Chunked,
}

/// <summary>
/// Three ways to evaluate gated linear attention (Yang et al., 2024, "Gated Linear Attention Transformers with
/// Hardware-Efficient Training"), a linear RNN whose state is a matrix per head:
/// <code>
///   S_t = diag(α_t) S_{t−1} + k_t v_tᵀ          S_t ∈ R^{d_k × d_v},  α_t ∈ (0, 1]^{d_k}
///   o_t = S_tᵀ q_t
///       = Σ_{j≤t} (q_t ⊙ b_t / b_j)ᵀ k_j · v_j  +  (q_t ⊙ b_t)ᵀ S_0,     b_t = Π_{i≤t} α_i
/// </code>
/// α ≡ 1 is (ungated, causal, un-normalised) linear attention. Every method takes per-head tensors
/// q, k: <c>[batch, heads, time, d_k]</c>, v: <c>[batch, heads, time, d_v]</c>, the log-gates
/// log α: <c>[batch, heads, time, d_k]</c> (≤ 0; null means α ≡ 1) and an optional initial state S_0
/// <c>[batch, heads, d_k, d_v]</c>, and returns the outputs o_1..o_T <c>[batch, heads, time, d_v]</c> with the final
/// state S_T.
/// </summary>
/// <remarks>
/// Numerics: the decays b_t / b_j are never formed as a quotient (b_t underflows and 1 / b_j overflows after a few
/// hundred strongly gated steps, in float32 after ~90 nats of decay). Both parallel forms take differences of cumulative
/// log-gates, <c>exp(G_t − G_j)</c> with <c>G_t = Σ_{i≤t} log α_i</c>, and set the exponent to −∞ above the diagonal
/// before exponentiating, so every factor is in [0, 1]. The fully parallel form pays for a whole-sequence cumulative sum:
/// G_t − G_j carries an absolute rounding error of order ε·|G_t|, which grows with the length and the strength of
/// forgetting (noticeable in float32 on long, strongly gated sequences); the chunked form restarts the sum at every chunk.
/// Memory: parallel O(T² d_k) per head, chunked O(T · C · d_k), recurrent O(T · d_k · d_v) for autograd.
/// </remarks>
public static class GatedLinearAttention
{
    /// <summary>
    /// The definition: S_t = diag(α_t) S_{t−1} + k_t v_tᵀ, o_t = S_tᵀ q_t, one step per time index (inputs are split
    /// once up front, so autograd's backward stays linear in T).
    /// </summary>
    public static (Tensor Output, Tensor State) Recurrent(Tensor q, Tensor k, Tensor v, Tensor? logAlpha = null, Tensor? initialState = null)
    {
        var (batch, heads, time, dk, dv) = CheckShapes(q, k, v, logAlpha, initialState);
        using var scope = NewScope();
        var qs = q.Unbind(2);                                                  // T × [batch, heads, dk]
        var ks = k.Unbind(2);
        var vs = v.Unbind(2);
        var alphas = logAlpha?.Exp().Unbind(2);
        var state = initialState ?? Tensor.Zeros([batch, heads, dk, dv], q.DType, q.Device);
        var outputs = new Tensor[time];
        for (int t = 0; t < time; t++)
        {
            var write = ks[t].Unsqueeze(-1) * vs[t].Unsqueeze(-2);             // k_t v_tᵀ: [batch, heads, dk, dv]
            state = alphas is null ? state + write : alphas[t].Unsqueeze(-1) * state + write;
            outputs[t] = qs[t].Unsqueeze(-2).Matmul(state).Squeeze(-2);       // S_tᵀ q_t: [batch, heads, dv]
        }
        var output = Tensor.Stack(outputs, dim: 2);
        scope.Keep(output, state);
        return (output, state);
    }

    /// <summary>
    /// The fully parallel ("attention-like") form: O = (P ⊙ M) V with
    /// <c>P[t, j] = Σ_c q_{t,c} k_{j,c} exp(G_{t,c} − G_{j,c})</c> for j ≤ t (M the causal mask) and
    /// <c>G_t = Σ_{i≤t} log α_i</c>. Memory O(batch · heads · T² · d_k): for checks and short sequences.
    /// </summary>
    public static (Tensor Output, Tensor State) Parallel(Tensor q, Tensor k, Tensor v, Tensor? logAlpha = null, Tensor? initialState = null)
    {
        var (batch, heads, time, dk, dv) = CheckShapes(q, k, v, logAlpha, initialState);
        using var scope = NewScope();
        Tensor output, state;
        if (logAlpha is null)
        {
            // α ≡ 1: causal linear attention, (Q Kᵀ ⊙ M) V, and S_T = Kᵀ V (+ S_0).
            output = q.Matmul(k.Transpose(-1, -2)).Tril().Matmul(v);
            state = k.Transpose(-1, -2).Matmul(v);
            if (initialState is not null)
            {
                output = output + q.Matmul(initialState);
                state = state + initialState;
            }
            scope.Keep(output, state);
            return (output, state);
        }
        var cumulative = logAlpha.CumSum(2);                                   // G: [batch, heads, T, dk]
        var decay = PairwiseDecay(cumulative);                                 // exp(G_t − G_j) masked: [batch, heads, T, T, dk]
        var scores = ((q.Unsqueeze(3) * decay) * k.Unsqueeze(2)).Sum(-1);      // P ⊙ M: [batch, heads, T, T]
        output = scores.Matmul(v);                                             // [batch, heads, T, dv]

        // S_T = Σ_j (k_j ⊙ exp(G_T − G_j)) v_jᵀ (+ exp(G_T) ⊙ S_0), from the last row of the decays.
        var last = cumulative.Select(2, time - 1);                                                 // G_T: [batch, heads, dk]
        state = (k * (last.Unsqueeze(2) - cumulative).Exp()).Transpose(-1, -2).Matmul(v);         // [batch, heads, dk, dv]
        if (initialState is not null)
        {
            output = output + (q * cumulative.Exp()).Matmul(initialState);                        // (q_t ⊙ b_t)ᵀ S_0
            state = state + last.Exp().Unsqueeze(-1) * initialState;
        }
        scope.Keep(output, state);
        return (output, state);
    }

    /// <summary>
    /// The chunk-wise form of the paper (Sec. 4): the sequence is cut into chunks of <paramref name="chunk"/> steps
    /// (the last one padded with α = 1, k = v = q = 0, which changes nothing before it). Inside a chunk, with the
    /// cumulative log-gates Γ restarted at the chunk's start,
    /// <code>
    ///   O_intra[i] = Σ_{j≤i} (q_i ⊙ exp(Γ_i − Γ_j))ᵀ k_j v_j        all chunks at once (parallel)
    ///   O[i]       = O_intra[i] + (q_i ⊙ exp(Γ_i))ᵀ S_[c]           state at the chunk's start
    ///   S_[c+1]    = diag(exp(Γ_C)) S_[c] + Σ_j (k_j ⊙ exp(Γ_C − Γ_j)) v_jᵀ
    /// </code>
    /// where only the last line is a loop, over T / C chunks. Memory O(batch · heads · T · C · d_k).
    /// </summary>
    public static (Tensor Output, Tensor State) Chunked(Tensor q, Tensor k, Tensor v, Tensor? logAlpha = null, Tensor? initialState = null, int chunk = 32)
    {
        var (batch, heads, time, dk, dv) = CheckShapes(q, k, v, logAlpha, initialState);
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk length must be positive");
        using var scope = NewScope();
        var logA = logAlpha;
        long n = (time + chunk - 1) / chunk, padded = n * chunk;
        if (padded != time)
        {
            long[] pad = [0, 0, 0, padded - time];                             // pad the time axis (dim 2) at the end
            q = q.Pad(pad);
            k = k.Pad(pad);
            v = v.Pad(pad);
            logA = logA?.Pad(pad);                                             // log α = 0: α = 1
        }
        q = q.Reshape(batch, heads, n, chunk, dk);
        k = k.Reshape(batch, heads, n, chunk, dk);
        v = v.Reshape(batch, heads, n, chunk, dv);

        Tensor intra;
        Tensor[] queries, updates;
        Tensor[]? chunkDecay = null;
        if (logAlpha is null)
        {
            // α ≡ 1: no decays; intra-chunk (Q Kᵀ ⊙ M) V, queries read the state as they are, every chunk adds Kᵀ V.
            intra = q.Matmul(k.Transpose(-1, -2)).Tril().Matmul(v);
            queries = q.Unbind(2);
            updates = k.Transpose(-1, -2).Matmul(v).Unbind(2);
        }
        else
        {
            var gamma = logA!.Reshape(batch, heads, n, chunk, dk).CumSum(3);   // Γ: decay from the chunk's start, inclusive

            // Intra-chunk: a causal C × C "attention" in every chunk at once.
            var decay = PairwiseDecay(gamma);                                  // [batch, heads, n, C, C, dk]
            var scores = ((q.Unsqueeze(4) * decay) * k.Unsqueeze(3)).Sum(-1);  // [batch, heads, n, C, C]
            intra = scores.Matmul(v);                                          // [batch, heads, n, C, dv]

            // Inter-chunk: what each chunk reads from and adds to the state.
            var gammaLast = gamma.Select(3, chunk - 1);                        // Γ_C: [batch, heads, n, dk]
            queries = (q * gamma.Exp()).Unbind(2);                             // q_i ⊙ exp(Γ_i): n × [batch, heads, C, dk]
            updates = (k * (gammaLast.Unsqueeze(3) - gamma).Exp()).Transpose(-1, -2).Matmul(v).Unbind(2);   // n × [batch, heads, dk, dv]
            chunkDecay = gammaLast.Exp().Unsqueeze(-1).Unbind(2);              // n × [batch, heads, dk, 1]
        }
        var intraChunks = intra.Unbind(2);

        var state = initialState;
        var outputs = new Tensor[n];
        for (int c = 0; c < n; c++)
        {
            outputs[c] = state is null ? intraChunks[c] : intraChunks[c] + queries[c].Matmul(state);
            state = state is null ? updates[c] : (chunkDecay is null ? state : chunkDecay[c] * state) + updates[c];
        }
        var output = Tensor.Cat(outputs, 2);                                   // [batch, heads, padded, dv]
        if (padded != time) output = output.Narrow(2, 0, time);
        scope.Keep(output, state!);
        return (output, state!);
    }

    /// <summary>
    /// exp(G_i − G_j) for j ≤ i and 0 for j &gt; i, from cumulative log-gates G <c>[..., L, d]</c> → <c>[..., L(i), L(j), d]</c>.
    /// The exponent is set to −∞ above the diagonal before <c>exp</c>, so nothing overflows and no gradient leaks there.
    /// </summary>
    public static Tensor PairwiseDecay(Tensor cumulative)
    {
        using var scope = NewScope();
        long length = cumulative.Size(-2);
        var index = Tensor.Arange(length, device: cumulative.Device);
        var future = (index.Unsqueeze(0) > index.Unsqueeze(1)).Unsqueeze(-1);                  // [L(i), L(j), 1]: j > i
        var difference = cumulative.Unsqueeze(-2) - cumulative.Unsqueeze(-3);                   // G_i − G_j
        return scope.Keep(difference.MaskedFill(future, double.NegativeInfinity).Exp());
    }

    private static (long Batch, long Heads, long Time, long Dk, long Dv) CheckShapes(Tensor q, Tensor k, Tensor v, Tensor? logAlpha, Tensor? initialState)
    {
        string Shapes() => $"q {q.ShapeString}, k {k.ShapeString}, v {v.ShapeString}" +
                           (logAlpha is null ? "" : $", log α {logAlpha.ShapeString}") + (initialState is null ? "" : $", S_0 {initialState.ShapeString}");
        if (q.Dim != 4 || k.Dim != 4 || v.Dim != 4)
            throw new ArgumentException($"gated linear attention expects q, k [batch, heads, time, d_k] and v [batch, heads, time, d_v]; got {Shapes()}");
        if (!q.Shape.SequenceEqual(k.Shape))
            throw new ArgumentException($"q and k must have the same shape [batch, heads, time, d_k]; got {Shapes()}");
        if (v.Size(0) != q.Size(0) || v.Size(1) != q.Size(1) || v.Size(2) != q.Size(2))
            throw new ArgumentException($"v must agree with q on [batch, heads, time]; got {Shapes()}");
        if (logAlpha is not null && !logAlpha.Shape.SequenceEqual(k.Shape))
            throw new ArgumentException($"log α must have the shape of k [batch, heads, time, d_k]; got {Shapes()}");
        long batch = q.Size(0), heads = q.Size(1), time = q.Size(2), dk = q.Size(3), dv = v.Size(3);
        if (time < 1) throw new ArgumentException($"gated linear attention needs at least one time step; got {Shapes()}");
        if (initialState is not null && !initialState.Shape.SequenceEqual([batch, heads, dk, dv]))
            throw new ArgumentException($"the initial state must be [batch, heads, d_k, d_v] = [{batch}, {heads}, {dk}, {dv}]; got {Shapes()}");
        return (batch, heads, time, dk, dv);
    }
}
