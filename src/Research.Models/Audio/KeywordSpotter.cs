using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>The shape of a <see cref="KeywordSpotter"/>.</summary>
/// <param name="Mels">Log-mel bands per input frame.</param>
/// <param name="Channels">Channels of every causal convolution.</param>
/// <param name="Kernel">Taps of every convolution (frames).</param>
/// <param name="Layers">Causal convolutions; layer i has dilation 2^i.</param>
/// <param name="Hidden">GRU state size.</param>
/// <param name="Classes">Output classes per frame (keywords, "unknown speech", silence …).</param>
public sealed record KeywordSpotterConfig(int Mels = 40, int Channels = 32, int Kernel = 3, int Layers = 3, int Hidden = 48, int Classes = 4)
{
    /// <summary>Dilation of convolution i.</summary>
    public int Dilation(int layer) => 1 << layer;

    /// <summary>Past frames convolution i needs besides the current one: (k − 1)·d_i (its streaming buffer).</summary>
    public int Context(int layer) => (Kernel - 1) * Dilation(layer);
}

/// <summary>
/// A streaming-ready keyword spotter (Rybakov et al., 2020, "Streaming keyword spotting on mobile devices"): causal dilated
/// convolutions over log-mel frames, a GRU, and a linear read-out of class logits for every frame.
/// <code>
///   h_0 = x                                                    [batch, mels, T]
///   h_i = ReLU(conv_{k, d=2^{i−1}}(pad_left(h_{i−1}, (k−1)·d)))   causal: frame t sees frames ≤ t   [batch, C, T]
///   g_t = GRU(h_L[:, :, t], g_{t−1}),  g_0 = 0                  [batch, T, hidden]
///   logits_t = W g_t + b                                       [batch, T, classes]
/// </code>
/// Every operation is causal, so the same weights run frame by frame in <see cref="StreamingKeywordSpotter"/> with the
/// zero left-padding replaced by a buffer of the last (k − 1)·d inputs of each convolution and the GRU state carried over.
/// </summary>
public sealed class KeywordSpotter : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public KeywordSpotter(KeywordSpotterConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new KeywordSpotterConfig();
        var c = Config;
        if (c.Layers < 1 || c.Kernel < 1 || c.Channels < 1 || c.Hidden < 1 || c.Classes < 2)
            throw new ArgumentException($"invalid keyword spotter configuration {c}", nameof(config));
        Convs = new ModuleList<Conv1d>(Enumerable.Range(0, c.Layers).Select(i =>
            new Conv1d(i == 0 ? c.Mels : c.Channels, c.Channels, c.Kernel, dilation: c.Dilation(i), dtype: dtype, device: device)));
        Gru = new GRU(c.Channels, c.Hidden, batchFirst: true, dtype: dtype, device: device);
        Output = new Linear(c.Hidden, c.Classes, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public KeywordSpotterConfig Config { get; }

    /// <summary>Convs[i]: causal convolution i (applied without padding to a left-padded or buffered input).</summary>
    public ModuleList<Conv1d> Convs { get; }

    /// <summary>The recurrent layer.</summary>
    public GRU Gru { get; }

    /// <summary>The per-frame read-out.</summary>
    public Linear Output { get; }

    /// <summary>Class logits [batch, T, classes] of log-mel frames [batch, mels, T] (non-streaming: the whole clip at once).</summary>
    public override Tensor Forward(Tensor frames)
    {
        using var scope = NewScope();
        var h = frames;
        for (int i = 0; i < Config.Layers; i++) h = Convs[i].Forward(h.Pad([Config.Context(i), 0])).Relu();   // [batch, C, T]
        var (g, _) = Gru.Forward(h.Transpose(1, 2));                                                        // [batch, T, hidden]
        return scope.Keep(Output.Forward(g));                                                               // [batch, T, classes]
    }
}
