using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>How the real parts of the state eigenvalues λ of a <see cref="DiagonalStateSpace"/> are parameterised.</summary>
public enum StateParameterisation
{
    /// <summary>Re λ = −exp(p): every eigenvalue stays in the open left half-plane (A is Hurwitz), so |exp(Δλ)| &lt; 1 always.</summary>
    Hurwitz,

    /// <summary>Re λ = p: free; training may move eigenvalues into the right half-plane (|exp(Δλ)| &gt; 1).</summary>
    Unconstrained,
}

/// <summary>
/// A diagonal state-space layer (S4D; Gu, Gupta, Goel &amp; Ré, 2022), the sequence layer of SaShiMi. Per channel h an
/// independent linear system with M complex modes, the conjugate half of a real N = 2M-dimensional diagonal system:
/// <code>
///   x'(t) = diag(λ) x(t) + B u(t),  y(t) = 2 Re(C x(t)) + D u(t)           continuous, B = 1
///   Ā = exp(Δλ),  B̄ = (exp(Δλ) − 1)/λ · B                                 zero-order hold, step Δ = exp(log Δ)
///   x_k = Ā ⊙ x_{k−1} + B̄ u_k,  y_k = 2 Re(C · x_k) + D u_k               recurrent mode (<see cref="Recurrence"/>)
///   K[l] = 2 Re(Σ_m C_m B̄_m Ā_m^l),  y = K ∗ u + D u                       convolution mode (<see cref="Forward"/>)
/// </code>
/// K is the product of C·B̄ with the diagonal Vandermonde matrix Ā_m^l, computed as exp(l·Δλ_m) (no powers), once per call;
/// the causal convolution is an FFT product of length 2T. Complex numbers are kept as separate real and imaginary tensors
/// throughout (only the FFT itself is complex), so every gradient is ordinary real autograd. Initialisation is S4D-Lin:
/// λ_m = −½ + iπm, Δ log-uniform in [<c>dtMin</c>, <c>dtMax</c>], C complex normal, D normal. With
/// <see cref="StateParameterisation.Hurwitz"/> Re λ = −exp(p) cannot reach the right half-plane; with
/// <see cref="StateParameterisation.Unconstrained"/> the same initial λ is a free parameter.
/// </summary>
public sealed class DiagonalStateSpace : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer for <paramref name="channels"/> channels of <paramref name="modes"/> complex modes each.</summary>
    public DiagonalStateSpace(int channels, int modes, StateParameterisation parameterisation = StateParameterisation.Hurwitz,
        double dtMin = 1e-3, double dtMax = 1e-1, DType? dtype = null, Device? device = null)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be ≥ 1");
        if (modes < 1) throw new ArgumentOutOfRangeException(nameof(modes), modes, "must be ≥ 1");
        if (!(dtMin > 0 && dtMax >= dtMin)) throw new ArgumentException($"need 0 < dtMin ≤ dtMax, got {dtMin}, {dtMax}");
        Channels = channels;
        Modes = modes;
        Parameterisation = parameterisation;
        using var scope = NewScope();
        LogDt = new Parameter(Tensor.Rand([channels], dtype, device) * (Math.Log(dtMax) - Math.Log(dtMin)) + Math.Log(dtMin));
        var half = Tensor.Full([channels, modes], 0.5, dtype, device);
        RealPart = new Parameter(parameterisation == StateParameterisation.Hurwitz ? half.Log() : -half);
        ImagPart = new Parameter(Tensor.Arange(modes, dtype, device).Unsqueeze(0).Expand(channels, modes) * Math.PI);
        CReal = new Parameter(Tensor.RandN([channels, modes], dtype, device) * Math.Sqrt(0.5));
        CImag = new Parameter(Tensor.RandN([channels, modes], dtype, device) * Math.Sqrt(0.5));
        D = new Parameter(Tensor.RandN([channels], dtype, device));
    }

    /// <summary>Channels H (independent systems).</summary>
    public int Channels { get; }

    /// <summary>Complex modes M per channel (state size N = 2M as a real system).</summary>
    public int Modes { get; }

    /// <summary>How Re λ is parameterised.</summary>
    public StateParameterisation Parameterisation { get; }

    /// <summary>log Δ per channel, [H].</summary>
    public Parameter LogDt { get; }

    /// <summary>p of Re λ (−exp(p) when Hurwitz, p itself when unconstrained), [H, M].</summary>
    public Parameter RealPart { get; }

    /// <summary>Im λ, [H, M].</summary>
    public Parameter ImagPart { get; }

    /// <summary>Re C, [H, M].</summary>
    public Parameter CReal { get; }

    /// <summary>Im C, [H, M].</summary>
    public Parameter CImag { get; }

    /// <summary>D: the skip term, [H].</summary>
    public Parameter D { get; }

    /// <summary>The continuous eigenvalues λ as (Re, Im), each [H, M].</summary>
    public (Tensor Real, Tensor Imag) Eigenvalues()
    {
        using var scope = NewScope();
        var real = Parameterisation == StateParameterisation.Hurwitz ? -RealPart.Exp() : RealPart * 1.0;
        return (scope.Keep(real), scope.Keep(ImagPart * 1.0));
    }

    /// <summary>The zero-order-hold discretisation: Ā = exp(Δλ) and B̄ = (Ā − 1)/λ (B = 1), each as (Re, Im) [H, M].</summary>
    public (Tensor ARe, Tensor AIm, Tensor BRe, Tensor BIm) Discretise()
    {
        using var scope = NewScope();
        var (re, im) = Eigenvalues();
        var dt = LogDt.Exp().Unsqueeze(1);                                        // [H, 1]
        var magnitude = (dt * re).Exp();                                          // |Ā| = exp(Δ Re λ)
        var aRe = magnitude * (dt * im).Cos();
        var aIm = magnitude * (dt * im).Sin();
        var norm = re.Square() + im.Square();                                     // |λ|²: (Ā − 1)/λ = (Ā − 1)·conj(λ)/|λ|²
        var bRe = ((aRe - 1) * re + aIm * im) / norm;
        var bIm = (aIm * re - (aRe - 1) * im) / norm;
        return (scope.Keep(aRe), scope.Keep(aIm), scope.Keep(bRe), scope.Keep(bIm));
    }

    /// <summary>The convolution kernel K[h, l] = 2 Re(Σ_m C B̄ exp(l Δλ)) for l = 0 … length−1, [H, length].</summary>
    public Tensor Kernel(long length)
    {
        using var scope = NewScope();
        var (re, im) = Eigenvalues();
        var (_, _, bRe, bIm) = Discretise();
        var cbRe = CReal * bRe - CImag * bIm;                                     // C·B̄: [H, M]
        var cbIm = CReal * bIm + CImag * bRe;
        var dt = LogDt.Exp().Unsqueeze(1);
        var l = Tensor.Arange(length, RealPart.DType, RealPart.Device);            // [L]
        var decay = ((dt * re).Unsqueeze(-1) * l).Exp();                          // Vandermonde |Ā|^l: [H, M, L]
        var phase = (dt * im).Unsqueeze(-1) * l;                                  // l·Δ Im λ
        var terms = decay * (cbRe.Unsqueeze(-1) * phase.Cos() - cbIm.Unsqueeze(-1) * phase.Sin());
        return scope.Keep(terms.Sum(dim: 1) * 2.0);                                // [H, L]
    }

    /// <summary>Convolution mode: u [batch, time, H] → y [batch, time, H], y = K ∗ u + D u, causal, by FFT of length 2T.</summary>
    public override Tensor Forward(Tensor u)
    {
        if (u.Dim != 3 || u.Size(2) != Channels)
            throw new ArgumentException($"expected [batch, time, {Channels}], got {u.ShapeString}", nameof(u));
        using var scope = NewScope();
        long time = u.Size(1);
        var signal = u.Transpose(1, 2);                                           // [batch, H, T]
        var spectrum = Fft.RFFT(signal, n: 2 * time) * Fft.RFFT(Kernel(time), n: 2 * time);
        var y = Fft.IRFFT(spectrum, n: 2 * time).Narrow(-1, 0, time) + signal * D.Unsqueeze(1);
        return scope.Keep(y.Transpose(1, 2));                                     // [batch, T, H]
    }

    /// <summary>A recurrent-mode stepper for <paramref name="batch"/> sequences, its state x = 0 (a snapshot of the weights).</summary>
    public DiagonalStateSpaceRecurrence Recurrence(long batch) => new(this, batch);

    protected override string ExtraRepr() => $"channels={Channels}, modes={Modes}, parameterisation={Parameterisation}";
}

/// <summary>
/// The recurrent mode of a <see cref="DiagonalStateSpace"/>: x_k = Ā ⊙ x_k−1 + B̄ u_k, y_k = 2 Re(C · x_k) + D u_k, one
/// step per call, with Ā, B̄, C, D snapshotted (no gradients). From x = 0 its outputs equal the convolution mode's.
/// </summary>
public sealed class DiagonalStateSpaceRecurrence : IDisposable
{
    private readonly Tensor _aRe, _aIm, _bRe, _bIm, _cRe, _cIm, _d;
    private Tensor _xRe, _xIm;

    internal DiagonalStateSpaceRecurrence(DiagonalStateSpace layer, long batch)
    {
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var (aRe, aIm, bRe, bIm) = layer.Discretise();
        _aRe = scope.Keep(aRe).DetachFromScope();
        _aIm = scope.Keep(aIm).DetachFromScope();
        _bRe = scope.Keep(bRe).DetachFromScope();
        _bIm = scope.Keep(bIm).DetachFromScope();
        _cRe = scope.Keep(layer.CReal.Detach()).DetachFromScope();
        _cIm = scope.Keep(layer.CImag.Detach()).DetachFromScope();
        _d = scope.Keep(layer.D.Detach()).DetachFromScope();
        _xRe = Tensor.Zeros([batch, layer.Channels, layer.Modes], aRe.DType, aRe.Device).DetachFromScope();
        _xIm = Tensor.Zeros([batch, layer.Channels, layer.Modes], aRe.DType, aRe.Device).DetachFromScope();
    }

    /// <summary>The state x as (Re, Im), each [batch, H, M] (owned by the stepper).</summary>
    public (Tensor Real, Tensor Imag) State => (_xRe, _xIm);

    /// <summary>max |x| over the batch, channels and modes (complex magnitude); +∞ once any entry is not finite.</summary>
    public double MaxStateMagnitude()
    {
        using var scope = NewScope();
        double max = (_xRe.Square() + _xIm.Square()).Max().Double().Sqrt().Item<double>();
        return double.IsFinite(max) ? max : double.PositiveInfinity;
    }

    /// <summary>One step: u_k [batch, H] → y_k [batch, H].</summary>
    public Tensor Step(Tensor u)
    {
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var input = u.Unsqueeze(-1);                                               // [batch, H, 1]
        var xRe = _aRe * _xRe - _aIm * _xIm + _bRe * input;                        // Ā x + B̄ u
        var xIm = _aRe * _xIm + _aIm * _xRe + _bIm * input;
        _xRe.Dispose();
        _xIm.Dispose();
        _xRe = scope.Keep(xRe).DetachFromScope();
        _xIm = scope.Keep(xIm).DetachFromScope();
        var y = (_cRe * _xRe - _cIm * _xIm).Sum(dim: 2) * 2.0 + _d * u;           // 2 Re(C x) + D u: [batch, H]
        return scope.Keep(y);
    }

    /// <summary>Frees the state and the weight snapshots.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { _aRe, _aIm, _bRe, _bIm, _cRe, _cIm, _d, _xRe, _xIm }) t.Dispose();
    }
}
