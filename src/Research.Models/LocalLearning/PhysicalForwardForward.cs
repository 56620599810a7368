using Research.Models.Physics;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.LocalLearning;

/// <summary>
/// A deep physical neural network trained without backpropagation through the physics (Momeni et al., 2023,
/// "Backpropagation-free Training of Deep Physical Neural Networks"): every layer is a black-box physical system — a
/// <see cref="WaveMedium"/> that is never differentiated — followed by a trainable digital projection, trained
/// layer-locally with Hinton's forward-forward objective:
/// <code>
///   s_1 = A tanh(x + λ e_y)                           x padded to the M = N − 2 free points; e_y ∈ {±1}^M a fixed label pattern
///   m_l = norm(log(medium(s_l) + ε))                   the measured intensity, standardised per example (no gradient)
///   h_l = relu(W_l m_l + b_l)                          the only trainable parameters: W_l, b_l
///   s_{l+1} = A tanh(√M h_l / ‖h_l‖)                   the next layer is driven by the direction of h_l (detached)
///   G_l = (1/M) Σ_j h_{l,j}²,   loss_l = softplus(θ − G_l⁺) + softplus(G_l⁻ − θ)       ⁺: the true label, ⁻: a wrong one
///   prediction = arg max_y Σ_l G_l(x, y)
/// </code>
/// With <c>inSilico: true</c> the same network runs through a <see cref="WaveMediumTwin"/> with the graph kept, so it can
/// be trained end to end by backprop (the reference the paper compares with).
/// </summary>
public sealed class PhysicalForwardForward : Module
{
    /// <summary>ε inside the logarithm of the measured intensity.</summary>
    public const double Floor = 1e-4;

    /// <summary>Creates <paramref name="layers"/> physical layers on <paramref name="medium"/> for inputs of <paramref name="features"/> values.</summary>
    /// <param name="medium">The physical system of every layer; its N − 2 free points are the width M.</param>
    /// <param name="features">Input features (≤ M; padded with zeros to M).</param>
    /// <param name="classes">Number of labels.</param>
    /// <param name="layers">Number of physical layers.</param>
    /// <param name="amplitude">A: the largest drive |s| (keeps the explicit scheme stable under the cubic term).</param>
    /// <param name="labelScale">λ: the strength of the embedded label pattern.</param>
    /// <param name="labelSeed">Seed of the fixed ±1 label patterns (drawn with System.Random, so torch's generator is untouched).</param>
    /// <param name="device">Where the projections and patterns live.</param>
    public PhysicalForwardForward(WaveMedium medium, int features, int classes, int layers = 2, double amplitude = 0.4,
        double labelScale = 1.0, int labelSeed = 123, Device? device = null)
    {
        Width = medium.Points - 2;
        if (features > Width) throw new ArgumentOutOfRangeException(nameof(features), features, $"the medium has only {Width} free points");
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "must be ≥ 1");
        (Medium, Twin, Features, Classes, Amplitude, LabelScale) = (medium, new WaveMediumTwin(medium), features, classes, amplitude, labelScale);
        Projections = new Linear[layers];
        for (int l = 0; l < layers; l++) Projections[l] = RegisterModule($"projection_{l}", new Linear(Width, Width, device: device));
        var random = new Random(labelSeed);
        var patterns = Enumerable.Range(0, classes * Width).Select(_ => random.Next(2) == 0 ? -1f : 1f).ToArray();
        using var cpu = Tensor.From(patterns, classes, Width);
        RegisterBuffer("label_patterns", device is { } d ? cpu.To(d) : cpu.Clone());
    }

    /// <summary>The physical system of every layer.</summary>
    public WaveMedium Medium { get; }

    /// <summary>Its differentiable twin (used only in silico).</summary>
    public WaveMediumTwin Twin { get; }

    /// <summary>M = N − 2: the free points of the medium, the width of every layer.</summary>
    public int Width { get; }

    /// <summary>Input features.</summary>
    public int Features { get; }

    /// <summary>Number of labels.</summary>
    public int Classes { get; }

    /// <summary>A, the largest drive.</summary>
    public double Amplitude { get; }

    /// <summary>λ, the strength of the label pattern.</summary>
    public double LabelScale { get; }

    /// <summary>W_1 … W_L, the digital projections after every physical layer.</summary>
    public Linear[] Projections { get; }

    /// <summary>The fixed label patterns e_y [classes, M].</summary>
    public Tensor LabelPatterns => Buffer("label_patterns")!;

    /// <summary>The first drive s_1 = A tanh(x + λ e_y) with fixed ends, [batch, N]; <paramref name="labels"/> null embeds no label.</summary>
    public Tensor Encode(Tensor x, Tensor? labels)
    {
        using var scope = NewScope();
        var drive = F.Pad(x, [0, Width - Features]);                              // [batch, M]
        if (labels is not null) drive = drive + LabelScale * LabelPatterns.IndexSelect(0, labels);
        return scope.Keep(F.Pad(Amplitude * drive.Tanh(), [1, 1]));              // [batch, N]
    }

    /// <summary>The drive of the next layer from activities h [batch, M]: A tanh(√M h / ‖h‖), with fixed ends [batch, N].</summary>
    public Tensor Drive(Tensor h)
    {
        using var scope = NewScope();
        var direction = h / (h.Norm(2, [1], keepDim: true) + 1e-6) * Math.Sqrt(Width);
        return scope.Keep(F.Pad(Amplitude * direction.Tanh(), [1, 1]));
    }

    /// <summary>
    /// m = the standardised log-intensity at the free points [batch, M] of the medium driven by <paramref name="drive"/> [batch, N]:
    /// measured on the physical medium (no gradient), or through the twin with the graph kept when <paramref name="inSilico"/>.
    /// </summary>
    public Tensor Measure(Tensor drive, bool inSilico = false)
    {
        using var scope = NewScope();
        var intensity = (inSilico ? Twin.Forward(drive) : Medium.Run(drive)).Narrow(1, 1, Width);
        var log = (intensity + Floor).Log();
        var standardised = (log - log.Mean(1, keepDim: true)) / (log.Std(1, keepDim: true) + 1e-6);
        return scope.Keep(standardised);
    }

    /// <summary>
    /// The activities h_1 … h_L [batch, M] from the first layer's measurement m_1 [batch, M]. Forward-forward mode: each
    /// layer's drive is detached and its medium measured without gradient, so a loss on h_l reaches only W_l, b_l.
    /// In silico: every medium is the twin and the graph runs through all layers.
    /// </summary>
    public Tensor[] Activities(Tensor firstMeasurement, bool inSilico = false)
    {
        var h = new Tensor[Projections.Length];
        var m = firstMeasurement;
        for (int l = 0; l < h.Length; l++)
        {
            if (l > 0) m = inSilico ? Measure(Drive(h[l - 1]), inSilico: true) : Measure(Drive(h[l - 1].Detach()));
            h[l] = Projections[l].Forward(m).Relu();
        }
        return h;
    }

    /// <summary>G = (1/M) Σ_j h_j², the sum of squared activities per unit (so θ does not scale with the width): [batch, M] → [batch].</summary>
    public static Tensor Goodness(Tensor h) => h.Square().Mean(1);

    /// <summary>The forward-forward loss of one layer: mean softplus(θ − G⁺) + mean softplus(G⁻ − θ).</summary>
    public static Tensor LayerLoss(Tensor positive, Tensor negative, double threshold)
    {
        using var scope = NewScope();
        return scope.Keep((threshold - positive).Softplus().Mean() + (negative - threshold).Softplus().Mean());
    }

    /// <summary>Σ_l G_l(x, y) for every label y, from the first layer's measurements of every label [classes, batch, M]: → [batch, classes].</summary>
    public Tensor LabelGoodness(Tensor firstMeasurements)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        long classes = firstMeasurements.Size(0), batch = firstMeasurements.Size(1);
        var total = Activities(firstMeasurements.Reshape(classes * batch, Width)).Select(Goodness).Aggregate((a, b) => a + b);
        return scope.Keep(total.View(classes, batch).T.Contiguous());
    }
}
