namespace Research.Interactive;

/// <summary>The path of the weights during training, projected on its top two principal components.</summary>
public static class WeightPath
{
    /// <summary>PCA of flattened weight snapshots (one per saved step).</summary>
    public static PcaResult Fit(IReadOnlyList<float[]> snapshots) => Pca.Fit(snapshots, components: 2);

    /// <summary>
    /// Loss on the PCA plane through the path's mean: w(a, b) = mean + a·pc1 + b·pc2 over the path's extent plus
    /// <paramref name="margin"/> of it on each side, at <paramref name="resolution"/>² points.
    /// </summary>
    public static LossSurface EvaluatePlane(PcaResult pca, Func<float[], double> loss, int resolution = 21, double margin = 0.25)
    {
        if (pca.Components.Length < 2) throw new ArgumentException("the PCA needs two components for a plane.", nameof(pca));
        double[] Extent(int c)
        {
            double lo = pca.Coordinates.Min(p => p[c]), hi = pca.Coordinates.Max(p => p[c]);
            double pad = Math.Max((hi - lo) * margin, 1e-6);
            return LossSurface.Grid(lo - pad, hi + pad, resolution);
        }
        var (a, b) = (Extent(0), Extent(1));
        var w = new float[pca.Mean.Length];
        return LossSurface.Evaluate(a, b, (x, y) =>
        {
            for (int i = 0; i < w.Length; i++) w[i] = (float)(pca.Mean[i] + x * pca.Components[0][i] + y * pca.Components[1][i]);
            return loss(w);
        });
    }

    /// <summary>
    /// The path on the (pc1, pc2) plane as markers joined by a line, coloured by <paramref name="steps"/> (default: the
    /// snapshot index), optionally over a loss contour from <see cref="EvaluatePlane"/>.
    /// </summary>
    public static Figure Plot(IReadOnlyList<float[]> snapshots, IReadOnlyList<double>? steps = null, LossSurface? surface = null, string? title = null) =>
        Plot(Fit(snapshots), steps ?? Enumerable.Range(0, snapshots.Count).Select(i => (double)i).ToArray(), surface, title);

    /// <summary>Plots an already fitted path.</summary>
    public static Figure Plot(PcaResult pca, IReadOnlyList<double> steps, LossSurface? surface = null, string? title = null)
    {
        if (steps.Count != pca.Coordinates.Length)
            throw new ArgumentException($"{steps.Count} steps for {pca.Coordinates.Length} snapshots.", nameof(steps));
        var figure = new Figure();
        if (surface is not null)
        {
            var contour = surface.ToContour();
            contour.ColorBar = new ColorBar { Title = "loss", X = 1.12 };
            figure.Data.Add(contour);
        }
        figure.Data.Add(new Scatter
        {
            Name = "weights",
            X = pca.Coordinates.Select(p => p[0]).ToArray(),
            Y = pca.Coordinates.Select(p => p.Length > 1 ? p[1] : 0).ToArray(),
            Mode = "lines+markers",
            Line = new Line { Color = "rgba(255,255,255,0.6)", Width = 1 },
            Marker = new Marker { Color = steps.ToArray(), ColorScale = "Plasma", ShowScale = true, Size = 7, ColorBar = new ColorBar { Title = "step" } },
            Text = steps.Select(s => $"step {s}").ToArray(),
        });
        string Pct(int c) => c < pca.ExplainedVarianceRatio.Length ? $" ({100 * pca.ExplainedVarianceRatio[c]:F1}%)" : "";
        figure.Layout = new Layout
        {
            Title = title ?? "Weight trajectory (PCA)",
            XAxis = new Axis { Title = "PC1" + Pct(0) },
            YAxis = new Axis { Title = "PC2" + Pct(1) },
            ShowLegend = false,
            Height = 450,
        };
        return figure;
    }
}
