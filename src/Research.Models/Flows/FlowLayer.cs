using Research.Torch;
using Research.Torch.NN;

namespace Research.Models.Flows;

/// <summary>
/// One invertible layer of a normalizing flow on [batch, channels, time] tensors: y = f(x; c) with its log-determinant
/// log |det ∂y/∂x| per batch element, and x = f⁻¹(y; c). The conditioning c ([batch, condition channels, time], or null)
/// never passes through the inverse; a layer that regroups time (<see cref="Squeeze"/>) regroups c alike for the layers
/// after it (<see cref="NextCondition"/>), so c and x keep the same time axis.
/// </summary>
public abstract class FlowLayer : Module
{
    /// <summary>x [batch, C, T] → (y [batch, C', T'], log |det ∂y/∂x| [batch]).</summary>
    public abstract (Tensor Output, Tensor LogDet) Forward(Tensor x, Tensor? condition = null);

    /// <summary>y → x = f⁻¹(y; c), the exact inverse of <see cref="Forward"/>.</summary>
    public abstract Tensor Inverse(Tensor y, Tensor? condition = null);

    /// <summary>The conditioning the next layer sees: c itself, except for layers that regroup time.</summary>
    public virtual Tensor? NextCondition(Tensor? condition) => condition;
}
