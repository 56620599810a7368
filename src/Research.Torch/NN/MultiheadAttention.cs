using static Research.Torch.Torch;

namespace Research.Torch.NN;

/// <summary>
/// Multi-head attention (Vaswani et al., 2017), as torch.nn.MultiheadAttention: packed input projection
/// <c>in_proj_weight</c> [3E, E] (Xavier-uniform) and <c>in_proj_bias</c> (zeros), output projection <c>out_proj</c>.
/// </summary>
public sealed class MultiheadAttention : Module
{
    /// <summary>Creates the layer.</summary>
    public MultiheadAttention(long embedDim, long numHeads, double dropout = 0, bool bias = true, bool batchFirst = false, DType? dtype = null, Device? device = null)
    {
        if (numHeads < 1 || embedDim % numHeads != 0) throw new ArgumentException($"embed dim {embedDim} must be divisible by the {numHeads} heads");
        EmbedDim = embedDim;
        NumHeads = numHeads;
        Dropout = dropout;
        BatchFirst = batchFirst;
        Init.XavierUniform_(RegisterParameter("in_proj_weight", NewParameter([3 * embedDim, embedDim], dtype, device)));
        if (bias) Init.Zeros_(RegisterParameter("in_proj_bias", NewParameter([3 * embedDim], dtype, device)));
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, dtype, device));
        if (bias) Init.Zeros_(OutProj.Bias!);
    }

    /// <summary>Model width E.</summary>
    public long EmbedDim { get; }

    /// <summary>Number of heads (each of width E / heads).</summary>
    public long NumHeads { get; }

    /// <summary>Dropout on the attention weights (in training).</summary>
    public double Dropout { get; }

    /// <summary>Inputs and output are [batch, seq, E] rather than [seq, batch, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>The output projection.</summary>
    public Linear OutProj { get; }

    /// <summary>A [len, len] boolean mask that is true above the diagonal (positions a query may not see).</summary>
    public static Tensor CausalMask(long length, Device? device = null)
    {
        using var ones = Tensor.Ones([length, length], DType.Bool, device);
        return ones.Triu(1);
    }

    /// <summary>
    /// Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>. Masks are boolean
    /// (true = not allowed) or additive floats: <paramref name="keyPaddingMask"/> [batch, src], <paramref name="attnMask"/>
    /// [tgt, src] or [batch·heads, tgt, src]. Returns the output and (if <paramref name="needWeights"/>) the attention weights,
    /// averaged over heads [batch, tgt, src] or per head [batch, heads, tgt, src].
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
        bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true)
    {
        foreach (var (t, name) in new[] { (query, "query"), (key, "key"), (value, "value") })
            if (t.Dim != 3 || t.Size(-1) != EmbedDim)
                throw new ArgumentException($"MultiheadAttention(E={EmbedDim}) expects {name} " + (BatchFirst ? "[batch, seq, E]" : "[seq, batch, E]") + $" with E = {EmbedDim}, got {t.ShapeString}");
        using var scope = NewScope();
        var (q, k, v) = BatchFirst ? (query.Transpose(0, 1), key.Transpose(0, 1), value.Transpose(0, 1)) : (query, key, value);
        long tgt = q.Size(0), batch = q.Size(1), src = k.Size(0), headDim = EmbedDim / NumHeads;
        if (k.Size(1) != batch || v.Size(1) != batch || v.Size(0) != src)
            throw new ArgumentException($"MultiheadAttention: query {query.ShapeString}, key {key.ShapeString} and value {value.ShapeString} disagree on batch or source length");
        var w = Param("in_proj_weight")!.Chunk(3);
        var b = Param("in_proj_bias")?.Chunk(3);
        q = F.Linear(q, w[0], b?[0]);
        k = F.Linear(k, w[1], b?[1]);
        v = F.Linear(v, w[2], b?[2]);
        q = q.Reshape(tgt, batch * NumHeads, headDim).Transpose(0, 1);   // [batch·heads, tgt, hd]
        k = k.Reshape(src, batch * NumHeads, headDim).Transpose(0, 1);   // [batch·heads, src, hd]
        v = v.Reshape(src, batch * NumHeads, headDim).Transpose(0, 1);
        var mask = AdditiveMask(attnMask, q.DType);
        if (attnMask is not null && mask!.Dim == 2 && !mask.Shape.SequenceEqual([tgt, src]))
            throw new ArgumentException($"attn mask must be [{tgt}, {src}] or [{batch * NumHeads}, {tgt}, {src}], got {attnMask.ShapeString}");
        if (keyPaddingMask is not null)
        {
            if (!keyPaddingMask.Shape.SequenceEqual([batch, src]))
                throw new ArgumentException($"key padding mask must be [{batch}, {src}], got {keyPaddingMask.ShapeString}");
            var kpm = AdditiveMask(keyPaddingMask, q.DType)!.View(batch, 1, 1, src).Expand(-1, NumHeads, -1, -1).Reshape(batch * NumHeads, 1, src);
            mask = mask is null ? kpm : mask + kpm;
        }
        q = q / Math.Sqrt(headDim);
        var scores = q.Bmm(k.Transpose(1, 2));                           // [batch·heads, tgt, src]
        if (mask is not null) scores = scores + mask;
        var attn = scores.Softmax(-1);
        if (Dropout > 0) attn = F.Dropout(attn, Dropout, Training);
        var output = attn.Bmm(v).Transpose(0, 1).Contiguous().View(tgt * batch, EmbedDim);
        output = OutProj.Forward(output).View(tgt, batch, EmbedDim);
        if (BatchFirst) output = output.Transpose(0, 1);
        Tensor? weights = null;
        if (needWeights)
        {
            weights = attn.View(batch, NumHeads, tgt, src);
            if (averageAttnWeights) weights = weights.Mean(1);
            scope.Keep(weights);
        }
        scope.Keep(output);
        return (output, weights);
    }

    /// <summary>Self-attention: <c>Forward(x, x, x)</c>, output only.</summary>
    public Tensor Forward(Tensor x, Tensor? attnMask = null)
    {
        var (output, _) = Forward(x, x, x, needWeights: false, attnMask: attnMask);
        return output;
    }

    private static Tensor? AdditiveMask(Tensor? mask, DType dtype)
    {
        if (mask is null) return null;
        if (mask.DType != DType.Bool) return mask.To(dtype);
        using var zeros = Tensor.Zeros(mask.Shape, dtype, mask.Device);
        return zeros.MaskedFill(mask, double.NegativeInfinity);
    }

    protected override string ExtraRepr() => $"embed_dim={EmbedDim}, num_heads={NumHeads}" + (BatchFirst ? ", batch_first=True" : "");
}
