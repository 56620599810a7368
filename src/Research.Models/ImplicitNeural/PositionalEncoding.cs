using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.ImplicitNeural;

/// <summary>
/// The positional encoding of NeRF (Mildenhall et al., 2020), the "ReLU P.E." baseline of the SIREN paper: every
/// coordinate p is mapped to
/// <code>
///   γ(p) = (p, sin(2⁰πp), cos(2⁰πp), …, sin(2^(L−1)πp), cos(2^(L−1)πp))
/// </code>
/// so that a ReLU MLP reading γ(x) sees Fourier features up to frequency 2^(L−1)/2 cycles per unit. Output layout for
/// x [..., d]: [x, sin(π x), cos(π x), sin(2π x), cos(2π x), …], i.e. d·(1 + 2L) features, each block d wide.
/// No parameters.
/// </summary>
public sealed class PositionalEncoding : Module<Tensor, Tensor>
{
    /// <summary>Encodes <paramref name="inFeatures"/> coordinates with <paramref name="frequencies"/> octaves L.</summary>
    public PositionalEncoding(long inFeatures, int frequencies)
    {
        if (inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "need at least one coordinate");
        if (frequencies < 0) throw new ArgumentOutOfRangeException(nameof(frequencies), frequencies, "the number of octaves cannot be negative");
        InFeatures = inFeatures;
        Frequencies = frequencies;
    }

    /// <summary>d: coordinates per point.</summary>
    public long InFeatures { get; }

    /// <summary>L: octaves 2⁰π … 2^(L−1)π.</summary>
    public int Frequencies { get; }

    /// <summary>d·(1 + 2L).</summary>
    public long OutFeatures => InFeatures * (1 + 2L * Frequencies);

    /// <summary>
    /// The octaves that resolve a grid of <paramref name="points"/> samples on [−1, 1] up to its Nyquist frequency
    /// (points/4 cycles per unit): the smallest L with 2^(L−1)/2 ≥ points/4.
    /// </summary>
    public static int OctavesFor(int points) => 1 + (int)Math.Ceiling(Math.Log2(Math.Max(1, points / 2.0)));

    /// <summary>x [..., d] → γ(x) [..., d·(1 + 2L)].</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Size(-1) != InFeatures)
            throw new ArgumentException($"PositionalEncoding: expected [..., {InFeatures}] coordinates, got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var features = new List<Tensor> { x };
        for (int k = 0; k < Frequencies; k++)
        {
            var phase = x * (Math.PI * (1L << k));
            features.Add(phase.Sin());
            features.Add(phase.Cos());
        }
        return scope.Keep(Tensor.Cat(features.ToArray(), -1));
    }

    protected override string ExtraRepr() => $"in_features={InFeatures}, frequencies={Frequencies}";
}
