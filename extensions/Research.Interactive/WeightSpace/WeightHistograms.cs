using Research.Torch;
using Research.Torch.NN;

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
        double peak = 0;
        foreach (var v in values) if (float.IsFinite(v)) peak = Math.Max(peak, Math.Abs(v));
        var l = LayerFor(layer, peak, min, max);
        l.Steps.Add(step);
        l.Histograms.Add(HistogramCounts.Compute(values, _bins, l.Min, l.Max));
    }

    /// <summary>
    /// Records the histogram of a tensor's values (any shape) at <paramref name="step"/>, counted by libtorch
    /// (<c>histc</c>) on the tensor's device; NaN and ±Inf are skipped.
    /// </summary>
    public void Add(double step, string layer, Tensor values, double? min = null, double? max = null)
    {
        using var scope = Research.Torch.Torch.NewScope();
        using var noGrad = Research.Torch.Torch.NoGrad();
        var x = values.Detach().To(DType.Float64).Reshape(-1);
        var finite = x.MaskedSelect(x.IsFinite());
        bool any = finite.NumEl > 0;
        var l = LayerFor(layer, any ? finite.Abs().Max().Item<double>() : 0, min, max);
        long[] counts = any ? finite.Histc(_bins, l.Min, l.Max).To(Device.CPU, DType.Int64).ToArray<long>() : new long[_bins];
        long below = any ? (finite < l.Min).Sum().Item<long>() : 0, above = any ? (finite > l.Max).Sum().Item<long>() : 0;
        l.Steps.Add(step);
        l.Histograms.Add(new HistogramCounts(l.Min, l.Max, counts, below, above));
    }

    /// <summary>Records one histogram per parameter of <paramref name="module"/> (named by dotted path) at <paramref name="step"/>.</summary>
    public void Add(double step, Module module)
    {
        foreach (var (name, p) in module.NamedParameters()) Add(step, name, p);
    }

    /// <summary>The histograms of one layer in the order they were added.</summary>
    public IReadOnlyList<HistogramCounts> Get(string layer) =>
        _layers.FirstOrDefault(l => l.Name == layer)?.Histograms ?? throw new KeyNotFoundException($"no layer '{layer}'.");

    /// <summary>The layer's record, created at its first snapshot with bins over ±1.5× <paramref name="peak"/> unless given.</summary>
    private Layer LayerFor(string layer, double peak, double? min, double? max)
    {
        var l = _layers.FirstOrDefault(x => x.Name == layer);
        if (l is not null) return l;
        if (peak == 0) peak = 1;
        l = new Layer(layer, min ?? -1.5 * peak, max ?? 1.5 * peak);
        _layers.Add(l);
        return l;
    }

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
