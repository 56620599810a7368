namespace Research.Interactive;

/// <summary>
/// A 2-D slice of the loss around a solution along two random directions, each normalised filter by filter to the norm of
/// the weights' filters (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets").
/// </summary>
public static class LossLandscape
{
    /// <summary>
    /// A Gaussian direction shaped like <paramref name="weights"/> whose every filter (row of a parameter of shape
    /// [out, …]) has the norm of the same filter of the weights. One-dimensional parameters (biases, norms) get zero,
    /// as in the paper. <paramref name="shapes"/> lists the parameters' shapes in the order they are flattened.
    /// </summary>
    public static float[] FilterNormalizedDirection(float[] weights, IReadOnlyList<int[]> shapes, Random random)
    {
        long total = shapes.Sum(s => s.Aggregate(1L, (a, b) => a * b));
        if (total != weights.Length)
            throw new ArgumentException($"parameter shapes hold {total} values but the weight vector has {weights.Length}.", nameof(shapes));
        var d = new float[weights.Length];
        int offset = 0;
        foreach (var shape in shapes)
        {
            int size = shape.Aggregate(1, (a, b) => a * b);
            if (shape.Length <= 1) { offset += size; continue; }
            int filters = shape[0], filterSize = size / filters;
            for (int f = 0; f < filters; f++)
            {
                int start = offset + f * filterSize;
                double wNorm = 0, dNorm = 0;
                for (int i = 0; i < filterSize; i++)
                {
                    double g = Gaussian(random);
                    d[start + i] = (float)g;
                    dNorm += g * g;
                    wNorm += (double)weights[start + i] * weights[start + i];
                }
                double scale = dNorm > 0 ? Math.Sqrt(wNorm / dNorm) : 0;
                for (int i = 0; i < filterSize; i++) d[start + i] = (float)(d[start + i] * scale);
            }
            offset += size;
        }
        return d;
    }

    /// <summary>
    /// Loss at w + a·δ + b·η for a, b in [−<paramref name="range"/>, <paramref name="range"/>] on a
    /// <paramref name="resolution"/>² grid, with δ, η filter-normalised random directions drawn from <paramref name="seed"/>.
    /// </summary>
    public static LossSurface Compute(float[] weights, IReadOnlyList<int[]> shapes, Func<float[], double> loss,
        int resolution = 21, double range = 1.0, int seed = 0)
    {
        var random = new Random(seed);
        var delta = FilterNormalizedDirection(weights, shapes, random);
        var eta = FilterNormalizedDirection(weights, shapes, random);
        var grid = LossSurface.Grid(-range, range, resolution);
        var w = new float[weights.Length];
        return LossSurface.Evaluate(grid, grid, (a, b) =>
        {
            for (int i = 0; i < w.Length; i++) w[i] = (float)(weights[i] + a * delta[i] + b * eta[i]);
            return loss(w);
        });
    }

    /// <summary>The landscape as a contour plot (optionally of log10 loss), with the solution marked at the origin.</summary>
    public static Figure Plot(LossSurface surface, bool logLoss = false, string? title = null)
    {
        var shown = logLoss ? surface with { Values = surface.Values.Select(r => r.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray()).ToArray() } : surface;
        return new Figure(
            [
                shown.ToContour(logLoss ? "log₁₀ loss" : "loss"),
                new Scatter { Name = "solution", X = [0], Y = [0], Mode = "markers", Marker = new Marker { Color = "#d62728", Size = 10 } },
            ],
            new Layout
            {
                Title = title ?? "Loss landscape (filter-normalised directions)",
                XAxis = new Axis { Title = "δ" },
                YAxis = new Axis { Title = "η", ScaleAnchor = "x" },
                ShowLegend = false,
                Height = 500,
            });
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
