using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Operators;

/// <summary>The shape of a <see cref="ConvolutionalBaseline"/>.</summary>
/// <param name="InChannels">Channels of the input field.</param>
/// <param name="OutChannels">Channels of the output field.</param>
/// <param name="Width">Hidden channels.</param>
/// <param name="KernelSize">Taps of every hidden convolution, in grid points (odd).</param>
/// <param name="Layers">Hidden convolutions.</param>
/// <param name="ProjectionWidth">Hidden channels of the pointwise projection.</param>
/// <param name="DilationGrowth">Layer ℓ has dilation DilationGrowth^ℓ (1: plain convolutions; 2: 1, 2, 4, … as in WaveNet).</param>
/// <param name="ReferencePoints">Null: kernels in grid units (the plain CNN). A grid size n₀: the network converted into a
/// neural operator, every convolution a <see cref="LocalIntegralConv1d"/> whose taps lie dilation/n₀ apart in x on any grid.</param>
public sealed record ConvolutionalBaselineConfig(
    int InChannels = 1,
    int OutChannels = 1,
    int Width = 48,
    int KernelSize = 5,
    int Layers = 5,
    int ProjectionWidth = 64,
    int DilationGrowth = 2,
    int? ReferencePoints = null)
{
    /// <summary>The dilation of every hidden convolution in order.</summary>
    public int[] Dilations => Enumerable.Range(0, Layers).Select(l => (int)Math.Pow(DilationGrowth, l)).ToArray();

    /// <summary>Grid points that one output value depends on: 1 + (kernel − 1)·Σ dilations.</summary>
    public int ReceptiveField => 1 + (KernelSize - 1) * Dilations.Sum();
}

/// <summary>
/// A plain convolutional network from fields to fields, the discretisation-dependent counterpart of a
/// <see cref="FourierNeuralOperator"/>: the same pointwise lifting and projection, but each Fourier layer replaced by a
/// convolution whose kernel spans a fixed number of grid points,
/// <code>
///   v_0 = P a,   v_{ℓ+1} = σ(C_ℓ ⊛ v_ℓ + b_ℓ) (no σ after the last),   u = Q v_L
/// </code>
/// with circular padding (the domain is periodic) and σ = GELU. Its kernels are tied to the grid spacing: on a grid
/// r times finer the same weights see a neighbourhood r times narrower and act as different operators (a learned finite
/// difference stencil scaled by the wrong h). Evaluating it at a new resolution with the same weights is therefore the
/// honest zero-shot test of a CNN.
/// <para>
/// With <see cref="ConvolutionalBaselineConfig.ReferencePoints"/> set, the same network is converted into a neural
/// operator by the recipe of Berner et al. (2025): each convolution becomes a <see cref="LocalIntegralConv1d"/>, an
/// integral operator whose kernel has a fixed physical support (the taps are placed dilation/n₀ apart in x and
/// interpolated between), with the same parameters; lifting, projection and GELU are pointwise and stay as they are.
/// </para>
/// </summary>
public sealed class ConvolutionalBaseline : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public ConvolutionalBaseline(ConvolutionalBaselineConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new ConvolutionalBaselineConfig();
        var c = Config;
        if (c.KernelSize < 1 || c.KernelSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(config), c.KernelSize, "the kernel size must be odd (centred taps)");
        if (c.Layers < 1) throw new ArgumentOutOfRangeException(nameof(config), c.Layers, "need at least one convolution");
        Lift = new Conv1d(c.InChannels, c.Width, 1, dtype: dtype, device: device);
        if (c.DilationGrowth < 1) throw new ArgumentOutOfRangeException(nameof(config), c.DilationGrowth, "the dilation growth must be at least 1");
        Convolutions = c.Dilations.Select(d => c.ReferencePoints is { } n0
                ? (Module<Tensor, Tensor>)new LocalIntegralConv1d(c.Width, c.Width, c.KernelSize, d, n0, dtype, device)
                : new Conv1d(c.Width, c.Width, c.KernelSize, padding: Padding.Same, dilation: d, paddingMode: PaddingMode.Circular, dtype: dtype, device: device))
            .ToArray();
        ProjectHidden = new Conv1d(c.Width, c.ProjectionWidth, 1, dtype: dtype, device: device);
        ProjectOut = new Conv1d(c.ProjectionWidth, c.OutChannels, 1, dtype: dtype, device: device);
    }

    /// <summary>The shape.</summary>
    public ConvolutionalBaselineConfig Config { get; }

    /// <summary>P: the pointwise lifting.</summary>
    public Conv1d Lift { get; }

    /// <summary>The hidden convolutions C_ℓ: <see cref="Conv1d"/> in grid units, <see cref="LocalIntegralConv1d"/> once converted.</summary>
    public Module<Tensor, Tensor>[] Convolutions { get; }

    /// <summary>The first pointwise layer of Q (followed by GELU).</summary>
    public Conv1d ProjectHidden { get; }

    /// <summary>The last pointwise layer of Q.</summary>
    public Conv1d ProjectOut { get; }

    /// <summary>a [batch, in, n] (or [batch, n] when in = 1) → u [batch, out, n] (or [batch, n] when out = 1 and the input was 2-D).</summary>
    public override Tensor Forward(Tensor input)
    {
        bool flat = input.Dim == 2;
        if (flat && Config.InChannels != 1)
            throw new ArgumentException($"ConvolutionalBaseline: a [batch, points] input needs InChannels = 1, the network has {Config.InChannels}", nameof(input));
        if (!flat && (input.Dim != 3 || input.Size(1) != Config.InChannels))
            throw new ArgumentException($"ConvolutionalBaseline: expected input [batch, {Config.InChannels}, points], got {input.ShapeString}", nameof(input));
        using var scope = NewScope();
        var v = Lift.Forward(flat ? input.Unsqueeze(1) : input);
        for (int l = 0; l < Convolutions.Length; l++)
        {
            v = Convolutions[l].Forward(v);
            if (l < Convolutions.Length - 1) v = v.Gelu();
        }
        var u = ProjectOut.Forward(ProjectHidden.Forward(v).Gelu());
        return scope.Keep(flat && Config.OutChannels == 1 ? u.Squeeze(1) : u);
    }
}
