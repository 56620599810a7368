using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.ImplicitNeural;

/// <summary>
/// One SIREN layer (Sitzmann et al., 2020): y = sin(ω₀ (W x + b)).
/// Initialisation (the paper's Sec. 3.2): the first layer draws W ~ U(−1/n, 1/n); every later layer draws
/// W ~ U(−√(6/n)/ω₀, √(6/n)/ω₀), so that ω₀ W x is ≈ N(0, 1) when x follows the arcsine distribution of the
/// previous sine layer (variance ½) — activations keep the same statistics at every depth. n = fan-in;
/// biases keep PyTorch's default U(−1/√n, 1/√n), as in the authors' code.
/// </summary>
public sealed class SineLayer : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with the SIREN initialisation for its position (first or hidden).</summary>
    public SineLayer(long inFeatures, long outFeatures, double omega0 = 30, bool isFirst = false, DType? dtype = null, Device? device = null)
    {
        Omega0 = omega0;
        IsFirst = isFirst;
        Linear = new Linear(inFeatures, outFeatures, dtype: dtype, device: device);
        Init.Uniform_(Linear.Weight, -WeightBound(inFeatures, omega0, isFirst), WeightBound(inFeatures, omega0, isFirst));
    }

    /// <summary>The frequency factor ω₀ (30 in the paper).</summary>
    public double Omega0 { get; }

    /// <summary>True for the layer that reads the coordinates.</summary>
    public bool IsFirst { get; }

    /// <summary>The affine map W x + b.</summary>
    public Linear Linear { get; }

    /// <summary>The bound c of W ~ U(−c, c): 1/n for the first layer, √(6/n)/ω₀ after it.</summary>
    public static double WeightBound(long fanIn, double omega0, bool isFirst) =>
        isFirst ? 1.0 / fanIn : Math.Sqrt(6.0 / fanIn) / omega0;

    /// <summary>The pre-activation ω₀ (W x + b). [..., in] → [..., out].</summary>
    public Tensor PreActivation(Tensor x)
    {
        using var affine = Linear.Forward(x);
        return affine * Omega0;
    }

    /// <summary>sin(ω₀ (W x + b)). [..., in] → [..., out].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var z = PreActivation(x);
        return z.Sin();
    }

    protected override string ExtraRepr() => $"omega0={Omega0}, first={IsFirst}";
}

/// <summary>
/// SIREN: a coordinate MLP with sine activations, Φ(x) = W_L (φ_{L−1} ∘ … ∘ φ_0)(x) + b_L with φ_i = sin(ω₀(W_i x + b_i)).
/// Its derivatives are again SIRENs (sin' = cos = shifted sin), so losses on ∇Φ or ΔΦ train it as well as losses
/// on Φ; <see cref="Gradient"/> and <see cref="Laplacian"/> build them with double backward.
/// </summary>
public sealed class Siren : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates <paramref name="hiddenLayers"/> + 1 sine layers of width <paramref name="hiddenFeatures"/> and a linear output
    /// (initialised like a hidden sine layer, as in the paper).
    /// </summary>
    public Siren(long inFeatures, long hiddenFeatures, int hiddenLayers, long outFeatures,
        double firstOmega0 = 30, double hiddenOmega0 = 30, DType? dtype = null, Device? device = null)
    {
        Layers = new SineLayer[hiddenLayers + 1];
        Layers[0] = new SineLayer(inFeatures, hiddenFeatures, firstOmega0, isFirst: true, dtype, device);
        for (int i = 1; i <= hiddenLayers; i++) Layers[i] = new SineLayer(hiddenFeatures, hiddenFeatures, hiddenOmega0, isFirst: false, dtype, device);
        Output = new Linear(hiddenFeatures, outFeatures, dtype: dtype, device: device);
        var bound = SineLayer.WeightBound(hiddenFeatures, hiddenOmega0, isFirst: false);
        Init.Uniform_(Output.Weight, -bound, bound);
    }

    /// <summary>The sine layers φ_0 … φ_{L−1}.</summary>
    public SineLayer[] Layers { get; }

    /// <summary>The final linear layer W_L, b_L.</summary>
    public Linear Output { get; }

    /// <summary>Coordinates [..., in] → values [..., out].</summary>
    public override Tensor Forward(Tensor coordinates)
    {
        using var scope = NewScope();
        var h = coordinates;
        foreach (var layer in Layers) h = layer.Forward(h);
        return scope.Keep(Output.Forward(h));
    }

    /// <summary>The activations of every sine layer for <paramref name="coordinates"/> (for initialisation diagnostics).</summary>
    public Tensor[] Activations(Tensor coordinates)
    {
        var result = new Tensor[Layers.Length];
        var h = coordinates;
        for (int i = 0; i < Layers.Length; i++) h = result[i] = Layers[i].Forward(h);
        return result;
    }

    /// <summary>
    /// ∇ₓ y for a scalar field y [N, 1] of coordinates x [N, d] (x must require grad) → [N, d]. The result keeps its
    /// graph (create_graph), so a loss on it trains the network through double backward.
    /// </summary>
    public static Tensor Gradient(Tensor y, Tensor x)
    {
        using var ones = y.OnesLike();
        return Autograd.Grad([y], [x], [ones], createGraph: true)[0]
               ?? throw new InvalidOperationException("the output does not depend on the coordinates");
    }

    /// <summary>Δy = Σ_i ∂²y/∂x_i² for a scalar field y [N, 1] of x [N, d] → [N, 1], differentiable again.</summary>
    public static Tensor Laplacian(Tensor y, Tensor x)
    {
        using var scope = NewScope();
        var grad = Gradient(y, x);                                          // [N, d]
        Tensor? sum = null;
        for (long i = 0; i < x.Size(-1); i++)
        {
            var second = Gradient(grad.Narrow(-1, i, 1), x).Narrow(-1, i, 1);   // ∂²y/∂x_i²: [N, 1]
            sum = sum is null ? second : sum + second;
        }
        return scope.Keep(sum!);
    }

    /// <summary>A regular grid of <paramref name="height"/> × <paramref name="width"/> coordinates in [−1, 1]², row-major, as [H·W, 2] (row, column).</summary>
    public static Tensor Grid(int height, int width, DType? dtype = null, Device? device = null)
    {
        using var scope = NewScope();
        var rows = Tensor.Linspace(-1, 1, height, dtype, device);
        var cols = Tensor.Linspace(-1, 1, width, dtype, device);
        var mesh = Tensor.Meshgrid([rows, cols], "ij");
        return scope.Keep(Tensor.Stack([mesh[0], mesh[1]], -1).Reshape(-1, 2));
    }

    /// <summary>Peak signal-to-noise ratio in dB of a prediction for a target whose values span <paramref name="range"/> (2 for [−1, 1]).</summary>
    public static double Psnr(Tensor prediction, Tensor target, double range = 2)
    {
        using var scope = NewScope();
        var mse = (prediction - target).Square().Mean().Item<double>();
        return 10 * Math.Log10(range * range / mse);
    }
}
