using Research.Models.ImplicitNeural;
using Research.Torch;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Fitting many SIRENs at once, one per signal (<see cref="SirenBatch"/>): the per-network loss is the mean squared error over
/// the pixels a network observes, and the batch minimises the sum of the per-network losses, so that Adam (element-wise)
/// trains every network exactly as if it were alone.
/// </summary>
public static class InrFitting
{
    /// <summary>
    /// Σ_b mean over observed pixels of (f_b(x) − y_b)²: <paramref name="targets"/> [B, N, out]; <paramref name="observed"/>
    /// [B, N, 1] of 0/1 (null: every pixel).
    /// </summary>
    public static Tensor Loss(SirenBatch batch, Tensor coordinates, Tensor targets, Tensor? observed = null)
    {
        using var scope = NewScope();
        var error = (batch.Forward(coordinates) - targets).Square();                    // [B, N, out]
        if (observed is null) return scope.Keep(error.Mean([1, 2]).Sum());
        var perNetwork = (error * observed).Sum([1, 2]) / (observed.Sum([1, 2]) * targets.Size(2));
        return scope.Keep(perNetwork.Sum());
    }

    /// <summary>
    /// PSNR (dB) of every network [B] over the pixels where <paramref name="pixels"/> [B, N, 1] is 1 (null: all), for
    /// targets spanning <paramref name="range"/> (2 for [−1, 1]).
    /// </summary>
    public static Tensor Psnr(SirenBatch batch, Tensor coordinates, Tensor targets, Tensor? pixels = null, double range = 2)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var error = (batch.Forward(coordinates) - targets).Square();
        var mse = pixels is null ? error.Mean([1, 2]) : (error * pixels).Sum([1, 2]) / (pixels.Sum([1, 2]) * targets.Size(2));
        return scope.Keep((mse.Reciprocal() * (range * range)).Log10() * 10);
    }

    /// <summary>
    /// <paramref name="steps"/> Adam steps (rate <paramref name="lr"/>, fresh state) on the observed pixels;
    /// <paramref name="afterStep"/> sees the batch before the first step (0) and after every step (1 … steps).
    /// </summary>
    public static void Fit(SirenBatch batch, Tensor coordinates, Tensor targets, Tensor? observed, int steps, double lr,
        Action<int>? afterStep = null, CancellationToken cancellation = default)
    {
        using var optimiser = new Adam(batch.Parameters(), lr: lr);
        afterStep?.Invoke(0);
        for (int step = 1; step <= steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewScope();
            var loss = Loss(batch, coordinates, targets, observed);
            optimiser.ZeroGrad();
            loss.Backward();
            optimiser.Step();
            afterStep?.Invoke(step);
        }
    }
}
