using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Speech;

/// <summary>
/// The sizes of a <see cref="Tacotron2"/>. The paper's: 512-wide embedding and encoder convolutions (3 × kernel 5), a BiLSTM of
/// 256 per direction, a pre-net of 2 × 256, two decoder LSTMs of 1024, attention 128 with 32 location filters of kernel 31,
/// a 5-layer post-net of 512 channels, 80 mel bands and one frame per step.
/// </summary>
/// <param name="Characters">Character ids 0 … Characters − 1 (0 = padding).</param>
/// <param name="MelBands">Mel bands per frame.</param>
/// <param name="FramesPerStep">Frames r the decoder emits per step.</param>
/// <param name="Embedding">Character embedding and encoder convolution width.</param>
/// <param name="EncoderConvolutions">Encoder convolution layers (kernel <paramref name="EncoderKernel"/>, ReLU).</param>
/// <param name="EncoderKernel">Kernel of the encoder convolutions.</param>
/// <param name="EncoderWidth">Output width of the encoder BiLSTM (half per direction).</param>
/// <param name="PreNet">Width of the two pre-net layers.</param>
/// <param name="AttentionRnn">Width of the attention LSTM.</param>
/// <param name="DecoderRnn">Width of the decoder LSTM.</param>
/// <param name="Attention">Width of the attention energy's hidden layer.</param>
/// <param name="LocationFilters">Location-convolution channels.</param>
/// <param name="LocationKernel">Location-convolution kernel (odd).</param>
/// <param name="PostNetChannels">Post-net hidden channels.</param>
/// <param name="PostNetLayers">Post-net convolutions (≥ 2).</param>
/// <param name="PostNetKernel">Post-net kernel (odd).</param>
/// <param name="PreNetDropout">Pre-net dropout, on in training and in inference as in the paper.</param>
/// <param name="Location">Location-sensitive attention (true) or content-based attention (false).</param>
public sealed record Tacotron2Config(int Characters = 29, int MelBands = 40, int FramesPerStep = 4, int Embedding = 64, int EncoderConvolutions = 2,
    int EncoderKernel = 5, int EncoderWidth = 64, int PreNet = 64, int AttentionRnn = 96, int DecoderRnn = 96, int Attention = 64,
    int LocationFilters = 8, int LocationKernel = 15, int PostNetChannels = 64, int PostNetLayers = 3, int PostNetKernel = 5,
    double PreNetDropout = 0.5, bool Location = true);

/// <summary>
/// What a <see cref="Tacotron2"/> decoded: mel frames before [B, S·r, M] and after the post-net, one stop-token logit per
/// decoder step [B, S] and the attention weights [B, S, N] (decoder steps × characters).
/// </summary>
public sealed record Tacotron2Output(Tensor Mel, Tensor PostMel, Tensor Stop, Tensor Alignment) : IDisposable
{
    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Mel.Dispose();
        PostMel.Dispose();
        Stop.Dispose();
        Alignment.Dispose();
    }
}

/// <summary>
/// Tacotron 2 (Shen et al., 2018), spectrogram prediction network: characters → embedding → convolutions → BiLSTM = memory h;
/// an autoregressive decoder whose step i runs the pre-net (2 × ReLU + always-on dropout) on the last frame of step i − 1
/// (zeros at i = 0), the attention LSTM on [pre-net, c_{i−1}], <see cref="LocationSensitiveAttention"/> with that LSTM's
/// output as the query (c_i, α_i), the decoder LSTM on [attention LSTM, c_i], and linear projections of [decoder LSTM, c_i]
/// to r mel frames and a stop-token logit; a convolutional post-net (tanh) adds a residual to the whole mel. Smaller than
/// the paper (see <see cref="Tacotron2Config"/>): no batch norm or encoder dropout, one decoder LSTM after the attention LSTM
/// (the paper's decoder has two), no zoneout. Teacher forcing feeds the target frames; <see cref="Generate"/> feeds its own.
/// </summary>
public sealed class Tacotron2 : Module
{
    /// <summary>Creates the model with PyTorch's default initialisation.</summary>
    public Tacotron2(Tacotron2Config config, DType? dtype = null, Device? device = null)
    {
        if (config.PostNetLayers < 2) throw new ArgumentOutOfRangeException(nameof(config), config.PostNetLayers, "the post-net needs ≥ 2 layers");
        if (config.EncoderWidth % 2 != 0) throw new ArgumentException($"EncoderWidth must be even, got {config.EncoderWidth}", nameof(config));
        Config = config;
        int e = config.Embedding, m = config.MelBands, r = config.FramesPerStep, h = config.EncoderWidth;
        CharacterEmbedding = new Embedding(config.Characters, e, paddingIdx: 0, dtype: dtype, device: device);
        EncoderConvs = Enumerable.Range(0, config.EncoderConvolutions)
            .Select(_ => new Conv1d(e, e, config.EncoderKernel, padding: config.EncoderKernel / 2, dtype: dtype, device: device)).ToArray();
        EncoderLstm = new LSTM(e, h / 2, batchFirst: true, bidirectional: true, dtype: dtype, device: device);
        PreNet1 = new Linear(m, config.PreNet, dtype: dtype, device: device);
        PreNet2 = new Linear(config.PreNet, config.PreNet, dtype: dtype, device: device);
        AttentionLstm = new LSTMCell(config.PreNet + h, config.AttentionRnn, dtype: dtype, device: device);
        Attention = new LocationSensitiveAttention(config.AttentionRnn, h, config.Attention, config.LocationFilters, config.LocationKernel,
            config.Location, dtype, device);
        DecoderLstm = new LSTMCell(config.AttentionRnn + h, config.DecoderRnn, dtype: dtype, device: device);
        FrameProjection = new Linear(config.DecoderRnn + h, m * r, dtype: dtype, device: device);
        StopProjection = new Linear(config.DecoderRnn + h, 1, dtype: dtype, device: device);
        int c = config.PostNetChannels, k = config.PostNetKernel;
        PostNet = Enumerable.Range(0, config.PostNetLayers).Select(i => new Conv1d(i == 0 ? m : c, i == config.PostNetLayers - 1 ? m : c, k,
            padding: k / 2, dtype: dtype, device: device)).ToArray();
    }

    /// <summary>The sizes.</summary>
    public Tacotron2Config Config { get; }

    /// <summary>Character embedding.</summary>
    public Embedding CharacterEmbedding { get; }

    /// <summary>Encoder convolutions.</summary>
    public Conv1d[] EncoderConvs { get; }

    /// <summary>Encoder BiLSTM.</summary>
    public LSTM EncoderLstm { get; }

    /// <summary>First pre-net layer.</summary>
    public Linear PreNet1 { get; }

    /// <summary>Second pre-net layer.</summary>
    public Linear PreNet2 { get; }

    /// <summary>The attention LSTM (its output is the attention query).</summary>
    public LSTMCell AttentionLstm { get; }

    /// <summary>The (location-sensitive or content-based) attention.</summary>
    public LocationSensitiveAttention Attention { get; }

    /// <summary>The decoder LSTM.</summary>
    public LSTMCell DecoderLstm { get; }

    /// <summary>[decoder LSTM, context] → r frames.</summary>
    public Linear FrameProjection { get; }

    /// <summary>[decoder LSTM, context] → stop-token logit.</summary>
    public Linear StopProjection { get; }

    /// <summary>Post-net convolutions.</summary>
    public Conv1d[] PostNet { get; }

    /// <summary>The memory h [B, N, EncoderWidth] of characters [B, N] (int64, 0 = padding).</summary>
    public Tensor Encode(Tensor text)
    {
        if (text.Dim != 2) throw new ArgumentException($"text must be [B, N] int64, got {text.ShapeString}", nameof(text));
        using var scope = NewScope();
        var x = CharacterEmbedding.Forward(text).Transpose(1, 2);                                // [B, E, N]
        foreach (var conv in EncoderConvs) x = conv.Forward(x).Relu();
        var (output, hn, cn) = EncoderLstm.Forward(x.Transpose(1, 2));                          // [B, N, H]
        hn.Dispose();
        cn.Dispose();
        return scope.Keep(output);
    }

    /// <summary>
    /// Teacher-forced decoding: step i is fed the target frame r·i − 1 of <paramref name="mel"/> [B, T, M]; S = ⌈T / r⌉ steps.
    /// </summary>
    public Tacotron2Output Forward(Tensor text, Tensor textLengths, Tensor mel)
    {
        if (mel.Dim != 3 || mel.Size(2) != Config.MelBands)
            throw new ArgumentException($"mel must be [B, T, {Config.MelBands}], got {mel.ShapeString}", nameof(mel));
        int r = Config.FramesPerStep;
        long steps = (mel.Size(1) + r - 1) / r;
        using var scope = NewScope();
        var inputs = mel.Slice(1, r - 1, null, r).Unbind(1);                                   // frames r·i + r − 1
        return Keep(scope, Decode(text, textLengths, steps, i => i == 0 ? null : inputs[i - 1]));
    }

    /// <summary>Free-running decoding for <paramref name="steps"/> steps: step i is fed the last frame the model emitted at step i − 1.</summary>
    public Tacotron2Output Generate(Tensor text, Tensor textLengths, long steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        using var scope = NewScope();
        return Keep(scope, Decode(text, textLengths, steps, null));
    }

    private static Tacotron2Output Keep(DisposeScope scope, Tacotron2Output o) =>
        new(scope.Keep(o.Mel), scope.Keep(o.PostMel), scope.Keep(o.Stop), scope.Keep(o.Alignment));

    /// <summary>The decoder loop; <paramref name="teacher"/> gives step i's input frame (null: zeros), or is null to feed back the model's own frames.</summary>
    private Tacotron2Output Decode(Tensor text, Tensor textLengths, long steps, Func<int, Tensor?>? teacher)
    {
        if (textLengths.Dim != 1 || textLengths.Size(0) != text.Size(0))
            throw new ArgumentException($"textLengths must be [{text.Size(0)}], got {textLengths.ShapeString}", nameof(textLengths));
        int m = Config.MelBands, r = Config.FramesPerStep;
        var memory = Encode(text);                                                              // [B, N, H]
        long b = memory.Size(0), n = memory.Size(1);
        var keys = Attention.Keys(memory);
        var padding = Tensor.Arange(n, DType.Int64, memory.Device).Unsqueeze(0) >= textLengths.To(memory.Device).Unsqueeze(1);   // [B, N]
        var context = Tensor.Zeros([b, memory.Size(2)], memory.DType, memory.Device);
        var cumulative = Tensor.Zeros([b, n], memory.DType, memory.Device);
        var previous = Tensor.Zeros([b, m], memory.DType, memory.Device);
        (Tensor H, Tensor C)? attentionState = null, decoderState = null;
        var frames = new Tensor[steps];
        var stops = new Tensor[steps];
        var weights = new Tensor[steps];
        for (int i = 0; i < steps; i++)
        {
            var input = teacher is null ? previous : teacher(i) ?? previous;
            var pre = F.Dropout(PreNet1.Forward(input).Relu(), Config.PreNetDropout, training: true);
            pre = F.Dropout(PreNet2.Forward(pre).Relu(), Config.PreNetDropout, training: true);
            attentionState = AttentionLstm.Forward(Tensor.Cat([pre, context], 1), attentionState);
            (context, weights[i]) = Attention.Forward(attentionState.Value.H, memory, keys, cumulative, padding);
            cumulative = cumulative + weights[i];
            decoderState = DecoderLstm.Forward(Tensor.Cat([attentionState.Value.H, context], 1), decoderState);
            var features = Tensor.Cat([decoderState.Value.H, context], 1);
            frames[i] = FrameProjection.Forward(features);                                       // [B, r·M]
            stops[i] = StopProjection.Forward(features).Squeeze(1);
            previous = frames[i].Narrow(1, (r - 1) * m, m);
            if (teacher is null) previous = previous.Detach();
        }
        var mel = Tensor.Stack(frames, 1).Reshape(b, steps * r, m);                             // [B, S·r, M]
        var post = PostNet.Select((conv, j) => (conv, j)).Aggregate(mel.Transpose(1, 2), (x, c) =>
        {
            var y = c.conv.Forward(x);
            return c.j < PostNet.Length - 1 ? y.Tanh() : y;
        });
        return new Tacotron2Output(mel, mel + post.Transpose(1, 2), Tensor.Stack(stops, 1), Tensor.Stack(weights, 1));
    }
}
