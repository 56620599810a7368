namespace Research.Torch.NN;

/// <summary>A lookup table [vocab, dim] indexed by integer ids, initialised N(0, 1) with the padding row zeroed (as PyTorch).</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Creates the table.</summary>
    public Embedding(long numEmbeddings, long embeddingDim, long? paddingIdx = null, DType? dtype = null, Device? device = null)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        if (paddingIdx is { } p && (p >= numEmbeddings || p < -numEmbeddings))
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"padding index must be within the {numEmbeddings} embeddings");
        PaddingIdx = paddingIdx is { } q && q < 0 ? q + numEmbeddings : paddingIdx;
        Weight = RegisterParameter("weight", NewParameter([numEmbeddings, embeddingDim], dtype, device));
        Init.Normal_(Weight);
        if (PaddingIdx is { } pad)
            using (Research.Torch.Torch.NoGrad())
            using (var row = Weight[pad])
                row.Zero_();
    }

    /// <summary>Number of rows.</summary>
    public long NumEmbeddings { get; }

    /// <summary>Size of each row.</summary>
    public long EmbeddingDim { get; }

    /// <summary>The row that stays zero and gets no gradient, or null.</summary>
    public long? PaddingIdx { get; }

    /// <summary>The table [vocab, dim].</summary>
    public Parameter Weight { get; }

    /// <summary>int64 ids [...] → [..., dim].</summary>
    public override Tensor Forward(Tensor input) => F.Embedding(input, Weight, PaddingIdx);

    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is { } p ? $", padding_idx={p}" : "");
}
