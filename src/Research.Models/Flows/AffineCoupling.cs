using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// Affine coupling (RealNVP; WaveGlow, FloWaveNet): the channels split into halves x_a, x_b; a
/// <see cref="NonCausalWaveNet"/> reads x_a and the conditioning c and returns a log-scale and a shift for x_b,
/// <code>
///   (log s, t) = WN(x_a, c)
///   y_a = x_a,   y_b = s ⊙ x_b + t,          log |det ∂y/∂x| = Σ log s
///   x_b = (y_b − t) ⊙ exp(−log s)            the inverse evaluates WN on y_a = x_a, so it is exact
/// </code>
/// The Jacobian is triangular (x_b never feeds WN), which is why its log-determinant is the sum of log s. With
/// <see cref="SwapHalves"/> the output is (y_b, y_a), FloWaveNet's change of order, so the next coupling transforms the
/// half this one kept. WN's last layer starts at zero: the layer starts as the identity (or the swap).
/// </summary>
public sealed class AffineCoupling : FlowLayer
{
    /// <summary>Creates the coupling on <paramref name="channels"/> (even) channels with a WN of the given width and depth.</summary>
    public AffineCoupling(long channels, long conditionChannels, int residualChannels, int layers, int kernelSize = 3, bool swapHalves = false,
        DType? dtype = null, Device? device = null)
    {
        if (channels < 2 || channels % 2 != 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "coupling splits an even number of channels");
        Channels = channels;
        SwapHalves = swapHalves;
        Net = new NonCausalWaveNet(channels / 2, channels, conditionChannels, residualChannels, layers, kernelSize, dtype, device);
    }

    /// <summary>Channels C (x_a and x_b have C/2 each).</summary>
    public long Channels { get; }

    /// <summary>Whether the output is (y_b, y_a) instead of (y_a, y_b).</summary>
    public bool SwapHalves { get; }

    /// <summary>WN: x_a, c → (log s, t), [batch, C, T].</summary>
    public NonCausalWaveNet Net { get; }

    /// <inheritdoc />
    public override (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null)
    {
        if (x.Dim != 3 || x.Size(1) != Channels)
            throw new ArgumentException($"AffineCoupling: expected x [batch, {Channels}, time], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var halves = x.Chunk(2, 1);                                                     // x_a, x_b: [batch, C/2, T]
        var (logS, t) = ScaleShift(halves[0], condition);
        var yB = logS.Exp() * halves[1] + t;
        var y = SwapHalves ? Tensor.Cat([yB, halves[0]], 1) : Tensor.Cat([halves[0], yB], 1);
        var logDet = logS.Sum([1, 2]);                                                  // [batch]
        scope.Keep(y, logDet);
        return (y, logDet);
    }

    /// <inheritdoc />
    public override Tensor Inverse(Tensor y, Tensor? condition = null)
    {
        using var scope = NewScope();
        var halves = y.Chunk(2, 1);
        var (yA, yB) = SwapHalves ? (halves[1], halves[0]) : (halves[0], halves[1]);
        var (logS, t) = ScaleShift(yA, condition);
        return scope.Keep(Tensor.Cat([yA, (yB - t) * (-logS).Exp()], 1));
    }

    private (Tensor LogS, Tensor Shift) ScaleShift(Tensor xA, Tensor? condition)
    {
        var st = Net.Forward(xA, condition).Chunk(2, 1);                               // [batch, C/2, T] each
        return (st[0], st[1]);
    }
}
