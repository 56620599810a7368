namespace Research.Interactive;

/// <summary>What the x axis of a <see cref="LossCurve"/> measures.</summary>
public enum CurveAxis
{
    /// <summary>The step passed to <see cref="LossCurve.Add"/>.</summary>
    Step,

    /// <summary>The x passed to <see cref="LossCurve.Add"/>, read as (fractional) epochs.</summary>
    Epoch,

    /// <summary>Seconds since the curve was created, taken when each point was added.</summary>
    WallTime,
}

/// <summary>
/// A live training curve: metric series from one or more runs, drawn in a notebook output that is replaced in place while
/// training runs. Refreshes are throttled by wall time so drawing stays under <see cref="RenderBudget"/> of the run's time.
/// </summary>
public sealed partial class LossCurve : IMimeRenderable, IUsesPlotly
{
    private const double Headroom = 0.8;
    private static readonly string[] Dashes = ["solid", "dash", "dot", "dashdot", "longdash"];

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly List<Series> _series = new();
    private readonly Dictionary<(string? run, string name), Series> _byKey = new();
    private DisplayHandle? _handle;
    private long _lastRender;
    private long _version, _renderedVersion;
    private int _rendering;
    private TimeSpan _costEstimate;

    /// <summary>Creates an empty curve; <paramref name="time"/> replaces the system clock (for tests).</summary>
    public LossCurve(string? title = null, TimeProvider? time = null)
    {
        Title = title;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    /// <summary>Figure title.</summary>
    public string? Title { get; set; }

    /// <summary>What x means: step (default), epoch, or wall time since creation.</summary>
    public CurveAxis XAxis { get; set; } = CurveAxis.Step;

    /// <summary>Logarithmic x axis.</summary>
    public bool LogX { get; set; }

    /// <summary>Logarithmic y axis.</summary>
    public bool LogY { get; set; }

    /// <summary>EMA weight β in [0, 1) for a smoothed line over the faint raw one; 0 draws raw values only.</summary>
    public double Smoothing { get; set; }

    /// <summary>Points drawn per series; longer series are averaged in equal buckets (the data is kept in full).</summary>
    public int MaxPointsPerSeries { get; set; } = 1000;

    /// <summary>Shortest time between two refreshes.</summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Largest fraction of wall time spent drawing. Refreshes are spaced by the render cost / (0.8 × budget) (≈62× the cost at
    /// 2%), aiming at 80% of the budget to leave room for cost jitter.
    /// </summary>
    public double RenderBudget { get; set; } = 0.02;

    /// <summary>Figure height in pixels.</summary>
    public int Height { get; set; } = 400;

    /// <summary>Number of refreshes sent to the display (the first Show not counted).</summary>
    public int RenderCount { get; private set; }

    /// <summary>Total time spent building figures and handing them to the display host.</summary>
    public TimeSpan TotalRenderTime { get; private set; }

    /// <summary>Cost of the most recent refresh.</summary>
    public TimeSpan LastRenderCost { get; private set; }

    /// <summary>The current minimum interval between refreshes, max(<see cref="MinRefreshInterval"/>, cost / (0.8 × budget)).</summary>
    public TimeSpan RefreshInterval { get; private set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Names of the series, as "run/series" when a run is given.</summary>
    public IReadOnlyList<string> SeriesNames { get { lock (_gate) return _series.Select(s => s.Label).ToList(); } }

    /// <summary>Shows the curve in the notebook (no-op without a host) and returns it, for chaining.</summary>
    public LossCurve Show()
    {
        // Loading plotly.js into the notebook is a one-off cost, kept out of the refresh budget.
        if (Display.Target is { } target) PlotlyJs.EnsureShown(target);
        long started = _time.GetTimestamp();
        var handle = Display.Show(ToFigure());
        var cost = _time.GetElapsedTime(started);
        lock (_gate)
        {
            // Without a host there is nothing to refresh; the data is still recorded for SaveHtml and the formatter.
            _handle = handle.DisplayId is null ? null : handle;
            _lastRender = _time.GetTimestamp();
            _renderedVersion = _version;
            // The first draw (JIT, loading plotly) sets the first interval; later refreshes adapt it to their own cost.
            _costEstimate = cost;
            RefreshInterval = Max(MinRefreshInterval, cost / (Headroom * RenderBudget));
        }
        return this;
    }

    /// <summary>
    /// Records <paramref name="value"/> of metric <paramref name="series"/> at x = <paramref name="step"/> (a step count, or an
    /// epoch when <see cref="XAxis"/> is <see cref="CurveAxis.Epoch"/>) for <paramref name="run"/>, and refreshes the display
    /// if the refresh interval has passed.
    /// </summary>
    public void Add(string series, double step, double value, string? run = null)
    {
        lock (_gate)
        {
            if (!_byKey.TryGetValue((run, series), out var s))
            {
                s = new Series(run, series);
                _byKey[(run, series)] = s;
                _series.Add(s);
            }
            s.X.Add(step);
            s.T.Add(_time.GetElapsedTime(_start).TotalSeconds);
            s.Y.Add(value);
            _version++;
            if (_handle is null || _time.GetElapsedTime(_lastRender) < RefreshInterval) return;
        }
        Refresh(force: false);
    }

    /// <summary>Draws the final state now, whatever the throttle, so the saved notebook shows the finished curve.</summary>
    public void Complete() => Refresh(force: true);

    /// <summary>Writes the current curve as a self-contained HTML page (e.g. next to a run's checkpoints).</summary>
    public void SaveHtml(string path) => ToFigure().SaveHtml(path);

    /// <summary>The points of one series: x as passed to <see cref="Add"/>, wall seconds and values.</summary>
    public (double[] x, double[] seconds, double[] y) GetSeries(string series, string? run = null)
    {
        lock (_gate)
        {
            if (!_byKey.TryGetValue((run, series), out var s)) throw new KeyNotFoundException($"no series '{series}'{(run is null ? "" : $" in run '{run}'")}.");
            return (s.X.ToArray(), s.T.ToArray(), s.Y.ToArray());
        }
    }

    /// <summary>The current state as a plotly figure.</summary>
    public Figure ToFigure()
    {
        lock (_gate) return BuildFigure();
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => ToFigure().ToMimeBundle();

    private void Refresh(bool force)
    {
        DisplayHandle? handle;
        lock (_gate)
        {
            handle = _handle;
            if (handle is null || (!force && _renderedVersion == _version)) return;
        }
        // One refresh at a time; a caller that finds one under way skips (unless forced, then it waits its turn).
        if (Interlocked.CompareExchange(ref _rendering, 1, 0) != 0)
        {
            if (!force) return;
            SpinWait.SpinUntil(() => Interlocked.CompareExchange(ref _rendering, 1, 0) == 0);
        }
        try
        {
            long started = _time.GetTimestamp();
            Figure figure;
            long version;
            lock (_gate)
            {
                figure = BuildFigure();
                version = _version;
            }
            handle.Update(figure);
            var cost = _time.GetElapsedTime(started);
            lock (_gate)
            {
                _renderedVersion = version;
                _lastRender = _time.GetTimestamp();
                RenderCount++;
                LastRenderCost = cost;
                TotalRenderTime += cost;
                // A cost estimate that falls slowly keeps one cheap refresh after an expensive one from tightening the interval.
                _costEstimate = Max(cost, _costEstimate / 2);
                RefreshInterval = Max(MinRefreshInterval, _costEstimate / (Headroom * RenderBudget));
            }
        }
        finally
        {
            Volatile.Write(ref _rendering, 0);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private Figure BuildFigure()
    {
        var runs = _series.Select(s => s.Run).Distinct().ToList();
        var names = _series.Select(s => s.Name).Distinct().ToList();
        bool colourByRun = runs.Count > 1;
        // Smoothing spans the same x range in every series: the densest series' typical spacing sets the unit.
        double spacing = _series.Select(s => MedianSpacing(XAxis == CurveAxis.WallTime ? s.T : s.X)).Where(d => d > 0).DefaultIfEmpty(1).Min();
        var figure = new Figure();
        foreach (var s in _series)
        {
            int runIndex = runs.IndexOf(s.Run), nameIndex = names.IndexOf(s.Name);
            string colour = Palette.Color(colourByRun ? runIndex : nameIndex);
            string dash = colourByRun ? Dashes[nameIndex % Dashes.Length] : "solid";
            var xs = XAxis == CurveAxis.WallTime ? s.T : s.X;
            if (Smoothing > 0)
            {
                var (rx, ry) = Decimate(xs, s.Y, MaxPointsPerSeries);
                figure.Data.Add(new Scatter
                {
                    Name = s.Label + " (raw)", X = rx, Y = ry, Mode = "lines", Opacity = 0.3, ShowLegend = false, LegendGroup = s.Label,
                    Line = new Line { Color = colour, Width = 1, Dash = dash }, HoverTemplate = "%{y:.4g}<extra>" + s.Label + " raw</extra>",
                });
                var (sx, sy) = Decimate(xs, Research.Interactive.Smoothing.Ema(xs, s.Y, Smoothing, spacing), MaxPointsPerSeries);
                figure.Data.Add(new Scatter
                {
                    Name = s.Label, X = sx, Y = sy, Mode = "lines", LegendGroup = s.Label,
                    Line = new Line { Color = colour, Width = 2, Dash = dash },
                });
            }
            else
            {
                var (dx, dy) = Decimate(xs, s.Y, MaxPointsPerSeries);
                figure.Data.Add(new Scatter
                {
                    Name = s.Label, X = dx, Y = dy, Mode = dx.Length <= 30 ? "lines+markers" : "lines", LegendGroup = s.Label,
                    Line = new Line { Color = colour, Width = 2, Dash = dash },
                });
            }
        }
        string xTitle = XAxis switch { CurveAxis.Epoch => "epoch", CurveAxis.WallTime => "wall time (s)", _ => "step" };
        figure.Layout = new Layout
        {
            Title = Title is null ? null : new Title { Text = Title },
            XAxis = new Axis { Title = xTitle, Type = LogX ? "log" : "linear" },
            YAxis = new Axis { Title = names.Count == 1 ? names[0] : "value", Type = LogY ? "log" : "linear" },
            Height = Height,
            ShowLegend = _series.Count > 1,
            UiRevision = "loss-curve",
            Margin = new Margin { L = 60, R = 20, T = Title is null ? 20 : 50, B = 50 },
        };
        return figure;
    }

    private static double MedianSpacing(List<double> x)
    {
        if (x.Count < 2) return 0;
        var gaps = new double[x.Count - 1];
        for (int i = 1; i < x.Count; i++) gaps[i - 1] = Math.Abs(x[i] - x[i - 1]);
        Array.Sort(gaps);
        return gaps[gaps.Length / 2];
    }

    /// <summary>Averages consecutive points in equal buckets when there are more than <paramref name="max"/>.</summary>
    internal static (double[] x, double[] y) Decimate(IReadOnlyList<double> x, IReadOnlyList<double> y, int max)
    {
        int n = x.Count;
        if (n <= max || max < 2) return (x.ToArray(), y.ToArray());
        var dx = new double[max];
        var dy = new double[max];
        for (int b = 0; b < max; b++)
        {
            int from = (int)((long)b * n / max), to = (int)((long)(b + 1) * n / max);
            double sx = 0, sy = 0; int count = 0, finite = 0;
            for (int i = from; i < to; i++)
            {
                sx += x[i]; count++;
                if (double.IsFinite(y[i])) { sy += y[i]; finite++; }
            }
            dx[b] = sx / count;
            dy[b] = finite > 0 ? sy / finite : double.NaN;
        }
        return (dx, dy);
    }

    private sealed class Series(string? run, string name)
    {
        public string? Run { get; } = run;
        public string Name { get; } = name;
        public string Label { get; } = run is null ? name : $"{run}/{name}";
        public List<double> X { get; } = new();
        public List<double> T { get; } = new();
        public List<double> Y { get; } = new();
    }
}
