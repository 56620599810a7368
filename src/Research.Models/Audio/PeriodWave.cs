using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a mel-conditioned flow-matching vector-field estimator v_θ(x_t, t, mel): either PeriodWave's period-aware
/// one (<see cref="Periods"/> non-empty: one 2-D branch per period), its no-reshape control (<see cref="Reshape"/> false:
/// the same branches' taps applied along the 1-D time axis) or the plain 1-D one (no periods: one stack of dilated conv1d
/// layers, dilations 1, 2, 4, …).
/// </summary>
/// <param name="Channels">Width of the residual streams.</param>
/// <param name="Layers">Residual layers per branch (dilation 2^i along the branch's time axis).</param>
/// <param name="Periods">The periods p of the 2-D branches (PeriodWave: primes); empty for the plain 1-D estimator.</param>
/// <param name="MelBands">Mel bands of the conditioning spectrogram.</param>
/// <param name="Hop">Samples per mel frame.</param>
/// <param name="KernelSize">Kernel of every convolution along time (and across the period axis in the 2-D branches).</param>
/// <param name="TimeFeatures">Sines and cosines of the flow-time encoding.</param>
/// <param name="Reshape">Whether the branches reshape by their periods (false: the control, see <see cref="PeriodBranch"/>).</param>
public sealed record PeriodWaveConfig(int Channels, int Layers, int[] Periods, int MelBands, int Hop, int KernelSize = 3, int TimeFeatures = 32,
    bool Reshape = true)
{
    /// <summary>Whether the estimator has one branch per period (the period-aware one or its no-reshape control).</summary>
    public bool Branched => Periods.Length > 0;

    /// <summary>Whether the estimator is period-aware: branches that reshape by their periods into 2-D maps.</summary>
    public bool PeriodAware => Branched && Reshape;

    /// <summary>This estimator with the same branches, taps and parameters but no period reshape (the control).</summary>
    public PeriodWaveConfig WithoutReshape() => this with { Reshape = false };

    /// <summary>
    /// Weights and biases: front end (input 1×1, mel conv, time MLP to C) + per branch Layers·(C·C·k_t·k_p + C) (k_p = k for
    /// the branches, reshaped or not, 1 for the plain stack) + the output 1×1.
    /// </summary>
    public long ParameterCount
    {
        get
        {
            long c = Channels, k = KernelSize;
            long front = (c + c) + (MelBands * c * k + c) + (TimeFeatures * c + c) + (c * c + c);
            long perLayer = Branched ? c * c * k * k + c : c * c * k + c;
            long branches = Branched ? Periods.Length : 1;
            return front + branches * Layers * perLayer + (c + 1);
        }
    }

    /// <summary>The plain 1-D estimator with <paramref name="layers"/> layers whose width makes its parameter count closest to this one's.</summary>
    public PeriodWaveConfig PlainMatching(int layers)
    {
        var plain = this with { Periods = [], Layers = layers };
        long target = ParameterCount;
        return Enumerable.Range(1, 1024).Select(w => plain with { Channels = w }).MinBy(p => Math.Abs(p.ParameterCount - target))!;
    }
}

/// <summary>
/// A flow-matching vector-field estimator for mel → waveform (PeriodWave, Lee et al., 2024, without its Haar sub-bands and
/// FreeU rescaling), for <see cref="Diffusion.FlowMatching"/>:
/// <code>
///   h   = W_in x_t + Upsample(W_mel * mel) + MLP(enc(t))                       [batch, C, time]
///   period-aware: h_p = reshape(h, [batch, C, time/p, p])  (zero-padded to a multiple of p)
///                 h_p ← h_p + Conv2d_i(SiLU(h_p)),  kernel k×k, dilation (2^i, 1)    i = 0 … Layers−1
///                 b   = Σ_p reshape(h_p, [batch, C, time]) / √|P|
///   no reshape:   the same branches' 3×3 taps at time offsets a·2^i·p + c (a, c ∈ {−1, 0, 1}) on the 1-D stream (control)
///   plain 1-D:    b ← b + Conv1d_i(SiLU(b)),  kernel k, dilation 2^i, from b = h
///   v̂   = W_out SiLU(b)                                                          [batch, time]
/// </code>
/// In a 2-D branch the column index is the phase t mod p and the row the period count ⌊t/p⌋, so a kernel along the rows
/// compares samples exactly p, 2p, … apart: periodic structure of period p (and its multiples) is local in 2-D.
/// </summary>
public sealed class PeriodWave : Module
{
    /// <summary>Creates the estimator for <paramref name="config"/>.</summary>
    public PeriodWave(PeriodWaveConfig config, DType? dtype = null, Device? device = null)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        if (config.Channels < 1 || config.Layers < 1 || config.KernelSize % 2 == 0 || config.Hop < 1 || config.Periods.Any(p => p < 1))
            throw new ArgumentException($"invalid PeriodWave configuration {config} (the kernel must be odd)", nameof(config));
        int c = config.Channels, k = config.KernelSize;
        Input = new Conv1d(1, c, 1, dtype: dtype, device: device);
        Mel = new Conv1d(config.MelBands, c, k, padding: Padding.Same, dtype: dtype, device: device);
        Time = new DiffusionStepEmbedding(config.TimeFeatures, c, dtype, device);
        if (config.Branched)
        {
            Branches = [.. config.Periods.Select(p => new PeriodBranch(p, c, config.Layers, k, config.Reshape, dtype, device))];
            Plain = [];
        }
        else
        {
            Branches = [];
            Plain = [.. Enumerable.Range(0, config.Layers)
                .Select(i => new Conv1d(c, c, k, padding: Padding.Same, dilation: 1L << i, dtype: dtype, device: device))];
        }
        Output = new Conv1d(c, 1, 1, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public PeriodWaveConfig Config { get; }

    /// <summary>W_in: 1×1 from x_t.</summary>
    public Conv1d Input { get; }

    /// <summary>W_mel: the mel frames to C channels (then repeated <see cref="PeriodWaveConfig.Hop"/> times).</summary>
    public Conv1d Mel { get; }

    /// <summary>The flow-time embedding (the sinusoidal code of DiffWave's steps, applied to t ∈ [0, 1], and two layers).</summary>
    public DiffusionStepEmbedding Time { get; }

    /// <summary>One branch per period (empty for the plain estimator).</summary>
    public PeriodBranch[] Branches { get; }

    /// <summary>The plain estimator's 1-D layers (empty for the period-aware one).</summary>
    public Conv1d[] Plain { get; }

    /// <summary>W_out: 1×1 to the velocity.</summary>
    public Conv1d Output { get; }

    /// <summary>x_t [batch, time], t [batch] in [0, 1], mel [batch, bands, time / hop] → v̂ [batch, time].</summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor mel)
    {
        long time = x.Size(1);
        if (mel.Size(2) * Config.Hop != time)
            throw new ArgumentException($"mel {mel.ShapeString} × hop {Config.Hop} must cover the {time} samples of x {x.ShapeString}", nameof(mel));
        using var scope = NewScope();
        var h = Input.Forward(x.Unsqueeze(1)) + Mel.Forward(mel).RepeatInterleave(Config.Hop, 2)
            + Time.Forward(t).Unsqueeze(2);                                                      // [batch, C, time]
        Tensor b;
        if (Config.Branched)
        {
            b = null!;
            foreach (var branch in Branches)
            {
                var back = branch.Forward(h);
                b = b is null ? back : b + back;
            }
            b = b * (1 / Math.Sqrt(Branches.Length));
        }
        else
        {
            b = h;
            foreach (var conv in Plain) b = b + conv.Forward(b.Silu());
        }
        return scope.Keep(Output.Forward(b.Silu()).Squeeze(1));                                 // [batch, time]
    }
}

/// <summary>
/// One period-p branch of <see cref="PeriodWave"/>: h [batch, C, T] is zero-padded to a multiple of p and reshaped to
/// [batch, C, T/p, p] (row ⌊t/p⌋, column t mod p); residual layers h ← h + Conv2d_i(SiLU(h)) with k×k kernels dilated
/// (2^i, 1) along the rows; then reshaped back to [batch, C, T]. Without the reshape (the control) the same k×k taps sit at
/// time offsets a·2^i·p + c on the 1-D stream, a, c ∈ {−(k−1)/2 … (k−1)/2}: the k shifts c of SiLU(h) are stacked as
/// channels and convolved by a conv1d dilated 2^i·p (C·k in, C out: the 2-D layer's parameters). The two agree except
/// where c crosses a phase boundary (t mod p + c outside [0, p)), which the reshape zero-pads and the control does not.
/// </summary>
public sealed class PeriodBranch : Module
{
    /// <summary>Creates the branch's layers: 2-D ones when <paramref name="reshape"/>, otherwise their 1-D equivalents.</summary>
    public PeriodBranch(int period, int channels, int layers, int kernelSize, bool reshape = true, DType? dtype = null, Device? device = null)
    {
        Period = period;
        KernelSize = kernelSize;
        Layers = reshape
            ? [.. Enumerable.Range(0, layers).Select(i => new Conv2d(channels, channels, new long[] { kernelSize, kernelSize },
                padding: Padding.Same, dilation: new long[] { 1L << i, 1 }, dtype: dtype, device: device))]
            : [];
        Unreshaped = reshape
            ? []
            : [.. Enumerable.Range(0, layers).Select(i => new Conv1d(channels * kernelSize, channels, kernelSize, padding: Padding.Same,
                dilation: (1L << i) * period, dtype: dtype, device: device))];
    }

    /// <summary>The period p.</summary>
    public int Period { get; }

    /// <summary>The kernel size k (along the rows and across the phase).</summary>
    public int KernelSize { get; }

    /// <summary>The 2-D layers (empty for the control).</summary>
    public Conv2d[] Layers { get; }

    /// <summary>The control's 1-D layers: [C·k (shift c, channel), C, k (offset a·2^i·p)] (empty when reshaped).</summary>
    public Conv1d[] Unreshaped { get; }

    /// <summary>h [batch, C, T] → [batch, C, T].</summary>
    public Tensor Forward(Tensor h)
    {
        long batch = h.Size(0), channels = h.Size(1), time = h.Size(2), rows = (time + Period - 1) / Period;
        using var scope = NewScope();
        if (Layers.Length == 0)
        {
            int r = (KernelSize - 1) / 2;
            var y = h;
            foreach (var conv in Unreshaped)
            {
                var padded = y.Silu().Pad([r, r]);
                y = y + conv.Forward(Tensor.Cat([.. Enumerable.Range(0, KernelSize).Select(j => padded.Narrow(2, j, time))], 1));
            }
            return scope.Keep(y);                                                                       // [batch, C, T]
        }
        var x = h.Pad([0, rows * Period - time]).Reshape(batch, channels, rows, Period);             // [batch, C, T/p, p]
        foreach (var conv in Layers) x = x + conv.Forward(x.Silu());
        return scope.Keep(x.Reshape(batch, channels, rows * Period).Narrow(2, 0, time));           // [batch, C, T]
    }

    protected override string ExtraRepr() => $"period={Period}" + (Layers.Length == 0 ? ", no reshape" : "");
}
