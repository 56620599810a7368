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
}
