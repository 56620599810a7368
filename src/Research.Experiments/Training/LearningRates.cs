namespace Research.Experiments;

/// <summary>Learning-rate schedules as pure functions of the step (so resuming needs no scheduler state).</summary>
public static class LearningRates
{
    /// <summary>The same rate every step.</summary>
    public static Func<long, double> Constant(double lr) => _ => lr;

    /// <summary>Linear warm-up from 0 to <paramref name="peak"/>, then cosine decay to <paramref name="final"/> at <paramref name="totalSteps"/>.</summary>
    public static Func<long, double> WarmupCosine(double peak, long warmupSteps, long totalSteps, double final = 0) => step =>
    {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        double progress = Math.Clamp((double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps), 0, 1);
        return final + 0.5 * (peak - final) * (1 + Math.Cos(Math.PI * progress));
    };

    /// <summary>Multiplies the rate by <paramref name="gamma"/> every <paramref name="every"/> steps.</summary>
    public static Func<long, double> StepDecay(double lr, long every, double gamma = 0.1) => step => lr * Math.Pow(gamma, step / every);

    /// <summary>Decays linearly from <paramref name="start"/> to <paramref name="end"/> over <paramref name="totalSteps"/>.</summary>
    public static Func<long, double> Linear(double start, double end, long totalSteps) =>
        step => start + (end - start) * Math.Clamp((double)step / Math.Max(1, totalSteps), 0, 1);
}
