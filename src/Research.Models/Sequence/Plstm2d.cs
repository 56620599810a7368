using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// The 2-D pLSTM recurrence (Pöppel et al., 2025, "pLSTM: parallelizable Linear Source Transition Mark networks") on an
/// H × W grid, evaluated cell by cell (the definition) or chunk-wise (the parallel form). Each cell c = (i, j) has two
/// incoming edges, from the left (a = 0, the right-going state of (i, j−1)) and from the top (a = 1, the down-going state
/// of (i−1, j)), and two outgoing edges, right (b = 0) and down (b = 1); every edge carries a matrix state of
/// <c>d_k × d_v</c> per head:
/// <code>
///   L_c = R_{i,j−1},  U_c = D_{i−1,j}                                 (0 outside the grid)
///   R_c = T_c[0,0] L_c + T_c[0,1] U_c + S_c[0] k_c v_cᵀ                Source: input → outgoing edge
///   D_c = T_c[1,0] L_c + T_c[1,1] U_c + S_c[1] k_c v_cᵀ                Transition: incoming edge → outgoing edge
///   y_c = (M_c[0] L_c + M_c[1] U_c + E_c k_c v_cᵀ)ᵀ q_c                Mark: incoming edge → output (E: direct term)
/// </code>
/// Unrolled, <c>y_c = Σ_{c' ≤ c} G[c, c'] (q_c · k_c') v_c'</c> with the gating matrix
/// <c>G[c, c'] = Σ_{a, b} M_c[a] · P(c', b → c, a) · S_c'[b]</c> (and <c>E_c</c> on the diagonal), where P sums, over every
/// monotone lattice path from the outgoing edge b of c' to the incoming edge a of c, the product of the transitions met on
/// the way: a 2-D analogue of the cumulative products of a 1-D linear RNN. Information flows right and down only; the
/// caller flips the grid to reach other directions (<see cref="Plstm2dLayer"/>).
/// <para>Every method takes, per head, q, k <c>[batch, heads, H, W, d_k]</c>, v <c>[batch, heads, H, W, d_v]</c>,
/// source S <c>[batch, heads, H, W, 2]</c> (b), transition T <c>[batch, heads, H, W, 2, 2]</c> (b, a), mark M
/// <c>[batch, heads, H, W, 2]</c> (a) and direct E <c>[batch, heads, H, W]</c>, and returns y <c>[batch, heads, H, W, d_v]</c>.
/// Gates are not constrained here; <see cref="Plstm2dLayer"/> applies the P-mode stabilisation.</para>
/// </summary>
public static class Plstm2d
{
    /// <summary>
    /// The definition: one cell at a time in anti-diagonal order (d = i + j = 0, 1, …), holding every edge state. Slow
    /// (H·W steps); the reference for <see cref="Chunked"/>.
    /// </summary>
    public static Tensor Sequential(Tensor q, Tensor k, Tensor v, Tensor source, Tensor transition, Tensor mark, Tensor direct)
    {
        var (batch, heads, height, width, dk, dv) = CheckShapes(q, k, v, source, transition, mark, direct);
        using var scope = NewScope();
        var zero = Tensor.Zeros([batch, heads, dk, dv], q.DType, q.Device);
        var right = new Tensor[height, width];
        var down = new Tensor[height, width];
        var outputs = new Tensor[height * width];
        Tensor Gate(Tensor g, long i, long j) => g.Select(2, i).Select(2, j);                  // [batch, heads, …]
        Tensor Scalar(Tensor g) => g.Unsqueeze(-1).Unsqueeze(-1);                              // [batch, heads, 1, 1]
        for (long d = 0; d <= height + width - 2; d++)
        {
            for (long i = Math.Max(0, d - width + 1); i <= Math.Min(d, height - 1); i++)
            {
                long j = d - i;
                var left = j > 0 ? right[i, j - 1] : zero;
                var top = i > 0 ? down[i - 1, j] : zero;
                var kv = Gate(k, i, j).Unsqueeze(-1) * Gate(v, i, j).Unsqueeze(-2);          // k_c v_cᵀ: [batch, heads, dk, dv]
                var s = Gate(source, i, j);
                var t = Gate(transition, i, j);
                var m = Gate(mark, i, j);
                right[i, j] = Scalar(t.Select(-2, 0).Select(-1, 0)) * left + Scalar(t.Select(-2, 0).Select(-1, 1)) * top + Scalar(s.Select(-1, 0)) * kv;
                down[i, j] = Scalar(t.Select(-2, 1).Select(-1, 0)) * left + Scalar(t.Select(-2, 1).Select(-1, 1)) * top + Scalar(s.Select(-1, 1)) * kv;
                var read = Scalar(m.Select(-1, 0)) * left + Scalar(m.Select(-1, 1)) * top + Scalar(Gate(direct, i, j)) * kv;
                outputs[i * width + j] = Gate(q, i, j).Unsqueeze(-2).Matmul(read).Squeeze(-2);   // [batch, heads, dv]
            }
        }
        var y = Tensor.Stack(outputs, 2).Reshape(batch, heads, height, width, dv);
        return scope.Keep(y);
    }

    /// <summary>
    /// The chunk-wise form: the grid is cut into <paramref name="chunk"/> × <paramref name="chunk"/> chunks (the bottom and
    /// right edges padded with zero gates and inputs, which reach no real cell since information only flows right and down).
    /// Inside every chunk at once, the scalar path sums of <see cref="Plstm2d"/> are propagated from C² cell sources and
    /// the 2C incoming boundary edges (C left, C top) — a (2C − 1)-deep recursion over scalars, not states — giving the
    /// chunk's gating matrix G, its boundary read-out, its source → outgoing-boundary map and its boundary → boundary
    /// map. Outputs inside a chunk are then a masked linear attention <c>(Q Kᵀ ⊙ G) V</c>; across chunks only the 2C boundary
    /// states travel, one chunk at a time in raster order (like the state passing of a chunk-wise 1-D scan).
    /// </summary>
    public static Tensor Chunked(Tensor q, Tensor k, Tensor v, Tensor source, Tensor transition, Tensor mark, Tensor direct, int chunk = 4)
    {
        var (batch, heads, height, width, dk, dv) = CheckShapes(q, k, v, source, transition, mark, direct);
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk side must be positive");
        using var scope = NewScope();
        long C = chunk, nI = (height + C - 1) / C, nJ = (width + C - 1) / C, padH = nI * C - height, padW = nJ * C - width;
        long n = nI * nJ, cells = C * C, injections = cells + 2 * C;

        // [batch, heads, H, W, rest…] → [batch, heads, n, C, C, rest…] (chunks in raster order)
        Tensor Chunks(Tensor x, int rest)
        {
            var pad = new long[2 * (rest + 2)];
            pad[2 * rest + 1] = padW;                              // W: last-but-rest dim, padded at the end
            pad[2 * rest + 3] = padH;
            if (padH > 0 || padW > 0) x = x.Pad(pad);
            var tail = x.Shape[(4)..];
            var shaped = x.Reshape([batch, heads, nI, C, nJ, C, .. tail]);
            var order = new long[6 + tail.Length];
            long[] head = [0, 1, 2, 4, 3, 5];
            for (int d = 0; d < order.Length; d++) order[d] = d < 6 ? head[d] : d;
            return shaped.Permute(order).Reshape([batch, heads, n, C, C, .. tail]);
        }
        var qc = Chunks(q, 1).Reshape(batch, heads, n, cells, dk);
        var kc = Chunks(k, 1).Reshape(batch, heads, n, cells, dk);
        var vc = Chunks(v, 1).Reshape(batch, heads, n, cells, dv);
        var s = Chunks(source, 1);                                 // [batch, heads, n, C, C, 2]
        var t = Chunks(transition, 2);                             // [batch, heads, n, C, C, 2, 2]
        var m = Chunks(mark, 1);
        var e = Chunks(direct, 0);                                 // [batch, heads, n, C, C]

        // Scalar path sums from every injection (C² cell sources, C left edges, C top edges) to every edge of the chunk,
        // one cell at a time in raster order, all chunks, heads and injections at once: [batch, heads, n, 2 (edge), J].
        var eye = Tensor.Eye(injections, dtype: q.DType, device: q.Device);       // row r: the unit injection r
        var ss = s.Reshape(batch, heads, n, cells, 2, 1).Unbind(3);                // cells × [batch, heads, n, 2 (b), 1]
        var ts = t.Reshape(batch, heads, n, cells, 2, 2).Unbind(3);                // cells × [batch, heads, n, 2 (b), 2 (a)]
        var ms = m.Reshape(batch, heads, n, cells, 1, 2).Unbind(3);                // cells × [batch, heads, n, 1, 2 (a)]
        var es = e.Reshape(batch, heads, n, cells, 1).Unbind(3);                   // cells × [batch, heads, n, 1]
        long[] row = [batch, heads, n, injections];
        var outW = new Tensor[C, C];
        var readW = new Tensor[cells];
        for (long i = 0; i < C; i++)
        {
            for (long j = 0; j < C; j++)
            {
                long c = i * C + j;
                var left = j > 0 ? outW[i, j - 1].Select(-2, 0) : eye.Select(0, cells + i).Expand(row);
                var top = i > 0 ? outW[i - 1, j].Select(-2, 1) : eye.Select(0, cells + C + j).Expand(row);
                var incoming = Tensor.Stack([left, top], -2);                         // [batch, heads, n, 2 (a), J]
                var own = eye.Select(0, c);                                            // the cell's own source
                outW[i, j] = ts[c].Matmul(incoming) + ss[c] * own;                     // T · (L, U) + S k vᵀ
                readW[c] = ms[c].Matmul(incoming).Squeeze(-2) + es[c] * own;           // M · (L, U) + E k vᵀ
            }
        }
        var gating = Tensor.Stack(readW, 3);                       // [batch, heads, n, C² (cell), J]
        var boundaryOut = Tensor.Stack([.. Enumerable.Range(0, (int)C).Select(i => outW[i, C - 1].Select(-2, 0)),
            .. Enumerable.Range(0, (int)C).Select(j => outW[C - 1, j].Select(-2, 1))], 3);     // [batch, heads, n, 2C (out), J]

        // Inside the chunk: a masked linear attention with the gating matrix.
        var intra = (qc.Matmul(kc.Transpose(-1, -2)) * gating.Narrow(-1, 0, cells)).Matmul(vc);   // [batch, heads, n, C², dv]

        // Across chunks: outgoing boundary states = sources + boundary → boundary map of the incoming ones (states flattened
        // to d_k·d_v), one chunk at a time in raster order.
        var fromSources = Tensor.Einsum("bhnoc,bhnck,bhncv->bhnokv", boundaryOut.Narrow(-1, 0, cells), kc, vc)
            .Reshape(batch, heads, n, 2 * C, dk * dv).Unbind(2);
        var through = boundaryOut.Narrow(-1, cells, 2 * C).Unbind(2);                        // n × [batch, heads, 2C, 2C]
        var zero = Tensor.Zeros([batch, heads, C, dk * dv], q.DType, q.Device);
        var outgoing = new Tensor[n];
        var incomingStates = new Tensor[n];
        for (long I = 0; I < nI; I++)
        {
            for (long J = 0; J < nJ; J++)
            {
                long c = I * nJ + J;
                var fromLeft = J > 0 ? outgoing[c - 1].Narrow(2, 0, C) : zero;                 // right-going states of the left chunk
                var fromTop = I > 0 ? outgoing[c - nJ].Narrow(2, C, C) : zero;                // down-going states of the chunk above
                incomingStates[c] = Tensor.Cat([fromLeft, fromTop], 2);                        // [batch, heads, 2C, dk·dv]
                outgoing[c] = fromSources[c] + through[c].Matmul(incomingStates[c]);
            }
        }
        var states = Tensor.Stack(incomingStates, 2).Reshape(batch, heads, n, 2 * C, dk, dv);
        var inter = Tensor.Einsum("bhnce,bhnck,bhnekv->bhncv", gating.Narrow(-1, cells, 2 * C), qc, states);
        var y = (intra + inter).Reshape(batch, heads, nI, nJ, C, C, dv).Permute(0, 1, 2, 4, 3, 5, 6)
            .Reshape(batch, heads, nI * C, nJ * C, dv);
        if (padH > 0 || padW > 0) y = y.Narrow(2, 0, height).Narrow(3, 0, width);
        return scope.Keep(y.Contiguous());
    }

    private static (long Batch, long Heads, long Height, long Width, long Dk, long Dv) CheckShapes(Tensor q, Tensor k, Tensor v,
        Tensor source, Tensor transition, Tensor mark, Tensor direct)
    {
        string Shapes() => $"q {q.ShapeString}, k {k.ShapeString}, v {v.ShapeString}, S {source.ShapeString}, T {transition.ShapeString}, " +
                           $"M {mark.ShapeString}, E {direct.ShapeString}";
        if (q.Dim != 5 || k.Dim != 5 || v.Dim != 5 || !q.Shape.SequenceEqual(k.Shape))
            throw new ArgumentException($"pLSTM 2-D expects q, k [batch, heads, H, W, d_k] and v [batch, heads, H, W, d_v]; got {Shapes()}");
        long[] grid = q.Shape[..4];
        if (!v.Shape[..4].SequenceEqual(grid)
            || !source.Shape.SequenceEqual([.. grid, 2]) || !mark.Shape.SequenceEqual([.. grid, 2])
            || !transition.Shape.SequenceEqual([.. grid, 2, 2]) || !direct.Shape.SequenceEqual(grid))
            throw new ArgumentException($"pLSTM 2-D gates must be S, M [batch, heads, H, W, 2], T [batch, heads, H, W, 2, 2], E [batch, heads, H, W]; got {Shapes()}");
        return (grid[0], grid[1], grid[2], grid[3], q.Size(4), v.Size(4));
    }
}
