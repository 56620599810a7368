using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Vision;

/// <summary>
/// A pre-norm transformer encoder block (as in ViT): x + Attention(LN(x)), then + MLP(LN(·)) with a GELU hidden layer.
/// Tokens are [batch, tokens, dim].
/// </summary>
public sealed class TransformerEncoderBlock : Module<Tensor, Tensor>
{
    /// <summary>Creates the block: <paramref name="heads"/>-head self-attention of width <paramref name="dim"/> and an MLP dim → ratio·dim → dim.</summary>
    public TransformerEncoderBlock(long dim, long heads, long mlpRatio = 2, DType? dtype = null, Device? device = null)
    {
        Dim = dim;
        Norm1 = new LayerNorm(dim, dtype: dtype, device: device);
        Attention = new MultiheadAttention(dim, heads, batchFirst: true, dtype: dtype, device: device);
        Norm2 = new LayerNorm(dim, dtype: dtype, device: device);
        Fc1 = new Linear(dim, mlpRatio * dim, dtype: dtype, device: device);
        Fc2 = new Linear(mlpRatio * dim, dim, dtype: dtype, device: device);
    }

    /// <summary>Token width.</summary>
    public long Dim { get; }

    /// <summary>Layer norm before attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Multi-head self-attention (batch first).</summary>
    public MultiheadAttention Attention { get; }

    /// <summary>Layer norm before the MLP.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>MLP hidden layer.</summary>
    public Linear Fc1 { get; }

    /// <summary>MLP output layer.</summary>
    public Linear Fc2 { get; }

    /// <summary>[batch, tokens, dim] → [batch, tokens, dim].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = x + Attention.Forward(Norm1.Forward(x));
        return scope.Keep(h + Fc2.Forward(Fc1.Forward(Norm2.Forward(h)).Gelu()));
    }
}

/// <summary>
/// A small Vision Transformer (Dosovitskiy et al., 2021) for the image-classification baselines: non-overlapping
/// p×p patches embedded by a stride-p convolution, learned position embeddings, pre-norm encoder blocks, a final layer
/// norm, mean (or max) pooling over tokens (no class token) and a linear head.
/// <code>
///   t_0 = PatchEmbed(x) + pos            [batch, (H/p)(W/p), dim]
///   t_k = TransformerEncoderBlock_k(t_{k−1})
///   logits = Head(pool_tokens LN(t_K))
/// </code>
/// A stem kernel larger than the patch lets each token see its patch's neighbours (an early convolution).
/// With <see cref="InterpolatePositions"/> it also takes square images of another size (a multiple of the patch size): the
/// learned position grid is resized bicubically to the new token grid, as ViTs are fine-tuned or evaluated at a new resolution.
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>
{
    /// <summary>Creates the model for square <paramref name="imageSize"/> images cut into <paramref name="patchSize"/> patches.</summary>
    public VisionTransformer(long imageSize, long patchSize, long inChannels, long classes, long dim, long depth, long heads, long mlpRatio = 2,
        DType? dtype = null, Device? device = null, TokenPooling pooling = TokenPooling.Mean, long? stemKernel = null)
    {
        long kernel = stemKernel ?? patchSize;
        if (kernel < patchSize || (kernel - patchSize) % 2 != 0)
            throw new ArgumentException($"the stem kernel {kernel} must be the patch size {patchSize} plus an even number");
        if (patchSize < 1 || imageSize % patchSize != 0)
            throw new ArgumentException($"image size {imageSize} must be a multiple of the patch size {patchSize}");
        if (inChannels < 1 || classes < 2 || depth < 1 || dim < 1)
            throw new ArgumentException($"invalid VisionTransformer: in {inChannels}, classes {classes}, dim {dim}, depth {depth}");
        ImageSize = imageSize;
        PatchSize = patchSize;
        InChannels = inChannels;
        Pooling = pooling;
        PatchEmbed = new Conv2d(inChannels, dim, kernel, stride: patchSize, padding: (kernel - patchSize) / 2, dtype: dtype, device: device);
        Position = RegisterParameter("position", NewParameter([1, Tokens, dim], dtype, device));
        Init.Normal_(Position, std: 0.02);
        Blocks = Enumerable.Range(0, (int)depth).Select(_ => new TransformerEncoderBlock(dim, heads, mlpRatio, dtype, device)).ToArray();
        Norm = new LayerNorm(dim, dtype: dtype, device: device);
        Head = new Linear(dim, classes, dtype: dtype, device: device);
    }

    /// <summary>Side of the square input images.</summary>
    public long ImageSize { get; }

    /// <summary>Side of the square patches.</summary>
    public long PatchSize { get; }

    /// <summary>Image channels.</summary>
    public long InChannels { get; }

    /// <summary>How the tokens are reduced before the head.</summary>
    public TokenPooling Pooling { get; }

    /// <summary>Whether square images of another size are accepted, with the position grid resized bicubically.</summary>
    public bool InterpolatePositions { get; set; }

    /// <summary>Number of patches (tokens): (ImageSize / PatchSize)².</summary>
    public long Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>Patch embedding: a p×p convolution with stride p (or a k×k one, k = p + 2m, padded by m: a convolutional stem).</summary>
    public Conv2d PatchEmbed { get; }

    /// <summary>Learned position embeddings [1, tokens, dim].</summary>
    public Parameter Position { get; }

    /// <summary>The encoder blocks.</summary>
    public TransformerEncoderBlock[] Blocks { get; }

    /// <summary>Final layer norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>Linear classifier on the mean token.</summary>
    public Linear Head { get; }

    /// <summary>Logits [batch, classes] of images [batch, in, ImageSize, ImageSize].</summary>
    public override Tensor Forward(Tensor x)
    {
        bool resized = InterpolatePositions && x.Dim == 4 && x.Size(1) == InChannels && x.Size(2) == x.Size(3) && x.Size(2) % PatchSize == 0;
        if (!resized && (x.Dim != 4 || x.Size(1) != InChannels || x.Size(2) != ImageSize || x.Size(3) != ImageSize))
            throw new ArgumentException($"VisionTransformer expects images [batch, {InChannels}, {ImageSize}, {ImageSize}], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var t = PatchEmbed.Forward(x).Flatten(2).Transpose(1, 2) + PositionsFor(x.Size(2) / PatchSize);   // [batch, tokens, dim]
        foreach (var block in Blocks) t = block.Forward(t);
        t = Norm.Forward(t);
        return scope.Keep(Head.Forward(Pooling == TokenPooling.Max ? t.Amax([1L]) : t.Mean(1)));
    }

    /// <summary>The position embeddings [1, grid², dim] for a grid × grid token grid (bicubic resize of the learned grid).</summary>
    public Tensor PositionsFor(long grid)
    {
        long own = ImageSize / PatchSize, dim = Position.Size(2);
        if (grid == own) return Position.Alias();
        using var scope = NewScope();
        var image = Position.Reshape(1, own, own, dim).Permute(0, 3, 1, 2);                    // [1, dim, g, g]
        var resized = F.Interpolate(image, size: (grid, grid), mode: "bicubic", alignCorners: false);
        return scope.Keep(resized.Permute(0, 2, 3, 1).Reshape(1, grid * grid, dim));
    }

    protected override string ExtraRepr() => $"image_size={ImageSize}, patch_size={PatchSize}, tokens={Tokens}";
}
