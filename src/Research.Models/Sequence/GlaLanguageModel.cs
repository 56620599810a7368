using System.Text;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>The token mixer of every block of a <see cref="GlaLanguageModel"/>.</summary>
public enum SequenceMixer
{
    /// <summary><see cref="GatedLinearAttentionLayer"/> with data-dependent forget gates (GLA).</summary>
    GatedLinearAttention,

    /// <summary>The same layer with α ≡ 1: ungated causal linear attention (no gate parameters).</summary>
    LinearAttention,

    /// <summary>Causal softmax multi-head attention (<see cref="MultiheadAttention"/>) with learned absolute positions: the Transformer reference.</summary>
    SoftmaxAttention,
}

/// <summary>The shape of a <see cref="GlaLanguageModel"/>.</summary>
/// <param name="Vocab">Number of token ids.</param>
/// <param name="Width">Model width d.</param>
/// <param name="Layers">Number of blocks.</param>
/// <param name="Heads">Heads per token mixer.</param>
/// <param name="Mixer">Which token mixer every block uses.</param>
/// <param name="MlpHidden">Hidden width of the SwiGLU MLP (default 2d).</param>
/// <param name="Chunk">Chunk length of the GLA chunk-wise form.</param>
/// <param name="Temperature">GLA gate temperature τ.</param>
/// <param name="GateRank">Rank of GLA's gate projection.</param>
/// <param name="MaxLength">Longest sequence (size of the learned position table; softmax attention only).</param>
public sealed record GlaModelConfig(
    int Vocab,
    int Width = 64,
    int Layers = 2,
    int Heads = 2,
    SequenceMixer Mixer = SequenceMixer.GatedLinearAttention,
    int? MlpHidden = null,
    int Chunk = 32,
    double Temperature = 16,
    int GateRank = 16,
    int MaxLength = 512)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Vocab = {Vocab}, Width = {Width}, Layers = {Layers}, Heads = {Heads}, Mixer = {Mixer}, MlpHidden = {MlpHidden ?? 2 * Width}");
        if (Mixer == SequenceMixer.GatedLinearAttention) builder.Append($", Temperature = {Temperature}, GateRank = {GateRank}");
        if (Mixer != SequenceMixer.SoftmaxAttention) builder.Append($", Chunk = {Chunk}");
        else builder.Append($", MaxLength = {MaxLength}");
        return true;
    }
}

/// <summary>
/// One pre-norm block of a <see cref="GlaLanguageModel"/>:
/// <code>
///   x ← x + Mixer(RMSNorm(x))
///   x ← x + W_down(Swish(W_gate n) ⊙ W_up n),   n = RMSNorm(x)        (SwiGLU MLP)
/// </code>
/// </summary>
public sealed class GlaBlock : Module<Tensor, Tensor>
{
    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public GlaBlock(GlaModelConfig config, DType? dtype = null, Device? device = null)
    {
        long d = config.Width, hidden = config.MlpHidden ?? 2 * config.Width;
        MixerNorm = new RMSNorm(d, eps: 1e-5, dtype: dtype, device: device);
        if (config.Mixer == SequenceMixer.SoftmaxAttention)
            Attention = new MultiheadAttention(d, config.Heads, batchFirst: true, dtype: dtype, device: device);
        else
            Gla = new GatedLinearAttentionLayer(d, config.Heads, gated: config.Mixer == SequenceMixer.GatedLinearAttention,
                gateRank: config.GateRank, temperature: config.Temperature, chunk: config.Chunk, dtype: dtype, device: device);
        MlpNorm = new RMSNorm(d, eps: 1e-5, dtype: dtype, device: device);
        MlpGate = new Linear(d, hidden, bias: false, dtype: dtype, device: device);
        MlpUp = new Linear(d, hidden, bias: false, dtype: dtype, device: device);
        MlpDown = new Linear(hidden, d, bias: false, dtype: dtype, device: device);
    }

    /// <summary>Norm before the token mixer.</summary>
    public RMSNorm MixerNorm { get; }

    /// <summary>The GLA (or ungated linear attention) mixer; null for softmax attention.</summary>
    public GatedLinearAttentionLayer? Gla { get; }

    /// <summary>The softmax attention mixer; null for the linear mixers.</summary>
    public MultiheadAttention? Attention { get; }

    /// <summary>Norm before the MLP.</summary>
    public RMSNorm MlpNorm { get; }

    /// <summary>W_gate of the SwiGLU MLP.</summary>
    public Linear MlpGate { get; }

    /// <summary>W_up of the SwiGLU MLP.</summary>
    public Linear MlpUp { get; }

    /// <summary>W_down of the SwiGLU MLP.</summary>
    public Linear MlpDown { get; }

    /// <summary>x <c>[batch, time, d]</c> → <c>[batch, time, d]</c>.</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var mixed = Mix(MixerNorm.Forward(x));
        x = x + mixed;
        var n = MlpNorm.Forward(x);
        return scope.Keep(x + MlpDown.Forward(MlpGate.Forward(n).Silu() * MlpUp.Forward(n)));
    }

    private Tensor Mix(Tensor n)
    {
        if (Gla is not null) return Gla.Forward(n);
        using var mask = MultiheadAttention.CausalMask(n.Size(1), n.Device);
        return Attention!.Forward(n, mask);
    }
}

/// <summary>
/// A small causal language model for recall and character-level tasks (Yang et al., 2024, Sec. 4.4 at toy size):
/// <code>
///   h_0 = Embed(tokens) (+ Positions, softmax attention only)
///   h_ℓ = GlaBlock_ℓ(h_{ℓ−1})                         token mixer + SwiGLU MLP, pre-norm residual
///   logits = Head(RMSNorm(h_L))                       [batch, time, vocab]
/// </code>
/// The linear mixers use no position embeddings (the gates' decay is the only notion of order: ungated linear attention
/// sums over the past regardless of order). Softmax attention gets learned absolute positions, as a Transformer needs them.
/// </summary>
public sealed class GlaLanguageModel : Module<Tensor, Tensor>
{
    /// <summary>Creates the model for <paramref name="config"/>.</summary>
    public GlaLanguageModel(GlaModelConfig config, DType? dtype = null, Device? device = null)
    {
        if (config.Vocab < 2 || config.Width < 1 || config.Layers < 1 || config.Heads < 1 || config.MaxLength < 1)
            throw new ArgumentException($"invalid GLA model configuration {config}", nameof(config));
        Config = config;
        Embed = new Embedding(config.Vocab, config.Width, dtype: dtype, device: device);
        if (config.Mixer == SequenceMixer.SoftmaxAttention)
        {
            Positions = new Embedding(config.MaxLength, config.Width, dtype: dtype, device: device);
            using (NoGrad()) Positions.Weight.Mul_(0.1);                    // start near "no position", like small random PE
        }
        Blocks = Enumerable.Range(0, config.Layers).Select(_ => new GlaBlock(config, dtype, device)).ToArray();
        FinalNorm = new RMSNorm(config.Width, eps: 1e-5, dtype: dtype, device: device);
        Head = new Linear(config.Width, config.Vocab, bias: false, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public GlaModelConfig Config { get; }

    /// <summary>Token embedding.</summary>
    public Embedding Embed { get; }

    /// <summary>Learned absolute positions (softmax attention only, else null).</summary>
    public Embedding? Positions { get; }

    /// <summary>The blocks, in order.</summary>
    public GlaBlock[] Blocks { get; }

    /// <summary>Norm before the output head.</summary>
    public RMSNorm FinalNorm { get; }

    /// <summary>Output head: width → vocabulary logits.</summary>
    public Linear Head { get; }

    /// <summary>The GLA layers of the blocks (empty for softmax attention).</summary>
    public IEnumerable<GatedLinearAttentionLayer> GlaLayers => Blocks.Select(b => b.Gla).OfType<GatedLinearAttentionLayer>();

    /// <summary>Sets how every GLA layer evaluates its recurrence (the outputs do not change).</summary>
    public void SetForm(GlaForm form)
    {
        foreach (var layer in GlaLayers) layer.Form = form;
    }

    /// <summary>tokens int64 <c>[batch, time]</c> → logits <c>[batch, time, vocab]</c>; logits[:, t] sees tokens[:, ≤ t] only.</summary>
    public override Tensor Forward(Tensor tokens)
    {
        CheckTokens(tokens);
        using var scope = NewScope();
        var h = EmbedTokens(tokens);
        foreach (var block in Blocks) h = block.Forward(h);
        return scope.Keep(Head.Forward(FinalNorm.Forward(h)));
    }

    /// <summary>The forget gates α of every GLA layer on <paramref name="tokens"/>: one <c>[batch, heads, time, d_k / H]</c> per block.</summary>
    public Tensor[] Gates(Tensor tokens)
    {
        CheckTokens(tokens);
        using var scope = NewScope();
        var h = EmbedTokens(tokens);
        var gates = new List<Tensor>();
        foreach (var block in Blocks)
        {
            if (block.Gla is not null) gates.Add(scope.Keep(block.Gla.Gates(block.MixerNorm.Forward(h))));
            h = block.Forward(h);
        }
        return gates.ToArray();
    }

    private Tensor EmbedTokens(Tensor tokens)
    {
        var h = Embed.Forward(tokens);
        if (Positions is null) return h;
        using var positions = Tensor.Arange(tokens.Size(1), device: tokens.Device);
        return h + Positions.Forward(positions);
    }

    private void CheckTokens(Tensor tokens)
    {
        if (tokens.Dim != 2) throw new ArgumentException($"expected token ids [batch, time], got {tokens.ShapeString}", nameof(tokens));
        if (Positions is not null && tokens.Size(1) > Config.MaxLength)
            throw new ArgumentException($"sequence of {tokens.Size(1)} tokens exceeds the model's {Config.MaxLength} positions", nameof(tokens));
    }

    protected override string ExtraRepr() => Config.ToString();
}
