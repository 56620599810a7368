using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Vision;

/// <summary>
/// A small pLSTM vision classifier (Pöppel et al., 2025) shaped like <see cref="VisionTransformer"/> with the attention
/// replaced by a 2-D pLSTM (<see cref="Plstm2dLayer"/>) and no position embeddings, so it runs on images of any size:
/// <code>
///   t_0 = PatchEmbed(x)                                [batch, H/p, W/p, dim]
///   t_k = u + MLP(LN(u)),  u = t_{k−1} + pLSTM(LN(t_{k−1}))
///   logits = Head(pool_tokens LN(t_K))
/// </code>
/// </summary>
public sealed class PlstmClassifier : Module<Tensor, Tensor>
{
    /// <summary>Creates the model.</summary>
    public PlstmClassifier(long inChannels, long classes, long dim, int depth, int headsPerDirection, long keyDim, long valueDim,
        long patchSize = 1, long mlpRatio = 2, TokenPooling pooling = TokenPooling.Mean, int chunk = 4, long? stemKernel = null,
        DType? dtype = null, Device? device = null)
    {
        long kernel = stemKernel ?? patchSize;
        if (kernel < patchSize || (kernel - patchSize) % 2 != 0)
            throw new ArgumentException($"the stem kernel {kernel} must be the patch size {patchSize} plus an even number");
        if (inChannels < 1 || classes < 2 || depth < 1 || dim < 1 || patchSize < 1 || mlpRatio < 1)
            throw new ArgumentException($"invalid PlstmClassifier: in {inChannels}, classes {classes}, dim {dim}, depth {depth}, patch {patchSize}");
        InChannels = inChannels;
        PatchSize = patchSize;
        Pooling = pooling;
        PatchEmbed = new Conv2d(inChannels, dim, kernel, stride: patchSize, padding: (kernel - patchSize) / 2, dtype: dtype, device: device);
        Norms1 = Enumerable.Range(0, depth).Select(_ => new LayerNorm(dim, dtype: dtype, device: device)).ToArray();
        Layers = Enumerable.Range(0, depth).Select(_ => new Plstm2dLayer(dim, headsPerDirection, keyDim, valueDim, chunk, dtype, device)).ToArray();
        Norms2 = Enumerable.Range(0, depth).Select(_ => new LayerNorm(dim, dtype: dtype, device: device)).ToArray();
        Fc1 = Enumerable.Range(0, depth).Select(_ => new Linear(dim, mlpRatio * dim, dtype: dtype, device: device)).ToArray();
        Fc2 = Enumerable.Range(0, depth).Select(_ => new Linear(mlpRatio * dim, dim, dtype: dtype, device: device)).ToArray();
        Norm = new LayerNorm(dim, dtype: dtype, device: device);
        Head = new Linear(dim, classes, dtype: dtype, device: device);
    }

    /// <summary>Image channels.</summary>
    public long InChannels { get; }

    /// <summary>Side of the square patches (the pLSTM grid has one cell per patch).</summary>
    public long PatchSize { get; }

    /// <summary>How the tokens are reduced before the head.</summary>
    public TokenPooling Pooling { get; }

    /// <summary>Patch embedding: a p×p convolution with stride p (or a k×k one padded by (k − p)/2: a convolutional stem).</summary>
    public Conv2d PatchEmbed { get; }

    /// <summary>Layer norms before each pLSTM layer.</summary>
    public LayerNorm[] Norms1 { get; }

    /// <summary>The pLSTM layers.</summary>
    public Plstm2dLayer[] Layers { get; }

    /// <summary>Layer norms before each MLP.</summary>
    public LayerNorm[] Norms2 { get; }

    /// <summary>MLP hidden layers (GELU).</summary>
    public Linear[] Fc1 { get; }

    /// <summary>MLP output layers.</summary>
    public Linear[] Fc2 { get; }

    /// <summary>Final layer norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>Linear classifier on the pooled tokens.</summary>
    public Linear Head { get; }

    /// <summary>The token grid before layer <paramref name="layer"/> (0 = the patch embedding), <c>[batch, H/p, W/p, dim]</c>.</summary>
    public Tensor Tokens(Tensor x, int layer)
    {
        CheckInput(x);
        if (layer < 0 || layer > Layers.Length) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the model has {Layers.Length} layers");
        using var scope = NewScope();
        var t = PatchEmbed.Forward(x).Permute(0, 2, 3, 1);                                     // [batch, h, w, dim]
        for (int i = 0; i < layer; i++)
        {
            var u = t + Layers[i].Forward(Norms1[i].Forward(t));
            t = u + Fc2[i].Forward(Fc1[i].Forward(Norms2[i].Forward(u)).Gelu());
        }
        return scope.Keep(t);
    }

    /// <summary>The normalised input of pLSTM layer <paramref name="layer"/>, as its gates see it.</summary>
    public Tensor LayerInput(Tensor x, int layer)
    {
        using var scope = NewScope();
        return scope.Keep(Norms1[layer].Forward(Tokens(x, layer)));
    }

    /// <summary>Logits [batch, classes] of images [batch, in, H, W] (H and W multiples of the patch size).</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var t = Norm.Forward(Tokens(x, Layers.Length)).Flatten(1, 2);                         // [batch, tokens, dim]
        var pooled = Pooling == TokenPooling.Max ? t.Amax([1L]) : t.Mean(1);
        return scope.Keep(Head.Forward(pooled));
    }

    private void CheckInput(Tensor x)
    {
        if (x.Dim != 4 || x.Size(1) != InChannels || x.Size(2) % PatchSize != 0 || x.Size(3) % PatchSize != 0)
            throw new ArgumentException($"PlstmClassifier expects images [batch, {InChannels}, H, W] with H, W multiples of {PatchSize}, got {x.ShapeString}", nameof(x));
    }

    protected override string ExtraRepr() => $"patch_size={PatchSize}, pooling={Pooling}";
}
