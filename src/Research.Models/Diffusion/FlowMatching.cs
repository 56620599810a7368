using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Diffusion;

/// <summary>
/// Conditional flow matching (Lipman et al., 2023) on the optimal-transport path from noise x_0 ~ N(0, I) at t = 0 to
/// data x_1 at t = 1:
/// <code>
///   x_t = (1 − (1 − σ_min) t) x_0 + t x_1,      u_t = dx_t/dt = x_1 − (1 − σ_min) x_0       (the regression target)
///   L(θ) = E_{t ~ U[0, 1], x_0, x_1} ‖v_θ(x_t, t) − u_t‖²
///   sampling: dx/dt = v_θ(x, t) from x_0 ~ N(0, I), Euler: x_{k+1} = x_k + h v_θ(x_k, k h),  h = 1/N
/// </code>
/// σ_min = 0 is rectified flow's straight path. Conditioning (a mel spectrogram, a class) lives in the caller's
/// v_θ. Noise and times come from libtorch's global generator unless given.
/// </summary>
public sealed class FlowMatching
{
    /// <summary>Flow matching with the path's final noise level <paramref name="sigmaMin"/> (0 ≤ σ_min &lt; 1).</summary>
    public FlowMatching(double sigmaMin = 0)
    {
        if (!(sigmaMin >= 0 && sigmaMin < 1)) throw new ArgumentOutOfRangeException(nameof(sigmaMin), sigmaMin, "σ_min must lie in [0, 1)");
        SigmaMin = sigmaMin;
    }

    /// <summary>σ_min: the standard deviation left around x_1 at t = 1.</summary>
    public double SigmaMin { get; }

    /// <summary>
    /// (x_t, u_t) for data x_1 [batch, …] at times <paramref name="t"/> [batch] in [0, 1], with x_0 = <paramref name="noise"/>
    /// or fresh N(0, I).
    /// </summary>
    public (Tensor Point, Tensor Target) Path(Tensor x1, Tensor t, Tensor? noise = null)
    {
        if (t.Dim != 1 || t.Size(0) != x1.Size(0))
            throw new ArgumentException($"t {t.ShapeString} must be one time per example of x_1 {x1.ShapeString}", nameof(t));
        if (noise is not null && !noise.Shape.SequenceEqual(x1.Shape))
            throw new ArgumentException($"noise {noise.ShapeString} must have the shape of x_1 {x1.ShapeString}", nameof(noise));
        using var scope = NewScope();
        var shape = new long[x1.Dim];
        Array.Fill(shape, 1L);
        shape[0] = x1.Size(0);
        var time = t.To(x1.DType).Reshape(shape);                                                  // [batch, 1, …]
        var x0 = noise ?? x1.RandNLike();
        var point = x0 * (1 - time * (1 - SigmaMin)) + x1 * time;
        var target = x1 - x0 * (1 - SigmaMin);
        scope.Keep(point, target);
        return (point, target);
    }

    /// <summary>
    /// The training loss ‖v_θ(x_t, t) − u_t‖² (mean over elements) at t ~ U[0, 1], one per example of x_1 [batch, …];
    /// <paramref name="velocity"/> maps (x_t, t [batch]) to v̂.
    /// </summary>
    public Tensor Loss(Func<Tensor, Tensor, Tensor> velocity, Tensor x1)
    {
        using var scope = NewScope();
        var t = Tensor.Rand([x1.Size(0)], x1.DType, x1.Device);
        var (point, target) = Path(x1, t);
        return scope.Keep((velocity(point, t) - target).Square().Mean());
    }

    /// <summary>
    /// Euler's method for dx/dt = v(x, t) from <paramref name="x0"/> at t = 0 to t = 1 in <paramref name="steps"/> equal
    /// steps: x_{k+1} = x_k + h v(x_k, k h). <paramref name="observe"/> sees (k, x_k) for k = 0 … N. Runs without gradients.
    /// </summary>
    public static Tensor Euler(Func<Tensor, double, Tensor> velocity, Tensor x0, int steps, Action<int, Tensor>? observe = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        double h = 1.0 / steps;
        var x = x0;
        observe?.Invoke(0, x);
        for (int k = 0; k < steps; k++)
        {
            x = x + velocity(x, k * h) * h;
            observe?.Invoke(k + 1, x);
        }
        return scope.Keep(x);
    }

    /// <summary>A sample: x_0 ~ N(0, I) of <paramref name="shape"/> carried to t = 1 by <see cref="Euler"/> in <paramref name="steps"/> steps.</summary>
    public static Tensor Sample(Func<Tensor, double, Tensor> velocity, long[] shape, int steps, Action<int, Tensor>? observe = null,
        DType? dtype = null, Device? device = null)
    {
        using var scope = NewScope();
        return scope.Keep(Euler(velocity, Tensor.RandN(shape, dtype, device), steps, observe));
    }
}
