using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Speech;

/// <summary>The sizes of a <see cref="Text2Mel"/>.</summary>
/// <param name="Characters">Character ids 0 … Characters − 1 (0 = padding).</param>
/// <param name="Embedding">Character embedding width e.</param>
/// <param name="Channels">Width d of keys, values, queries and the decoder (the text encoder runs at 2d).</param>
/// <param name="MelBands">Mel bands F of one frame.</param>
/// <param name="Reduction">Mel frames r per decoder step (stacked into r·F channels).</param>
public sealed record Text2MelConfig(int Characters = 29, int Embedding = 64, int Channels = 64, int MelBands = 40, int Reduction = 2)
{
    /// <summary>Channels of one decoder step: r·F.</summary>
    public int FrameChannels => Reduction * MelBands;
}

/// <summary>The output of <see cref="Text2Mel"/>: predicted frames Y [B, T, r·F] and attention A [B, T, N] (rows sum to 1 over valid characters).</summary>
public sealed record Text2MelOutput(Tensor Mel, Tensor Attention) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Mel.Dispose();
        Attention.Dispose();
    }
}

/// <summary>
/// DCTTS's Text2Mel (Tachibana, Uenoyama &amp; Aihara, 2018, §3–4): a fully convolutional text-to-mel network, no recurrence.
/// <code>
///   (K, V) = TextEnc(L)                   K, V [B, d, N]      non-causal: embedding, C(2d,1) ReLU, C(2d,1), HC(2d,3,1·3·9·27)×2, HC(2d,3,1)×2, HC(2d,1,1)×2
///   Q      = AudioEnc(S)                  Q [B, d, T]         causal:     C(d,1) ReLU ×2, C(d,1), HC(d,3,1·3·9·27)×2, HC(d,3,3)×2
///   A      = softmax_n(KᵀQ / √d)          A [B, T, N]         attention over characters, padded characters excluded
///   R      = V A                          R [B, d, T]
///   Y      = AudioDec([R, Q])             Y [B, T, r·F]       causal:     C(d,1), HC(d,3,1·3·9·27), HC(d,3,1)×2, C(d,1) ReLU ×3, C(r·F,1)
/// </code>
/// S are the previous frames (<see cref="Shifted"/> of the targets when teacher-forced, so all T steps train in parallel; the
/// network's own outputs in <see cref="Synthesise"/>). The text encoder zeroes padded characters after every layer, so an item's
/// keys and values do not depend on how far the batch is padded. The output is linear (the paper ends in a sigmoid over mels
/// scaled to [0, 1]; here the targets are standardised log-mels). Guided attention is a loss on A
/// (<see cref="AttentionAlignment.GuidedCost"/>), not part of the network. The paper's SSRN (mel → linear spectrogram) is not here.
/// </summary>
public sealed class Text2Mel : Module
{
    private static readonly int[] s_dilations = [1, 3, 9, 27];

    /// <summary>Creates the network (PyTorch's default initialisation).</summary>
    public Text2Mel(Text2MelConfig config, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Characters < 2 || config.Embedding < 1 || config.Channels < 1 || config.MelBands < 1 || config.Reduction < 1)
            throw new ArgumentOutOfRangeException(nameof(config), config, "every size must be positive (and at least 2 characters)");
        Config = config;
        int d = config.Channels, e = config.Embedding, f = config.FrameChannels;
        Conv1d Pointwise(int inC, int outC) => new(inC, outC, 1, dtype: dtype, device: device);
        HighwayConv Highway(int c, int k, int dilation, bool causal) => new(c, k, dilation, causal, dtype, device);

        Embed = new Embedding(config.Characters, e, paddingIdx: 0, dtype: dtype, device: device);
        TextInput = new ModuleList<Conv1d>(Pointwise(e, 2 * d), Pointwise(2 * d, 2 * d));
        TextHighways = new ModuleList<HighwayConv>([
            .. s_dilations.Concat(s_dilations).Select(x => Highway(2 * d, 3, x, false)),
            Highway(2 * d, 3, 1, false), Highway(2 * d, 3, 1, false), Highway(2 * d, 1, 1, false), Highway(2 * d, 1, 1, false)]);
        AudioInput = new ModuleList<Conv1d>(Pointwise(f, d), Pointwise(d, d), Pointwise(d, d));
        AudioHighways = new ModuleList<HighwayConv>([
            .. s_dilations.Concat(s_dilations).Select(x => Highway(d, 3, x, true)), Highway(d, 3, 3, true), Highway(d, 3, 3, true)]);
        DecoderInput = Pointwise(2 * d, d);
        DecoderHighways = new ModuleList<HighwayConv>([
            .. s_dilations.Select(x => Highway(d, 3, x, true)), Highway(d, 3, 1, true), Highway(d, 3, 1, true)]);
        DecoderOutput = new ModuleList<Conv1d>(Pointwise(d, d), Pointwise(d, d), Pointwise(d, d), Pointwise(d, f));
    }

    /// <summary>The sizes.</summary>
    public Text2MelConfig Config { get; }

    /// <summary>Character embedding (padding id 0 embeds to zeros).</summary>
    public Embedding Embed { get; }

    /// <summary>TextEnc's C(2d,1) ReLU, C(2d,1).</summary>
    public ModuleList<Conv1d> TextInput { get; }

    /// <summary>TextEnc's non-causal highway convolutions.</summary>
    public ModuleList<HighwayConv> TextHighways { get; }

    /// <summary>AudioEnc's C(d,1) ReLU ×2, C(d,1).</summary>
    public ModuleList<Conv1d> AudioInput { get; }

    /// <summary>AudioEnc's causal highway convolutions.</summary>
    public ModuleList<HighwayConv> AudioHighways { get; }

    /// <summary>AudioDec's C(d,1) over [R, Q].</summary>
    public Conv1d DecoderInput { get; }

    /// <summary>AudioDec's causal highway convolutions.</summary>
    public ModuleList<HighwayConv> DecoderHighways { get; }

    /// <summary>AudioDec's C(d,1) ReLU ×3 and the output C(r·F,1).</summary>
    public ModuleList<Conv1d> DecoderOutput { get; }

    /// <summary>Keys and values [B, d, N] of character ids <paramref name="text"/> [B, N] (0 = padding), zero on padded characters.</summary>
    public (Tensor Keys, Tensor Values) EncodeText(Tensor text)
    {
        if (text.Dim != 2) throw new ArgumentException($"text must be [B, N] character ids, got {text.ShapeString}", nameof(text));
        using var scope = NewScope();
        var mask = text.Ne(0).To(Embed.Weight.DType).Unsqueeze(1);                // [B, 1, N]
        var x = Embed.Forward(text).Transpose(1, 2) * mask;                          // [B, e, N]
        x = TextInput[0].Forward(x).Relu() * mask;
        x = TextInput[1].Forward(x) * mask;                                          // [B, 2d, N]
        foreach (var layer in TextHighways) x = layer.Forward(x) * mask;
        var kv = x.Chunk(2, 1);
        return (scope.Keep(kv[0]), scope.Keep(kv[1]));
    }

    /// <summary>Queries Q [B, d, T] of the previous frames <paramref name="frames"/> [B, T, r·F] (causal).</summary>
    public Tensor EncodeAudio(Tensor frames)
    {
        if (frames.Dim != 3 || frames.Size(2) != Config.FrameChannels)
            throw new ArgumentException($"frames must be [B, T, {Config.FrameChannels}], got {frames.ShapeString}", nameof(frames));
        using var scope = NewScope();
        var x = frames.Transpose(1, 2);                                              // [B, r·F, T]
        x = AudioInput[0].Forward(x).Relu();
        x = AudioInput[1].Forward(x).Relu();
        x = AudioInput[2].Forward(x);
        foreach (var layer in AudioHighways) x = layer.Forward(x);
        return scope.Keep(x);
    }

    /// <summary>
    /// Teacher-forced (or any) pass: character ids <paramref name="text"/> [B, N] and previous frames <paramref name="frames"/>
    /// [B, T, r·F] → next frames Y [B, T, r·F] and attention A [B, T, N]. Y[:, t] depends on frames[:, ≤ t] only.
    /// </summary>
    public Text2MelOutput Forward(Tensor text, Tensor frames)
    {
        using var scope = NewScope();
        var (k, v) = EncodeText(text);
        var q = EncodeAudio(frames);
        if (k.Size(0) != q.Size(0)) throw new ArgumentException($"text has {k.Size(0)} items but frames have {q.Size(0)}");
        var scores = q.Transpose(1, 2).Bmm(k) / Math.Sqrt(Config.Channels);        // [B, T, N]
        var attention = scores.MaskedFill(text.Eq(0).Unsqueeze(1), -1e9).Softmax(-1);
        var r = v.Bmm(attention.Transpose(1, 2));                                    // [B, d, T]
        var x = DecoderInput.Forward(Tensor.Cat([r, q], 1));
        foreach (var layer in DecoderHighways) x = layer.Forward(x);
        for (int i = 0; i < 3; i++) x = DecoderOutput[i].Forward(x).Relu();
        var y = DecoderOutput[3].Forward(x).Transpose(1, 2);                        // [B, T, r·F]
        return new Text2MelOutput(scope.Keep(y), scope.Keep(attention));
    }

    /// <summary>
    /// Free-running synthesis of <paramref name="steps"/> decoder steps: starting from a zero frame, each step's prediction is
    /// appended to the input of the next (the whole causal stack is re-run per step). Returns Y [B, steps, r·F] and the last
    /// pass's attention [B, steps, N]; Y equals <see cref="Forward"/> on <see cref="Shifted"/>(Y).
    /// </summary>
    public Text2MelOutput Synthesise(Tensor text, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var frames = Tensor.Zeros([text.Size(0), 1, Config.FrameChannels], Embed.Weight.DType, Embed.Weight.Device);
        Text2MelOutput output = Forward(text, frames);
        for (int t = 1; t < steps; t++)
        {
            frames = Tensor.Cat([frames, output.Mel.Narrow(1, t - 1, 1)], 1);
            output = Forward(text, frames);
        }
        return new Text2MelOutput(scope.Keep(output.Mel), scope.Keep(output.Attention));
    }

    /// <summary>The teacher-forcing input of targets <paramref name="frames"/> [B, T, C]: a zero frame, then frames 0 … T − 2.</summary>
    public static Tensor Shifted(Tensor frames)
    {
        using var scope = NewScope();
        var zero = frames.Narrow(1, 0, 1).ZerosLike();
        return scope.Keep(Tensor.Cat([zero, frames.Narrow(1, 0, frames.Size(1) - 1)], 1));
    }

    /// <summary>
    /// Mel frames [B, T, F] → decoder steps [B, ⌈T/r⌉, r·F] (step s holds frames s·r … s·r + r − 1, in order), the last step
    /// completed with <paramref name="padValue"/>.
    /// </summary>
    public static Tensor Stack(Tensor mel, int reduction, double padValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reduction);
        if (mel.Dim != 3) throw new ArgumentException($"mel must be [B, T, F], got {mel.ShapeString}", nameof(mel));
        using var scope = NewScope();
        long b = mel.Size(0), t = mel.Size(1), f = mel.Size(2), steps = (t + reduction - 1) / reduction;
        var padded = steps * reduction == t ? mel : mel.Pad([0, 0, 0, steps * reduction - t], value: padValue);
        return scope.Keep(padded.Reshape(b, steps, reduction * f));
    }

    /// <summary>Decoder steps [B, S, r·F] → mel frames [B, S·r, F] (the inverse of <see cref="Stack"/> before padding).</summary>
    public static Tensor Unstack(Tensor steps, int reduction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reduction);
        if (steps.Dim != 3 || steps.Size(2) % reduction != 0)
            throw new ArgumentException($"steps must be [B, S, r·F] with r = {reduction}, got {steps.ShapeString}", nameof(steps));
        return steps.Reshape(steps.Size(0), steps.Size(1) * reduction, steps.Size(2) / reduction);
    }
}
