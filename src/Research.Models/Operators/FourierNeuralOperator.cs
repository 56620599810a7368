using System.Text;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Operators;

/// <summary>The shape of a 1-D <see cref="FourierNeuralOperator"/>.</summary>
/// <param name="InChannels">Channels of the input function a(x) (1 for a scalar field).</param>
/// <param name="OutChannels">Channels of the output function u(x).</param>
/// <param name="Width">Channels of the hidden functions v_ℓ(x).</param>
/// <param name="Modes">Fourier modes kept by every <see cref="SpectralConv1d"/>.</param>
/// <param name="Layers">Fourier layers between the lifting and the projection.</param>
/// <param name="ProjectionWidth">Hidden channels of the pointwise projection Q.</param>
public sealed record FourierNeuralOperatorConfig(
    int InChannels = 1,
    int OutChannels = 1,
    int Width = 32,
    int Modes = 16,
    int Layers = 4,
    int ProjectionWidth = 64)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"InChannels = {InChannels}, OutChannels = {OutChannels}, Width = {Width}, Modes = {Modes}, Layers = {Layers}, ProjectionWidth = {ProjectionWidth}");
        return true;
    }
}

/// <summary>
/// One Fourier layer: v ↦ σ(K v + W v + b), the integral operator <see cref="SpectralConv1d"/> K plus a pointwise
/// linear map W (a 1×1 convolution with bias b; the "local" path that also carries what lies above the truncated
/// modes). Both paths are defined for functions rather than for a grid: W acts at every point alone, K on Fourier
/// coefficients. σ is GELU; the last layer of a <see cref="FourierNeuralOperator"/> has none.
/// </summary>
public sealed class FourierLayer1d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer for <paramref name="channels"/> → <paramref name="channels"/>.</summary>
    public FourierLayer1d(long channels, int modes, bool activation = true, DType? dtype = null, Device? device = null)
    {
        Spectral = new SpectralConv1d(channels, channels, modes, dtype, device);
        Pointwise = new Conv1d(channels, channels, 1, dtype: dtype, device: device);
        Activation = activation;
    }

    /// <summary>K: the truncated Fourier convolution.</summary>
    public SpectralConv1d Spectral { get; }

    /// <summary>W, b: the pointwise linear path.</summary>
    public Conv1d Pointwise { get; }

    /// <summary>True when σ = GELU follows the sum.</summary>
    public bool Activation { get; }

    /// <summary>v [batch, channels, n] → σ(K v + W v + b) [batch, channels, n].</summary>
    public override Tensor Forward(Tensor input)
    {
        using var scope = NewScope();
        var sum = Spectral.Forward(input) + Pointwise.Forward(input);
        return scope.Keep(Activation ? sum.Gelu() : sum);
    }

    protected override string ExtraRepr() => $"activation={(Activation ? "gelu" : "none")}";
}

/// <summary>
/// The Fourier neural operator (Li et al., 2021, "Fourier Neural Operator for Parametric Partial Differential
/// Equations"; the recipe of Berner et al., 2025, "Principled Approaches for Extending Neural Architectures to Function
/// Spaces for Operator Learning"), in 1-D on a periodic domain:
/// <code>
///   v_0     = P a                 pointwise lifting (1×1)                 [batch, width, n]
///   v_{ℓ+1} = σ(K_ℓ v_ℓ + W_ℓ v_ℓ) Fourier layers (no σ after the last)   [batch, width, n]
///   u       = Q v_L               pointwise projection width → p → out    [batch, out, n]
/// </code>
/// Every part is either pointwise or acts on a fixed number of Fourier coefficients, so the parameters define a map
/// between functions and the same network evaluates on any grid of at least 2·modes points — trained at one resolution,
/// it can be queried zero-shot at another. With no coordinate channel in the input the network commutes with circular
/// shifts, as the solution operator of a periodic, homogeneous PDE does.
/// </summary>
public sealed class FourierNeuralOperator : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/> (defaults: width 32, 16 modes, 4 layers).</summary>
    public FourierNeuralOperator(FourierNeuralOperatorConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new FourierNeuralOperatorConfig();
        var c = Config;
        if (c.Layers < 1) throw new ArgumentOutOfRangeException(nameof(config), c.Layers, "need at least one Fourier layer");
        Lift = new Conv1d(c.InChannels, c.Width, 1, dtype: dtype, device: device);
        Layers = Enumerable.Range(0, c.Layers)
            .Select(l => new FourierLayer1d(c.Width, c.Modes, activation: l < c.Layers - 1, dtype, device)).ToArray();
        ProjectHidden = new Conv1d(c.Width, c.ProjectionWidth, 1, dtype: dtype, device: device);
        ProjectOut = new Conv1d(c.ProjectionWidth, c.OutChannels, 1, dtype: dtype, device: device);
    }

    /// <summary>The shape.</summary>
    public FourierNeuralOperatorConfig Config { get; }

    /// <summary>P: the pointwise lifting to <see cref="FourierNeuralOperatorConfig.Width"/> channels.</summary>
    public Conv1d Lift { get; }

    /// <summary>The Fourier layers.</summary>
    public FourierLayer1d[] Layers { get; }

    /// <summary>The first pointwise layer of Q (followed by GELU).</summary>
    public Conv1d ProjectHidden { get; }

    /// <summary>The last pointwise layer of Q.</summary>
    public Conv1d ProjectOut { get; }

    /// <summary>The smallest grid the network accepts: 2·modes points.</summary>
    public long MinimumPoints => 2L * Config.Modes;

    /// <summary>a [batch, in, n] (or [batch, n] when in = 1) → u [batch, out, n] (or [batch, n] when out = 1 and the input was 2-D).</summary>
    public override Tensor Forward(Tensor input)
    {
        bool flat = input.Dim == 2;
        if (flat && Config.InChannels != 1)
            throw new ArgumentException($"FourierNeuralOperator: a [batch, points] input needs InChannels = 1, the network has {Config.InChannels}", nameof(input));
        if (!flat && (input.Dim != 3 || input.Size(1) != Config.InChannels))
            throw new ArgumentException($"FourierNeuralOperator: expected input [batch, {Config.InChannels}, points], got {input.ShapeString}", nameof(input));
        using var scope = NewScope();
        var v = Lift.Forward(flat ? input.Unsqueeze(1) : input);
        foreach (var layer in Layers) v = layer.Forward(v);
        var u = ProjectOut.Forward(ProjectHidden.Forward(v).Gelu());
        return scope.Keep(flat && Config.OutChannels == 1 ? u.Squeeze(1) : u);
    }

    /// <summary>Parameters in the spectral weights of all layers (2 reals per complex weight).</summary>
    public long SpectralParameterCount => Layers.Sum(l => l.Spectral.Weight.NumEl);
}
