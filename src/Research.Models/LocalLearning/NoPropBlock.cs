using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.LocalLearning;

/// <summary>
/// One NoProp block û_θt(z_{t−1}, x) (Li, Teh and Pascanu, 2025): an MLP that sees the input x through its own embedding
/// and a noisy label embedding z_{t−1} through another, and predicts the clean label embedding as a convex combination
/// of the class embeddings:
/// <code>
///   h_x = relu(W_x2 relu(W_x1 x))          the block's own view of the input
///   h_z = relu(W_z z_{t−1})
///   logits = W_o2 relu(W_o1 [h_x, h_z])    one logit per class
///   û = softmax(logits) · U                U [classes, d]: the class embeddings
/// </code>
/// Blocks share nothing: each has its own parameters and is trained on its own denoising loss.
/// </summary>
public sealed class NoPropBlock : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates a block for <paramref name="inputs"/> features, label embeddings of size <paramref name="embeddingDim"/> and <paramref name="classes"/> classes.</summary>
    public NoPropBlock(long inputs, long embeddingDim, long classes, long hidden, DType? dtype = null, Device? device = null)
    {
        Inputs = inputs;
        EmbeddingDim = embeddingDim;
        Classes = classes;
        InputEmbedding = new Sequential(new Linear(inputs, hidden, dtype: dtype, device: device), new ReLU(),
                                        new Linear(hidden, hidden, dtype: dtype, device: device), new ReLU());
        LabelEmbedding = new Sequential(new Linear(embeddingDim, hidden, dtype: dtype, device: device), new ReLU());
        Head = new Sequential(new Linear(2 * hidden, hidden, dtype: dtype, device: device), new ReLU(),
                              new Linear(hidden, classes, dtype: dtype, device: device));
    }

    /// <summary>Features of x.</summary>
    public long Inputs { get; }

    /// <summary>Size d of a label embedding.</summary>
    public long EmbeddingDim { get; }

    /// <summary>Number of classes (logits).</summary>
    public long Classes { get; }

    /// <summary>x → h_x.</summary>
    public Sequential InputEmbedding { get; }

    /// <summary>z_{t−1} → h_z.</summary>
    public Sequential LabelEmbedding { get; }

    /// <summary>[h_x, h_z] → class logits.</summary>
    public Sequential Head { get; }

    /// <summary>Class logits. x [batch, inputs], z [batch, d] → [batch, classes].</summary>
    public override Tensor Forward(Tensor x, Tensor z)
    {
        if (x.Dim != 2 || x.Size(1) != Inputs) throw new ArgumentException($"x must be [batch, {Inputs}], got {x.ShapeString}", nameof(x));
        if (z.Dim != 2 || z.Size(1) != EmbeddingDim || z.Size(0) != x.Size(0))
            throw new ArgumentException($"z must be [{x.Size(0)}, {EmbeddingDim}], got {z.ShapeString}", nameof(z));
        using var scope = NewScope();
        return scope.Keep(Head.Forward(Tensor.Cat([InputEmbedding.Forward(x), LabelEmbedding.Forward(z)], 1)));
    }

    /// <summary>û = softmax(logits) · U: the predicted clean label embedding [batch, d], given the class embeddings U [classes, d].</summary>
    public Tensor Predict(Tensor x, Tensor z, Tensor embeddings)
    {
        if (embeddings.Dim != 2 || embeddings.Size(0) != Classes || embeddings.Size(1) != EmbeddingDim)
            throw new ArgumentException($"embeddings must be [{Classes}, {EmbeddingDim}], got {embeddings.ShapeString}", nameof(embeddings));
        using var scope = NewScope();
        return scope.Keep(Forward(x, z).Softmax(-1).Matmul(embeddings));
    }

    protected override string ExtraRepr() => $"inputs={Inputs}, embedding_dim={EmbeddingDim}, classes={Classes}";
}
