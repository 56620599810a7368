using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests;

/// <summary>Numerical derivatives for checking autograd: the tests' shared central difference.</summary>
internal static class FiniteDifference
{
    /// <summary>
    /// (loss(θ + h) − loss(θ − h)) / 2h, perturbing entry <paramref name="index"/> of the flattened (contiguous)
    /// <paramref name="tensor"/> in place without recording it, and restoring it afterwards.
    /// </summary>
    public static double Central(Tensor tensor, long index, Func<double> loss, double h = 1e-6)
    {
        using var scope = NewScope();
        var entry = tensor.Detach().View(-1)[index];                 // shares storage with the tensor
        double original = entry.Item<double>();
        using (NoGrad()) entry.Fill_(original + h);
        double plus = loss();
        using (NoGrad()) entry.Fill_(original - h);
        double minus = loss();
        using (NoGrad()) entry.Fill_(original);
        return (plus - minus) / (2 * h);
    }
}
