using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>The recurrent layer of a <see cref="FramePredictor"/>.</summary>
public enum FrameRecurrence
{
    /// <summary><see cref="Sequence.ConvS5"/>: a linear convolutional SSM, all frames by one parallel scan.</summary>
    ConvS5,

    /// <summary><see cref="Sequence.ConvLstm"/>: the non-linear convolutional LSTM, one frame after another.</summary>
    ConvLstm,
}

/// <summary>
/// A next-frame predictor for video: a k×k encoder convolution (frame channels → width), a stack of residual recurrent
/// layers over the frames, and a k×k decoder convolution back to the frame channels:
/// <code>
///   E_t = Enc ∗ F_t        E_t ← E_t + Layer_ℓ(E)_t   (ℓ = 1..L, causal in t)        F̂_{t+1} = Dec ∗ E_t
/// </code>
/// <see cref="Forward"/> predicts frame t + 1 from the true frames ≤ t for every t at once (teacher forcing, training);
/// <see cref="Rollout"/> reads a context and then feeds its own predictions back (generation).
/// </summary>
public sealed class FramePredictor : Module<Tensor, Tensor>
{
    /// <summary>Creates the predictor; <paramref name="state"/> is ConvS5's state channels P (ConvLSTM's hidden channels are the width).</summary>
    public FramePredictor(FrameRecurrence kind, long frameChannels, long width, int layers, long state, long kernelSize = 3,
        DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        (Kind, FrameChannels, Width) = (kind, frameChannels, width);
        Encoder = new Conv2d(frameChannels, width, kernelSize, padding: kernelSize / 2, dtype: dtype, device: device);
        Layers = Enumerable.Range(0, layers).Select(_ => kind == FrameRecurrence.ConvS5
            ? (Module)new ConvS5(width, state, kernelSize, dtype: dtype, device: device)
            : new ConvLstm(width, width, kernelSize, dtype, device)).ToArray();
        Decoder = new Conv2d(width, frameChannels, kernelSize, padding: kernelSize / 2, dtype: dtype, device: device);
    }

    /// <summary>The recurrent layer kind.</summary>
    public FrameRecurrence Kind { get; }

    /// <summary>Channels of a frame.</summary>
    public long FrameChannels { get; }

    /// <summary>Channels between encoder and decoder.</summary>
    public long Width { get; }

    /// <summary>Frame → width.</summary>
    public Conv2d Encoder { get; }

    /// <summary>The recurrent layers (<see cref="ConvS5"/> or <see cref="ConvLstm"/>), each with a residual connection.</summary>
    public Module[] Layers { get; }

    /// <summary>Width → frame.</summary>
    public Conv2d Decoder { get; }

    /// <summary>Parameters of a ConvS5 layer: B and C (k²·U·P each), C's bias and D (U each), Λ and Δ (P each).</summary>
    public static long ConvS5LayerParameters(long width, long state, long kernelSize = 3) =>
        2 * kernelSize * kernelSize * width * state + 2 * width + 2 * state;

    /// <summary>Parameters of a ConvLSTM layer of width U: the gate convolution k²·2U·4U and its bias 4U.</summary>
    public static long ConvLstmLayerParameters(long width, long kernelSize = 3) => kernelSize * kernelSize * 2 * width * 4 * width + 4 * width;

    /// <summary>The ConvS5 state channels P whose layer has the parameter count closest to a ConvLSTM layer of the same width.</summary>
    public static long MatchedState(long width, long kernelSize = 3)
    {
        long target = ConvLstmLayerParameters(width, kernelSize);
        return Enumerable.Range(1, (int)(16 * width)).Select(p => (long)p)
            .MinBy(p => Math.Abs(ConvS5LayerParameters(width, p, kernelSize) - target));
    }

    /// <summary>frames [batch, time, channels, h, w] → predictions of frames 2..T+1 [batch, time, channels, h, w] (teacher forcing).</summary>
    public override Tensor Forward(Tensor frames)
    {
        using var scope = NewScope();
        return scope.Keep(Run(frames, null).Predictions);
    }

    /// <summary>
    /// Reads <paramref name="context"/> [batch, k, channels, h, w] (ConvS5: one scan), then predicts <paramref name="horizon"/>
    /// frames, each fed back as the next input → [batch, horizon, channels, h, w].
    /// </summary>
    public Tensor Rollout(Tensor context, int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        using var scope = NewScope();
        var (predictions, states) = Run(context, null);
        var frame = predictions.Select(1, context.Size(1) - 1);
        var outputs = new Tensor[horizon];
        outputs[0] = frame;
        for (int t = 1; t < horizon; t++)
        {
            (var next, states) = Run(frame.Unsqueeze(1), states);
            frame = next.Select(1, 0);
            outputs[t] = frame;
        }
        return scope.Keep(Tensor.Stack(outputs, 1));
    }

    // All layers over frames [batch, time, channels, h, w] from per-layer states (null: zeros) → predictions and the last states.
    private (Tensor Predictions, object[] States) Run(Tensor frames, object[]? states)
    {
        if (frames.Dim != 5 || frames.Size(2) != FrameChannels)
            throw new ArgumentException($"expected frames [batch, time, {FrameChannels}, h, w], got {frames.ShapeString}", nameof(frames));
        long batch = frames.Size(0), time = frames.Size(1), h = frames.Size(3), w = frames.Size(4);
        var e = Encoder.Forward(frames.Flatten(0, 1)).View(batch, time, Width, h, w);
        var last = new object[Layers.Length];
        for (int l = 0; l < Layers.Length; l++)
        {
            switch (Layers[l])
            {
                case ConvS5 s5:
                    var (y, x) = s5.Forward(e, (Tensor?)states?[l]);
                    (e, last[l]) = (e + y, x);
                    break;
                case ConvLstm lstm:
                    var (hidden, state) = lstm.Forward(e, ((Tensor H, Tensor C)?)states?[l]);
                    (e, last[l]) = (e + hidden, state);
                    break;
            }
        }
        return (Decoder.Forward(e.Flatten(0, 1)).View(batch, time, FrameChannels, h, w), last);
    }

    protected override string ExtraRepr() => $"{Kind}, width={Width}, layers={Layers.Length}";
}
