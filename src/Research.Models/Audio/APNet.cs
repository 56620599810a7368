using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of an <see cref="APNet"/> vocoder: log-mel frames in, amplitude and phase spectra of an STFT with the same hop
/// out (one spectral frame per input frame), the waveform by inverse STFT.
/// </summary>
/// <param name="MelBands">Log-mel bands per input frame.</param>
/// <param name="NFft">FFT size (and Hann window length) of the predicted spectra: NFft/2 + 1 bins.</param>
/// <param name="Hop">Samples per frame.</param>
/// <param name="Channels">Width of every residual block.</param>
/// <param name="Blocks">Residual blocks in each branch.</param>
/// <param name="KernelSize">Kernel of every frame-level convolution (odd, centred).</param>
public sealed record APNetConfig(int MelBands = 32, int NFft = 256, int Hop = 80, int Channels = 32, int Blocks = 3, int KernelSize = 7)
{
    /// <summary>Frequency bins of the predicted spectra.</summary>
    public int Bins => NFft / 2 + 1;

    /// <summary>
    /// Weights and biases: per branch an input conv M·C·k + C and per block C·C·k + C + C·C + C; outputs C·B·k + B (amplitude)
    /// and 2·(C·B·k + B) (phase: R and I).
    /// </summary>
    public long ParameterCount
    {
        get
        {
            long c = Channels, k = KernelSize, b = Bins;
            long trunk = MelBands * c * k + c + Blocks * (c * c * k + c + c * c + c);
            return 2 * trunk + 3 * (c * b * k + b);
        }
    }
}

/// <summary>
/// One residual block at frame rate: h + W₂ LeakyReLU(W₁ * LeakyReLU(h)) with W₁ a centred conv of kernel k and W₂ a 1×1 conv.
/// </summary>
public sealed class FrameResidualBlock : Module
{
    /// <summary>Creates a block of <paramref name="channels"/> channels.</summary>
    public FrameResidualBlock(int channels, int kernelSize, DType? dtype = null, Device? device = null)
    {
        Conv = new Conv1d(channels, channels, kernelSize, padding: Padding.Same, dtype: dtype, device: device);
        Mix = new Conv1d(channels, channels, 1, dtype: dtype, device: device);
    }

    /// <summary>W₁.</summary>
    public Conv1d Conv { get; }

    /// <summary>W₂.</summary>
    public Conv1d Mix { get; }

    /// <summary>[batch, C, frames] → [batch, C, frames].</summary>
    public Tensor Forward(Tensor h)
    {
        using var scope = NewScope();
        return scope.Keep(h + Mix.Forward(Conv.Forward(h.LeakyRelu(0.1)).LeakyRelu(0.1)));
    }
}

/// <summary>
/// APNet (Ai &amp; Ling, 2023): an all-frame-level vocoder. Two branches of residual conv1d blocks at the frame rate read the
/// log-mel spectrogram X [batch, M, frames]:
/// <code>
///   log Â = W_A * ASP(X)                              amplitude spectrum predictor   [batch, bins, frames]
///   R = W_R * PSP(X),  I = W_I * PSP(X)               phase spectrum predictor: two parallel linear convs
///   P̂ = atan2(I, R) ∈ (−π, π]                         the phase, never needing to be unwrapped
///   ŷ = iSTFT(Â · e^{iP̂})                             the waveform (<see cref="PhaseSpectra.Synthesise"/>)
/// </code>
/// Nothing runs at the sample rate; the phase losses of <see cref="PhaseSpectra"/> train P̂ directly.
/// </summary>
public sealed class APNet : Module
{
    /// <summary>Creates the vocoder for <paramref name="config"/>.</summary>
    public APNet(APNetConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new APNetConfig();
        var c = Config;
        if (c.KernelSize % 2 == 0 || c.Blocks < 1 || c.Channels < 1 || c.NFft < c.Hop)
            throw new ArgumentException($"invalid APNet configuration {c}", nameof(config));
        Conv1d Conv(int i, int o) => new(i, o, c.KernelSize, padding: Padding.Same, dtype: dtype, device: device);
        AmplitudeInput = Conv(c.MelBands, c.Channels);
        AmplitudeBlocks = Enumerable.Range(0, c.Blocks).Select(_ => new FrameResidualBlock(c.Channels, c.KernelSize, dtype, device)).ToArray();
        AmplitudeOutput = Conv(c.Channels, c.Bins);
        PhaseInput = Conv(c.MelBands, c.Channels);
        PhaseBlocks = Enumerable.Range(0, c.Blocks).Select(_ => new FrameResidualBlock(c.Channels, c.KernelSize, dtype, device)).ToArray();
        PhaseReal = Conv(c.Channels, c.Bins);
        PhaseImaginary = Conv(c.Channels, c.Bins);
    }

    /// <summary>The configuration.</summary>
    public APNetConfig Config { get; }

    /// <summary>Input conv of the amplitude branch.</summary>
    public Conv1d AmplitudeInput { get; }

    /// <summary>Residual blocks of the amplitude branch.</summary>
    public FrameResidualBlock[] AmplitudeBlocks { get; }

    /// <summary>W_A: to the log-amplitude spectrum.</summary>
    public Conv1d AmplitudeOutput { get; }

    /// <summary>Input conv of the phase branch.</summary>
    public Conv1d PhaseInput { get; }

    /// <summary>Residual blocks of the phase branch.</summary>
    public FrameResidualBlock[] PhaseBlocks { get; }

    /// <summary>W_R: the pseudo real part.</summary>
    public Conv1d PhaseReal { get; }

    /// <summary>W_I: the pseudo imaginary part.</summary>
    public Conv1d PhaseImaginary { get; }

    /// <summary>(log amplitude, phase) [batch, bins, frames] from log-mel [batch, M, frames].</summary>
    public (Tensor LogAmplitude, Tensor Phase) Forward(Tensor logMel)
    {
        using var scope = NewScope();
        var a = AmplitudeInput.Forward(logMel);
        foreach (var block in AmplitudeBlocks) a = block.Forward(a);
        var logAmplitude = AmplitudeOutput.Forward(a.LeakyRelu(0.1));
        var p = PhaseInput.Forward(logMel);
        foreach (var block in PhaseBlocks) p = block.Forward(p);
        p = p.LeakyRelu(0.1);
        var phase = PhaseImaginary.Forward(p).Atan2(PhaseReal.Forward(p));
        return (scope.Keep(logAmplitude), scope.Keep(phase));
    }

    /// <summary>The waveform [batch, <paramref name="length"/>] = iSTFT(exp(log Â) · e^{iP̂}) of the predicted spectra.</summary>
    public Tensor Synthesise(Tensor logAmplitude, Tensor phase, long length) =>
        PhaseSpectra.Synthesise(logAmplitude, phase, Config.NFft, Config.Hop, length);

    /// <summary>The waveform [batch, <paramref name="length"/>] for log-mel [batch, M, frames].</summary>
    public Tensor Vocode(Tensor logMel, long length)
    {
        using var scope = NewScope();
        var (a, p) = Forward(logMel);
        return scope.Keep(Synthesise(a, p, length));
    }
}
