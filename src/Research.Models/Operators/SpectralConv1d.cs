using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Operators;

/// <summary>
/// The Fourier integral operator of a Fourier neural operator layer (Li et al., 2021; Berner et al., 2025), in 1-D:
/// a convolution with a kernel whose Fourier series is truncated to its lowest <see cref="Modes"/> frequencies and
/// learned directly in Fourier space,
/// <code>
///   (K v)(x) = F⁻¹[ R(k) · (F v)(k) ](x),   R(k) ∈ ℂ^(out × in) for k = 0 … modes−1,  R(k) = 0 above
/// </code>
/// computed on a periodic grid of n points x_j = j/n by rFFT → multiply the lowest modes by the complex weights
/// (<c>einsum("bik,iok->bok")</c>) → zero-padded inverse rFFT. With the unnormalised forward FFT and the 1/n inverse
/// the layer maps a function to a function: the rFFT of n samples of v is n times v's Fourier coefficients, the inverse
/// divides by n again, so the weights act on Fourier coefficients and mean the same thing at every resolution. On a
/// band-limited input (no content at or above n/2) the output on a finer grid is exactly the finer sampling of the
/// output on the coarser grid (the layer is discretisation-invariant); on any grid it commutes with circular shifts.
/// <para>
/// The weights are stored as a real parameter [in, out, modes, 2] (real and imaginary parts) so that every optimiser
/// treats them as ordinary real parameters; <see cref="ComplexWeight"/> views them as complex [in, out, modes].
/// Mode 0 (the mean) acts on a real coefficient and only the real part of its output is kept by the inverse rFFT.
/// The grid must have at least 2·modes points, so that every learned mode lies strictly below the Nyquist frequency.
/// This layer has no bias and no pointwise path; <see cref="FourierLayer1d"/> adds them.
/// </para>
/// </summary>
public sealed class SpectralConv1d : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the layer. Real and imaginary parts of every weight are drawn from U(−b, b) with b = 1/√(in·out), so that
    /// E|R_oi(k)|² = 2/(3·in·out): small next to the pointwise path at initialisation, the usual choice for FNO.
    /// </summary>
    public SpectralConv1d(long inChannels, long outChannels, int modes, DType? dtype = null, Device? device = null)
    {
        if (inChannels < 1 || outChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), $"channels must be positive, got {inChannels} → {outChannels}");
        if (modes < 1) throw new ArgumentOutOfRangeException(nameof(modes), modes, "keep at least one Fourier mode");
        if (dtype is { } t && t is not (DType.Float32 or DType.Float64)) throw new ArgumentException($"the weights must be float32 or float64, got {t}", nameof(dtype));
        InChannels = inChannels;
        OutChannels = outChannels;
        Modes = modes;
        Weight = NewParameter([inChannels, outChannels, modes, 2], dtype, device);
        double bound = 1.0 / Math.Sqrt(inChannels * outChannels);
        Init.Uniform_(Weight, -bound, bound);
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>How many of the lowest Fourier modes (0 … modes−1) carry learned weights.</summary>
    public int Modes { get; }

    /// <summary>R as real and imaginary parts: [in, out, modes, 2].</summary>
    public Parameter Weight { get; }

    /// <summary>R as a complex view of <see cref="Weight"/>: [in, out, modes] (shares its storage and its gradient).</summary>
    public Tensor ComplexWeight => Weight.ViewAsComplex();

    /// <summary>The smallest grid the layer accepts: 2·modes points.</summary>
    public long MinimumPoints => 2L * Modes;

    /// <summary>v [batch, in, n] → K v [batch, out, n] on the periodic grid of n ≥ 2·modes points.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim != 3 || input.Size(1) != InChannels)
            throw new ArgumentException($"SpectralConv1d: expected input [batch, {InChannels}, points], got {input.ShapeString}", nameof(input));
        long n = input.Size(2);
        if (n < MinimumPoints)
            throw new ArgumentException($"SpectralConv1d: a grid of {n} points resolves modes below {(n + 1) / 2} only; {Modes} modes need at least {MinimumPoints} points", nameof(input));
        if (input.DType != Weight.DType)
            throw new ArgumentException($"SpectralConv1d: input is {input.DType} but the weights are {Weight.DType}", nameof(input));
        using var scope = NewScope();
        var spectrum = Fft.RFFT(input, dim: -1).Narrow(-1, 0, Modes);                    // [batch, in, modes] complex
        var mixed = Tensor.Einsum("bik,iok->bok", spectrum, ComplexWeight);               // [batch, out, modes]
        return scope.Keep(Fft.IRFFT(mixed, n: n, dim: -1));                               // zero above the learned modes
    }

    /// <summary>|R(k)|: the magnitude of every complex weight, [in, out, modes], detached.</summary>
    public Tensor WeightMagnitudes()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        return scope.Keep(ComplexWeight.Abs());
    }

    protected override string ExtraRepr() => $"{InChannels}, {OutChannels}, modes={Modes}";
}
