using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// Invertible 1×1 convolution (Glow; WaveGlow's channel mixing): every time step's channel vector is multiplied by one
/// learned C×C matrix W,
/// <code>
///   y[:, t] = W x[:, t],      log |det ∂y/∂x| = T · log |det W|,      x[:, t] = W⁻¹ y[:, t]
/// </code>
/// W is stored as a full matrix (not LU-parameterised); log |det W| comes from <see cref="Linalg.SlogDet"/> and the inverse
/// from <see cref="Linalg.Inv"/>, both O(C³) once per call, negligible for the few channels of audio flows. W starts as a
/// random rotation (QR of a Gaussian matrix, det +1), so the layer starts volume-preserving.
/// </summary>
public sealed class InvertibleConv1x1 : FlowLayer
{
    /// <summary>Creates the layer with a random orthogonal W of determinant +1 drawn from libtorch's generator.</summary>
    public InvertibleConv1x1(long channels, DType? dtype = null, Device? device = null)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "need at least one channel");
        Channels = channels;
        using var scope = NewScope();
        var (q, _) = Linalg.Qr(Tensor.RandN([channels, channels], DType.Float64));
        if (Linalg.Det(q).Item<double>() < 0) q = Tensor.Cat([-q.Narrow(1, 0, 1), q.Narrow(1, 1, channels - 1)], 1);
        Weight = new Parameter(q.To(dtype ?? DType.Float32).To(device ?? Device.CPU).Contiguous());
    }

    /// <summary>Channels C.</summary>
    public long Channels { get; }

    /// <summary>W: [C, C].</summary>
    public Parameter Weight { get; }

    /// <inheritdoc />
    public override (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null)
    {
        if (x.Dim != 3 || x.Size(1) != Channels)
            throw new ArgumentException($"InvertibleConv1x1: expected x [batch, {Channels}, time], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var y = Weight.Matmul(x);                                                       // [C, C] @ [batch, C, T] → [batch, C, T]
        var (_, logAbsDet) = Linalg.SlogDet(Weight);
        var logDet = (logAbsDet * x.Size(2)).Expand(x.Size(0));                         // [batch]
        scope.Keep(y, logDet);
        return (y, logDet);
    }

    /// <inheritdoc />
    public override Tensor Inverse(Tensor y, Tensor? condition = null)
    {
        using var scope = NewScope();
        return scope.Keep(Linalg.Inv(Weight).Matmul(y));
    }

    protected override string ExtraRepr() => $"channels={Channels}";
}
