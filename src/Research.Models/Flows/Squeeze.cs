using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Flows;

/// <summary>
/// Squeeze (WaveGlow's grouping, FloWaveNet's squeeze): g consecutive samples of every channel become g channels of one
/// time step,
/// <code>
///   y[c·g + j, t] = x[c, t·g + j]        [batch, C, T] → [batch, C·g, T/g],   log |det| = 0
/// </code>
/// a permutation of the entries. The conditioning, when given at x's time resolution, is regrouped the same way so its
/// time axis stays aligned with x's; a conditioning already at the grouped rate passes through
/// (<see cref="GroupsCondition"/> false).
/// </summary>
public sealed class Squeeze : FlowLayer
{
    /// <summary>Creates the layer for groups of <paramref name="factor"/> samples.</summary>
    public Squeeze(int factor, bool groupsCondition = true)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "the group must hold at least one sample");
        Factor = factor;
        GroupsCondition = groupsCondition;
    }

    /// <summary>Whether the conditioning is regrouped with x (it is at x's rate) or passed on as it is (it is at the grouped rate).</summary>
    public bool GroupsCondition { get; }

    /// <summary>Samples per group g.</summary>
    public int Factor { get; }

    /// <summary>[batch, C, T] → [batch, C·g, T/g] (T must be a multiple of g).</summary>
    public Tensor Group(Tensor x)
    {
        if (x.Dim != 3 || x.Size(2) % Factor != 0)
            throw new ArgumentException($"Squeeze: expected [batch, channels, time] with time a multiple of {Factor}, got {x.ShapeString}", nameof(x));
        long b = x.Size(0), c = x.Size(1), t = x.Size(2) / Factor;
        using var scope = NewScope();
        return scope.Keep(x.Reshape(b, c, t, Factor).Permute(0, 1, 3, 2).Reshape(b, c * Factor, t));
    }

    /// <summary>[batch, C·g, T/g] → [batch, C, T], the inverse of <see cref="Group"/>.</summary>
    public Tensor Ungroup(Tensor y)
    {
        if (y.Dim != 3 || y.Size(1) % Factor != 0)
            throw new ArgumentException($"Squeeze: expected [batch, channels, time] with channels a multiple of {Factor}, got {y.ShapeString}", nameof(y));
        long b = y.Size(0), c = y.Size(1) / Factor, t = y.Size(2);
        using var scope = NewScope();
        return scope.Keep(y.Reshape(b, c, Factor, t).Permute(0, 1, 3, 2).Reshape(b, c, t * Factor));
    }

    /// <inheritdoc />
    public override (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null) =>
        (Group(x), Tensor.Zeros([x.Size(0)], x.DType, x.Device));

    /// <inheritdoc />
    public override Tensor Inverse(Tensor y, Tensor? condition = null) => Ungroup(y);

    /// <inheritdoc />
    public override Tensor? NextCondition(Tensor? condition) => condition is null || !GroupsCondition ? condition : Group(condition);

    protected override string ExtraRepr() => $"factor={Factor}, groups_condition={GroupsCondition}";
}
