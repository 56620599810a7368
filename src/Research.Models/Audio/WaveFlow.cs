using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>The shape of a <see cref="WaveFlow"/>.</summary>
/// <param name="Height">Squeeze height h: the waveform becomes an h × (T/h) grid, column j holding samples j·h … j·h + h − 1; the
/// flow is autoregressive along h (h = 2 is WaveGlow's bipartite coupling; 8–64 in the paper).</param>
/// <param name="MelBands">Bands M of the conditioning log-mel spectrogram.</param>
/// <param name="Hop">Audio samples per mel frame (the upsampling factor).</param>
/// <param name="Flows">Flow steps, each an autoregressive affine transform along the height, alternately top-down and bottom-up
/// (8 in the paper).</param>
/// <param name="ResidualChannels">Width R of every flow's 2-D WaveNet (64–128 in the paper).</param>
/// <param name="Layers">Dilated 2-D layers per flow (8 in the paper).</param>
/// <param name="KernelHeight">Kernel height (3), causal along the height.</param>
/// <param name="KernelWidth">Kernel width (3), centred along the width; width dilation 2^ℓ.</param>
public sealed record WaveFlowConfig(int Height = 16, int MelBands = 16, int Hop = 64, int Flows = 4, int ResidualChannels = 16, int Layers = 4,
    int KernelHeight = 3, int KernelWidth = 3)
{
    /// <summary>Height dilation of layer ℓ: 2^ℓ capped at max(1, h/4) (the paper keeps height dilations small for small h). The
    /// parameter count does not depend on it, nor on h.</summary>
    public int HeightDilation(int layer) => Math.Min(1 << layer, Math.Max(1, Height / 4));
}

/// <summary>
/// WaveFlow (Ping, Peng, Zhao &amp; Song, 2020): a flow on the waveform x [batch, T] squeezed into an h × w grid X (w = T/h,
/// X[i, j] = x[j·h + i]), autoregressive along the short height axis and parallel along the width:
/// <code>
///   X  ↦  Z[i, j] = X[i, j] · exp(log s[i, j]) + t[i, j],     (log s, t)[i, ·] = WN₂(X[&lt; i, ·], c)
///   log |det ∂Z/∂X| = Σ log s                                   (triangular Jacobian in row-major order)
///   flows alternate the direction of the height axis; −log p(x | mel) = Σ Z²/2 + const − Σ log |det|
///   sampling: X[i] = (Z[i] − t[i]) · exp(−log s[i]) for i = 0 … h − 1      h sequential passes per flow
/// </code>
/// WN₂ (<see cref="HeightCausalWaveNet"/>) is a WaveNet of dilated 2-D convolutions, causal along the height (the input is
/// shifted down one row and padded on top only) and centred along the width, with the upsampled mel added to every gate.
/// Training is one parallel pass for every h; sampling takes h sequential steps per flow. Not included: the paper's
/// permutation of the height order within the second half of the flows (here every other flow simply reverses it).
/// </summary>
public sealed class WaveFlow : Module
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public WaveFlow(WaveFlowConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new WaveFlowConfig();
        var c = Config;
        if (c.Height < 1 || c.Flows < 1) throw new ArgumentException($"WaveFlow needs h ≥ 1 and ≥ 1 flow, got {c}", nameof(config));
        Upsample = new ConvTranspose1d(c.MelBands, c.MelBands, 2 * c.Hop, stride: c.Hop, dtype: dtype, device: device);
        Flow = new FlowSequence(Enumerable.Range(0, c.Flows)
            .Select(k => (FlowLayer)new HeightAutoregressiveAffine(c, reverse: k % 2 == 1, dtype, device)).ToArray());
    }

    /// <summary>The configuration.</summary>
    public WaveFlowConfig Config { get; }

    /// <summary>Transposed convolution from mel frames to the audio rate (kernel 2·hop, stride hop).</summary>
    public ConvTranspose1d Upsample { get; }

    /// <summary>The flows, each a <see cref="HeightAutoregressiveAffine"/>.</summary>
    public FlowSequence Flow { get; }

    /// <summary>x [batch, C, T] → [batch, C, h, T/h], X[·, ·, i, j] = x[·, ·, j·h + i].</summary>
    public static Tensor ToGrid(Tensor x, int height)
    {
        if (x.Size(2) % height != 0) throw new ArgumentException($"WaveFlow: length {x.Size(2)} is not a multiple of h = {height}", nameof(x));
        return x.Reshape(x.Size(0), x.Size(1), x.Size(2) / height, height).Transpose(2, 3);
    }

    /// <summary>The inverse of <see cref="ToGrid"/>: [batch, C, h, w] → [batch, C, h·w].</summary>
    public static Tensor FromGrid(Tensor grid) => grid.Transpose(2, 3).Reshape(grid.Size(0), grid.Size(1), -1);

    /// <summary>mel [batch, M, F] → c [batch, M, h, F·hop/h] (the upsampled mel, frame f centred on sample f·hop, on the grid).</summary>
    public Tensor Condition(Tensor mel)
    {
        if (mel.Dim != 3 || mel.Size(1) != Config.MelBands)
            throw new ArgumentException($"WaveFlow: expected mel [batch, {Config.MelBands}, frames], got {mel.ShapeString}", nameof(mel));
        using var scope = NewScope();
        return scope.Keep(ToGrid(Upsample.Forward(mel).Narrow(2, Config.Hop, mel.Size(2) * Config.Hop), Config.Height).Contiguous());
    }

    /// <summary>audio [batch, F·hop], mel [batch, M, F] → (Z [batch, 1, h, w], log |det ∂Z/∂x| [batch]).</summary>
    public (Tensor Z, Tensor LogDet) Forward(Tensor audio, Tensor mel)
    {
        if (audio.Dim != 2 || audio.Size(1) != mel.Size(2) * Config.Hop)
            throw new ArgumentException($"WaveFlow: audio {audio.ShapeString} must be [batch, frames·{Config.Hop}] for mel {mel.ShapeString}", nameof(audio));
        using var scope = NewScope();
        var (z, logDet) = Flow.Forward(ToGrid(audio.Unsqueeze(1), Config.Height), Condition(mel));
        scope.Keep(z, logDet);
        return (z, logDet);
    }

    /// <summary>Z [batch, 1, h, w] and mel → audio [batch, T], the exact inverse of <see cref="Forward"/> (h sequential steps per flow).</summary>
    public Tensor Inverse(Tensor z, Tensor mel)
    {
        using var scope = NewScope();
        return scope.Keep(FromGrid(Flow.Inverse(z, Condition(mel))).Squeeze(1));
    }

    /// <summary>−log₂ p(audio | mel) per sample under the prior N(0, σ²), averaged over the batch.</summary>
    public Tensor BitsPerSample(Tensor audio, Tensor mel, double sigma = 1.0)
    {
        using var scope = NewScope();
        var (z, logDet) = Forward(audio, mel);
        return scope.Keep(FlowSequence.BitsPerDimension(z, logDet, sigma));
    }

    /// <summary>Audio [batch, F·hop] for mel [batch, M, F]: x = f⁻¹(σ ε), ε drawn from libtorch's generator; h steps per flow.</summary>
    public Tensor Generate(Tensor mel, double sigma = 0.6)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        long t = mel.Size(2) * Config.Hop;
        var z = Tensor.RandN([mel.Size(0), 1, Config.Height, t / Config.Height], mel.DType, mel.Device) * sigma;
        return scope.Keep(Inverse(z, mel));
    }
}

/// <summary>
/// One WaveFlow step on the grid X [batch, 1, h, w] with conditioning c [batch, M, h, w]: Z = X ⊙ exp(log s) + t where row i of
/// (log s, t) comes from a <see cref="HeightCausalWaveNet"/> that sees only the rows above i (and c), so the Jacobian is
/// triangular in row-major order with diagonal exp(log s): log |det| = Σ log s. With <see cref="Reverse"/> the height axis is
/// flipped before and after (the rows below are the context). Forward: one pass. Inverse: h passes, row by row, each on the
/// rows produced so far.
/// </summary>
public sealed class HeightAutoregressiveAffine : FlowLayer
{
    /// <summary>Creates the step for <paramref name="config"/>; <paramref name="reverse"/> runs the recursion bottom-up.</summary>
    public HeightAutoregressiveAffine(WaveFlowConfig config, bool reverse, DType? dtype = null, Device? device = null)
    {
        Reverse = reverse;
        Net = new HeightCausalWaveNet(config, dtype, device);
    }

    /// <summary>Whether the recursion runs from the last row to the first.</summary>
    public bool Reverse { get; }

    /// <summary>WN₂: shifted X, c → (log s, t) as [batch, 2, h, w].</summary>
    public HeightCausalWaveNet Net { get; }

    private Tensor Orient(Tensor x) => Reverse ? x.Flip(2) : x;

    /// <summary>X [batch, 1, rows, w] → X shifted down one row (row 0 zero, the last row dropped): row i then holds X[i − 1].</summary>
    public static Tensor ShiftDown(Tensor x) => x.Pad([0, 0, 1, 0]).Narrow(2, 0, x.Size(2));

    /// <inheritdoc />
    public override (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null)
    {
        if (x.Dim != 4 || x.Size(1) != 1 || condition is null)
            throw new ArgumentException($"HeightAutoregressiveAffine: expected X [batch, 1, h, w] and a condition, got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var xo = Orient(x);
        var st = Net.Forward(ShiftDown(xo), Orient(condition)).Chunk(2, 1);          // log s, t: [batch, 1, h, w]
        var z = Orient(xo * st[0].Exp() + st[1]);
        var logDet = st[0].Sum([1, 2, 3]);
        scope.Keep(z, logDet);
        return (z, logDet);
    }

    /// <inheritdoc />
    public override Tensor Inverse(Tensor y, Tensor? condition = null)
    {
        using var scope = NewScope();
        var z = Orient(y);
        var c = Orient(condition!);
        long h = z.Size(2);
        var rows = new List<Tensor>();
        for (long i = 0; i < h; i++)
        {
            using var step = NewScope();
            var context = Tensor.Cat([.. rows, Tensor.Zeros([z.Size(0), 1, 1, z.Size(3)], z.DType, z.Device)], 2);   // rows 0 … i (row i unused)
            var st = Net.Forward(ShiftDown(context), c.Narrow(2, 0, i + 1)).Narrow(2, i, 1).Chunk(2, 1);
            rows.Add(step.Keep((z.Narrow(2, i, 1) - st[1]) * (-st[0]).Exp()));
        }
        return scope.Keep(Orient(Tensor.Cat([.. rows], 2)));
    }
}

/// <summary>
/// WaveFlow's conditioning network: a WaveNet of 2-D convolutions over [batch, channels, h, w], causal along the height and
/// centred along the width, the conditioning added to every gate:
/// <code>
///   a_0 = W_start X_shifted                                                1×1            [batch, R, h, w]
///   g_ℓ = tanh(W_f,ℓ ⋆ a_{ℓ−1} + V_f,ℓ c) ⊙ σ(W_g,ℓ ⋆ a_{ℓ−1} + V_g,ℓ c)    k_h × k_w, dilation (d_h,ℓ, 2^ℓ), padded
///                                                                          (k_h − 1)·d_h on top, centred in width
///   a_ℓ = a_{ℓ−1} + U_r,ℓ g_ℓ,   s += U_s,ℓ g_ℓ;    out = W_end s           1×1, zero at initialisation → 2 channels
/// </code>
/// Output row i depends on input rows ≤ i only (and on c at rows ≤ i).
/// </summary>
public sealed class HeightCausalWaveNet : Module
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public HeightCausalWaveNet(WaveFlowConfig config, DType? dtype = null, Device? device = null)
    {
        var c = config;
        if (c.Layers < 1 || c.ResidualChannels < 1 || c.KernelWidth % 2 == 0 || c.KernelHeight < 1)
            throw new ArgumentException($"HeightCausalWaveNet: need ≥ 1 layer of ≥ 1 channel and an odd kernel width, got {c}", nameof(config));
        int r = c.ResidualChannels;
        Start = new Conv2d(1, r, 1, dtype: dtype, device: device);
        Dilated = Enumerable.Range(0, c.Layers).Select(l => new Conv2d(r, 2 * r, new[] { c.KernelHeight, c.KernelWidth },
            dilation: new[] { c.HeightDilation(l), 1 << l }, dtype: dtype, device: device)).ToArray();
        Condition = new Conv2d(c.MelBands, 2L * r * c.Layers, 1, dtype: dtype, device: device);
        ResidualSkip = Enumerable.Range(0, c.Layers).Select(_ => new Conv2d(r, 2 * r, 1, dtype: dtype, device: device)).ToArray();
        End = new Conv2d(r, 2, 1, dtype: dtype, device: device);
        using (NoGrad())
        {
            End.Weight.Zero_();
            End.Bias!.Zero_();
        }
    }

    /// <summary>W_start: 1×1 from the shifted grid to the residual stream.</summary>
    public Conv2d Start { get; }

    /// <summary>W_f,ℓ and W_g,ℓ of every layer as one dilated 2-D convolution R → 2R.</summary>
    public Conv2d[] Dilated { get; }

    /// <summary>V_f,ℓ and V_g,ℓ of all layers as one 1×1 convolution from c.</summary>
    public Conv2d Condition { get; }

    /// <summary>U_r,ℓ and U_s,ℓ of every layer as one 1×1 convolution R → 2R.</summary>
    public Conv2d[] ResidualSkip { get; }

    /// <summary>W_end: 1×1 from the skip sum to (log s, t), zero at initialisation (every flow starts as the identity).</summary>
    public Conv2d End { get; }

    /// <summary>x [batch, 1, rows, w], c [batch, M, rows, w] → [batch, 2, rows, w].</summary>
    public Tensor Forward(Tensor x, Tensor condition)
    {
        using var scope = NewScope();
        var a = Start.Forward(x);
        var conditions = Condition.Forward(condition).Chunk(Dilated.Length, 1);
        Tensor? skip = null;
        for (int i = 0; i < Dilated.Length; i++)
        {
            var conv = Dilated[i];
            long top = (conv.KernelSize[0] - 1) * conv.Dilation[0], side = (conv.KernelSize[1] - 1) / 2 * conv.Dilation[1];
            var gates = conv.Forward(a.Pad([side, side, top, 0])) + conditions[i];
            var halves = gates.Chunk(2, 1);
            var g = halves[0].Tanh() * halves[1].Sigmoid();
            var residualSkip = ResidualSkip[i].Forward(g).Chunk(2, 1);
            a = a + residualSkip[0];
            skip = skip is null ? residualSkip[1] : skip + residualSkip[1];
        }
        return scope.Keep(End.Forward(skip!));
    }
}
