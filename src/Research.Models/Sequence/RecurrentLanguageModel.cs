using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>The recurrent layers of a <see cref="RecurrentLanguageModel"/>.</summary>
public enum RecurrentKind
{
    /// <summary><see cref="MinGru"/> layers evaluated by the log-space parallel scan.</summary>
    MinGru,

    /// <summary>A classic <see cref="GRU"/> (gates see h_{t−1}; libtorch's fused sequential kernel).</summary>
    Gru,
}

/// <summary>
/// A small causal character-level language model for comparing recurrences (Feng et al., 2024, Sec. 4 at toy size):
/// <code>
///   h_0 = Embed(tokens)                         [batch, time, width]
///   h_ℓ = RNN_ℓ(h_{ℓ−1})                         minGRU (scan) or GRU, width → width
///   logits = Head(h_L)                          [batch, time, vocab]
/// </code>
/// </summary>
public sealed class RecurrentLanguageModel : Module<Tensor, Tensor>
{
    /// <summary>Creates the model: <paramref name="layers"/> recurrent layers of <paramref name="width"/> units.</summary>
    public RecurrentLanguageModel(int vocab, int width, int layers, RecurrentKind kind, DType? dtype = null, Device? device = null)
    {
        if (vocab < 2 || width < 1 || layers < 1) throw new ArgumentException($"invalid model: vocab {vocab}, width {width}, layers {layers}");
        Kind = kind;
        Embed = new Embedding(vocab, width, dtype: dtype, device: device);
        if (kind == RecurrentKind.MinGru)
            MinGrus = Enumerable.Range(0, layers).Select(_ => new MinGru(width, width, dtype: dtype, device: device)).ToArray();
        else
            Gru = new GRU(width, width, numLayers: layers, batchFirst: true, dtype: dtype, device: device);
        Head = new Linear(width, vocab, dtype: dtype, device: device);
    }

    /// <summary>Which recurrence the layers use.</summary>
    public RecurrentKind Kind { get; }

    /// <summary>Token embedding.</summary>
    public Embedding Embed { get; }

    /// <summary>The minGRU layers (null for a GRU model).</summary>
    public MinGru[]? MinGrus { get; }

    /// <summary>The stacked GRU (null for a minGRU model).</summary>
    public GRU? Gru { get; }

    /// <summary>Output head: width → vocabulary logits.</summary>
    public Linear Head { get; }

    /// <summary>Parameters of a model of this shape: embedding, recurrent layers (minGRU 2(w² + w), GRU 6(w² + w) each) and head.</summary>
    public static long ParameterCountOf(int vocab, int width, int layers, RecurrentKind kind) =>
        (long)vocab * width + layers * (kind == RecurrentKind.MinGru ? 2L : 6L) * ((long)width * width + width) + (long)width * vocab + vocab;

    /// <summary>tokens int64 <c>[batch, time]</c> → logits <c>[batch, time, vocab]</c>; position t sees tokens ≤ t only.</summary>
    public override Tensor Forward(Tensor tokens)
    {
        if (tokens.Dim != 2) throw new ArgumentException($"expected token ids [batch, time], got {tokens.ShapeString}", nameof(tokens));
        using var scope = NewScope();
        var h = Embed.Forward(tokens);
        if (Gru is not null) h = Gru.Forward(h).Output;
        else foreach (var layer in MinGrus!) h = layer.Forward(h);
        return scope.Keep(Head.Forward(h));
    }

    protected override string ExtraRepr() => $"{Kind}";
}
