namespace Research.Torch.NN;

/// <summary>
/// A tensor that is a module's learnable weight: a leaf that requires grad by default and is owned by
/// its module (never by a <see cref="DisposeScope"/>), so it outlives every training step.
/// </summary>
public class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/>'s storage (detached, shared) as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(DetachedHandle(data))
    {
        DetachFromScope();
        if (requiresGrad) RequiresGrad = true;
    }
}
