using static Research.Torch.Torch;

namespace Research.Torch.Optim;

/// <summary>Gradient clipping (torch.nn.utils.clip_grad_norm_ and clip_grad_value_), in place on <c>.Grad</c>.</summary>
public static class GradClip
{
    private static readonly Op s_foreachNorm = new("_foreach_norm", "Scalar"), s_clamp_ = new("clamp_");

    /// <summary>
    /// Scales all gradients together so their total <paramref name="normType"/>-norm is at most
    /// <paramref name="maxNorm"/>; returns the total norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var grads = parameters.Select(p => p.Grad).Where(g => g is not null).Cast<Tensor>().ToArray();
        if (grads.Length == 0) return 0;
        Tensor total;
        if (double.IsPositiveInfinity(normType))
            total = Tensor.Stack(grads.Select(g => g.Abs().Max()).ToArray()).Max();
        else
        {
            var norms = (Tensor[])s_foreachNorm.Invoke(grads, normType)[0]!;
            total = Tensor.Stack(norms).Norm(normType);
        }
        double value = total.Item<double>();
        if (errorIfNonfinite && !double.IsFinite(value))
            throw new InvalidOperationException($"the total norm of order {normType} of the gradients is {value}; set errorIfNonfinite: false to clip anyway");
        var coef = (maxNorm / (total + 1e-6)).Clamp(max: 1.0);
        foreach (var g in grads) g.Mul_(coef);
        return value;
    }

    /// <summary>Clamps every gradient element to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        foreach (var p in parameters)
            if (p.Grad is { } g)
                s_clamp_.Call(g, -clipValue, clipValue);
    }
}
