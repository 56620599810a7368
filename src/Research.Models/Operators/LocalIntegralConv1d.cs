using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Operators;

/// <summary>
/// A convolution converted into a neural operator (Berner et al., 2025, "Principled Approaches for Extending Neural
/// Architectures to Function Spaces for Operator Learning"): the kernel is a function of the physical displacement r with
/// a fixed physical support, not a list of taps one grid point apart, and the layer is the integral operator
/// <code>
///   (K v)(x) = ∫ κ(r) v(x + r) dr + b,   κ(r) = (1/s) Σ_j w_j φ((r − j·s)/s),   s = dilation·h₀,  h₀ = 1/referencePoints
/// </code>
/// with φ the hat function (κ interpolates the taps w_j linearly between nodes s apart, and ∫κ = Σ_j w_j as for the
/// dilated convolution it replaces). On a periodic grid of n points the integral is the rectangle rule with weight
/// h = 1/n, so the discrete kernel is c_m = h·κ(m·h): on the reference grid with dilation 1 this is exactly a circular
/// Conv1d with taps w (cross-correlation, as PyTorch's), and on a finer grid the same weights give the same operator
/// sampled more densely — its taps shrink and multiply, instead of the receptive field shrinking as a grid-unit
/// convolution's does. The weights [out, in, kernel] and bias [out] are named
/// and initialised as <see cref="Conv1d"/>'s. Applied by FFT (circular cross-correlation), so the cost does not grow
/// with the number of taps.
/// </summary>
public sealed class LocalIntegralConv1d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; taps are s = <paramref name="dilation"/>/<paramref name="referencePoints"/> apart in x ∈ [0, 1).</summary>
    public LocalIntegralConv1d(long inChannels, long outChannels, int kernelSize, int dilation, int referencePoints,
        DType? dtype = null, Device? device = null)
    {
        if (kernelSize < 1 || kernelSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "the kernel size must be odd (centred taps)");
        if (dilation < 1) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "the dilation must be at least 1");
        if (referencePoints < 1) throw new ArgumentOutOfRangeException(nameof(referencePoints), referencePoints, "the reference grid needs points");
        KernelSize = kernelSize;
        Dilation = dilation;
        ReferencePoints = referencePoints;
        if (HalfSupport >= 0.5)
            throw new ArgumentException($"the kernel's support ±{HalfSupport:G4} must lie inside the periodic unit interval (±0.5)", nameof(dilation));
        var conv = new Conv1d(inChannels, outChannels, kernelSize, dtype: dtype, device: device);   // Conv1d's initialisation
        Weight = NewParameter([outChannels, inChannels, kernelSize], dtype, device);
        Bias = NewParameter([outChannels], dtype, device);
        using (NoGrad())
        {
            Weight.Copy_(conv.Weight);
            Bias.Copy_(conv.Bias!);
        }
        conv.Dispose();
    }

    /// <summary>Taps w_j [out, in, kernel] (the values of s·κ at the nodes).</summary>
    public Parameter Weight { get; }

    /// <summary>Bias b [out].</summary>
    public Parameter Bias { get; }

    /// <summary>Number of nodes (odd).</summary>
    public int KernelSize { get; }

    /// <summary>Node spacing in reference grid points.</summary>
    public int Dilation { get; }

    /// <summary>The grid on which a node spacing of one tap is one grid point (the training resolution).</summary>
    public int ReferencePoints { get; }

    /// <summary>Node spacing s in x.</summary>
    public double NodeSpacing => (double)Dilation / ReferencePoints;

    /// <summary>κ vanishes for |r| ≥ ((kernel − 1)/2 + 1)·s.</summary>
    public double HalfSupport => ((KernelSize - 1) / 2 + 1) * NodeSpacing;

    /// <summary>
    /// The interpolation weights B [kernel, n]: c_m = Σ_j w_j B_jm for the offset m·h wrapped into [−½, ½), with
    /// B_jm = (h/s)·φ((m·h − j·s)/s).
    /// </summary>
    public Tensor Basis(long n, DType dtype, Device device)
    {
        using var scope = NewScope();
        var offsets = Tensor.Arange(n, dtype, device);
        offsets = Tensor.Where(offsets >= n / 2.0, offsets - n, offsets) / n;                         // m·h in [−½, ½): [n]
        var nodes = (Tensor.Arange(KernelSize, dtype, device) - (KernelSize - 1) / 2) * NodeSpacing;   // j·s: [kernel]
        var hat = (1 - ((offsets.Unsqueeze(0) - nodes.Unsqueeze(1)).Abs() / NodeSpacing)).Relu();
        return scope.Keep(hat * (1.0 / (n * NodeSpacing)));                                             // [kernel, n]
    }

    /// <summary>The discrete kernel c [out, in, n] on the periodic grid of n points, indexed by offset m (wrapped).</summary>
    public Tensor Taps(long n)
    {
        using var scope = NewScope();
        using var basis = Basis(n, Weight.DType, Weight.Device);
        return scope.Keep(Tensor.Einsum("oik,km->oim", Weight, basis));
    }

    /// <summary>v [batch, in, n] → K v [batch, out, n]: y_i = Σ_m c_m v_{i+m} + b (circular).</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim != 3 || input.Size(1) != Weight.Size(1))
            throw new ArgumentException($"LocalIntegralConv1d: expected input [batch, {Weight.Size(1)}, points], got {input.ShapeString}", nameof(input));
        using var scope = NewScope();
        long n = input.Size(2);
        var spectrum = Fft.RFFT(input, dim: -1);                                         // [batch, in, n/2+1]
        var kernel = Fft.RFFT(Taps(n), dim: -1).Conj();                                  // cross-correlation: conj(ĉ)
        var mixed = Tensor.Einsum("bik,oik->bok", spectrum, kernel);                     // [batch, out, n/2+1]
        return scope.Keep(Fft.IRFFT(mixed, n: n, dim: -1) + Bias.Unsqueeze(-1));
    }

    protected override string ExtraRepr() =>
        $"{Weight.Size(1)}, {Weight.Size(0)}, kernel_size={KernelSize}, dilation={Dilation}, reference_points={ReferencePoints}";
}
