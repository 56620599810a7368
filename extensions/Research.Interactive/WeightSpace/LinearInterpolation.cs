namespace Research.Interactive;

/// <summary>Loss along the straight line between two weight vectors, w(α) = (1 − α)·w₀ + α·w₁ (Goodfellow et al. 2015).</summary>
public static class LinearInterpolation
{
    /// <summary>Evaluates <paramref name="loss"/> at <paramref name="points"/> values of α from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static (double[] alphas, double[] losses) Evaluate(float[] w0, float[] w1, Func<float[], double> loss,
        int points = 41, double from = -0.5, double to = 1.5)
    {
        if (w0.Length != w1.Length) throw new ArgumentException($"weight vectors differ in length: {w0.Length} vs {w1.Length}.");
        var alphas = LossSurface.Grid(from, to, points);
        var w = new float[w0.Length];
        var losses = alphas.Select(a =>
        {
            for (int i = 0; i < w.Length; i++) w[i] = (float)((1 - a) * w0[i] + a * w1[i]);
            return loss(w);
        }).ToArray();
        return (alphas, losses);
    }

    /// <summary>The loss curve over α with the two endpoints marked.</summary>
    public static Figure Plot(double[] alphas, double[] losses, string? title = null, bool logY = false, string fromLabel = "w₀", string toLabel = "w₁")
    {
        double At(double a) => losses[Array.IndexOf(alphas, alphas.MinBy(x => Math.Abs(x - a)))];
        return new Figure(
            [
                new Scatter { Name = "loss", X = alphas, Y = losses, Mode = "lines", Line = new Line { Width = 2 } },
                new Scatter { Name = "endpoints", X = [0, 1], Y = [At(0), At(1)], Mode = "markers+text", Text = [fromLabel, toLabel], Marker = new Marker { Size = 10, Color = "#d62728" } },
            ],
            new Layout
            {
                Title = title ?? "Loss along the line between two solutions",
                XAxis = new Axis { Title = "α" },
                YAxis = new Axis { Title = "loss", Type = logY ? "log" : "linear" },
                ShowLegend = false,
            });
    }
}
