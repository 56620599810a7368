namespace Research.Interactive;

/// <summary>
/// Per-layer weight histograms over training: each layer a heatmap with training step across, weight value up and
/// log-count as colour. Bins are fixed per layer at its first snapshot (±1.5× its largest magnitude unless given).
/// </summary>
public sealed class WeightHistograms : IMimeRenderable, IUsesPlotly
{
    private readonly int _bins;
    private readonly List<Layer> _layers = new();

    /// <summary>Creates an empty history with <paramref name="bins"/> bins per histogram.</summary>
    public WeightHistograms(int bins = 60) => _bins = bins > 0 ? bins : throw new ArgumentOutOfRangeException(nameof(bins), bins, "need at least one bin");

    /// <summary>Names of the layers seen so far.</summary>
    public IReadOnlyList<string> Layers => _layers.Select(l => l.Name).ToList();

    /// <summary>Records the histogram of layer <paramref name="layer"/>'s <paramref name="values"/> at <paramref name="step"/>.</summary>
    public void Add(double step, string layer, ReadOnlySpan<float> values, double? min = null, double? max = null)
    {
        var l = _layers.FirstOrDefault(x => x.Name == layer);
        if (l is null)
        {
            double peak = 0;
            foreach (var v in values) if (float.IsFinite(v)) peak = Math.Max(peak, Math.Abs(v));
            if (peak == 0) peak = 1;
            l = new Layer(layer, min ?? -1.5 * peak, max ?? 1.5 * peak);
            _layers.Add(l);
        }
        l.Steps.Add(step);
        l.Histograms.Add(HistogramCounts.Compute(values, _bins, l.Min, l.Max));
    }

    /// <summary>The histograms of one layer in the order they were added.</summary>
    public IReadOnlyList<HistogramCounts> Get(string layer) =>
        _layers.FirstOrDefault(l => l.Name == layer)?.Histograms ?? throw new KeyNotFoundException($"no layer '{layer}'.");

    /// <summary>One heatmap per layer, stacked vertically with a shared step axis.</summary>
    public Figure ToFigure(string? title = null)
    {
        var figure = new Figure();
        int n = Math.Max(_layers.Count, 1);
        double gap = 0.04, height = (1 - gap * (n - 1)) / n;
        var layout = new Layout { Title = title ?? "Weight histograms", Height = Math.Max(300, 180 * n), ShowLegend = false, Annotations = new() };
        for (int i = 0; i < _layers.Count; i++)
        {
            var l = _layers[i];
            string suffix = i == 0 ? "" : (i + 1).ToString();
            var centers = l.Histograms[0].Centers;
            var z = new double[_bins][];
            for (int b = 0; b < _bins; b++) z[b] = l.Histograms.Select(h => Math.Log10(1 + h.Counts[b])).ToArray();
            figure.Data.Add(new Heatmap
            {
                Name = l.Name, Z = z, X = l.Steps.ToArray(), Y = centers, ColorScale = "Viridis", XAxis = "x" + suffix, YAxis = "y" + suffix,
                ShowScale = i == 0, ColorBar = new ColorBar { Title = "log₁₀(1+count)" },
                HoverTemplate = $"{l.Name}<br>step %{{x}}<br>w≈%{{y:.3g}}<br>log₁₀(1+n)=%{{z:.2f}}<extra></extra>",
            });
            double top = 1 - i * (height + gap), bottom = top - height;
            var xAxis = new Axis { Anchor = "y" + suffix, Matches = i == 0 ? null : "x", Title = i == _layers.Count - 1 ? new Title { Text = "step" } : null };
            var yAxis = new Axis { Domain = [Math.Max(bottom, 0), top], Anchor = "x" + suffix, Title = "weight" };
            if (i == 0) { layout.XAxis = xAxis; layout.YAxis = yAxis; }
            else { layout.SetAxis("xaxis" + suffix, xAxis); layout.SetAxis("yaxis" + suffix, yAxis); }
            layout.Annotations.Add(new Annotation { Text = l.Name, X = 0, Y = top, XRef = "paper", YRef = "paper", ShowArrow = false, XAnchor = "left", YAnchor = "bottom" });
        }
        figure.Layout = layout;
        return figure;
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => ToFigure().ToMimeBundle();

    private sealed class Layer(string name, double min, double max)
    {
        public string Name { get; } = name;
        public double Min { get; } = min;
        public double Max { get; } = max;
        public List<double> Steps { get; } = new();
        public List<HistogramCounts> Histograms { get; } = new();
    }
}
