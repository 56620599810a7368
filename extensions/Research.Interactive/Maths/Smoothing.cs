namespace Research.Interactive;

/// <summary>Smoothing for noisy metric curves.</summary>
public static class Smoothing
{
    /// <summary>
    /// Debiased exponential moving average (as TensorBoard): s_t = β·s_{t−1} + (1−β)·x_t, s_0 = 0, reported as
    /// s_t / (1 − β^t), so the first value equals x_1. β = 0 returns the input; NaNs are carried through without updating.
    /// </summary>
    public static double[] Ema(IReadOnlyList<double> values, double beta)
    {
        if (!(beta >= 0 && beta < 1)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "EMA weight must be in [0, 1)");
        var result = new double[values.Count];
        double s = 0, weight = 1;
        for (int i = 0; i < values.Count; i++)
        {
            double x = values[i];
            if (!double.IsFinite(x)) { result[i] = double.NaN; continue; }
            s = beta * s + (1 - beta) * x;
            weight *= beta;
            result[i] = s / (1 - weight);
        }
        return result;
    }

    /// <summary>
    /// EMA over irregularly spaced points: each point's weight is β^(Δx / <paramref name="spacing"/>), so the smoothing
    /// window spans the same x range for a dense training series and a sparse validation series.
    /// </summary>
    public static double[] Ema(IReadOnlyList<double> x, IReadOnlyList<double> values, double beta, double spacing)
    {
        if (!(beta >= 0 && beta < 1)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "EMA weight must be in [0, 1)");
        if (!(spacing > 0)) throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "spacing must be positive");
        var result = new double[values.Count];
        double s = 0, weight = 1, previous = double.NaN;
        for (int i = 0; i < values.Count; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v)) { result[i] = double.NaN; continue; }
            double b = double.IsNaN(previous) ? beta : Math.Pow(beta, Math.Max(x[i] - previous, 0) / spacing);
            previous = x[i];
            s = b * s + (1 - b) * v;
            weight *= b;
            result[i] = s / (1 - weight);
        }
        return result;
    }
}
