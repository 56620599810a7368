namespace Research.Interactive;

/// <summary>
/// A grid of plots in one figure — rows × columns of panels, each with its own traces and title, optionally sharing
/// axes — built without hand-written subplot layouts. Series with the same name get the same colour in every panel and
/// one legend entry.
/// <code>
/// var grid = new PanelGrid(1, 3, "test error by resolution") { SharedY = true, LogY = true };
/// grid.Line(0, "FNO", resolutions, fnoErrors);     // panel 0, colour of "FNO" everywhere
/// grid.Title(0, "n = 128");
/// display(grid);
/// </code>
/// </summary>
public sealed class PanelGrid : IMimeRenderable, IUsesPlotly
{
    private readonly List<Trace>[] _traces;
    private readonly string?[] _titles;
    private readonly Axis?[] _xAxes, _yAxes;
    private readonly List<string> _seriesNames = new();

    /// <summary>A grid of <paramref name="rows"/> × <paramref name="columns"/> empty panels, numbered row by row from 0.</summary>
    public PanelGrid(int rows, int columns, string? title = null)
    {
        if (rows < 1 || columns < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"a grid needs at least 1 × 1 panels, not {rows} × {columns}");
        Rows = rows;
        Columns = columns;
        FigureTitle = title;
        _traces = Enumerable.Range(0, rows * columns).Select(_ => new List<Trace>()).ToArray();
        _titles = new string?[rows * columns];
        _xAxes = new Axis?[rows * columns];
        _yAxes = new Axis?[rows * columns];
    }

    /// <summary>A single row of <paramref name="panels"/> panels.</summary>
    public static PanelGrid Row(int panels, string? title = null) => new(1, panels, title);

    /// <summary>Number of panel rows.</summary>
    public int Rows { get; }

    /// <summary>Number of panel columns.</summary>
    public int Columns { get; }

    /// <summary>The figure's title.</summary>
    public string? FigureTitle { get; set; }

    /// <summary>All panels share one x range (zooming one zooms all).</summary>
    public bool SharedX { get; set; }

    /// <summary>All panels share one y range.</summary>
    public bool SharedY { get; set; }

    /// <summary>Logarithmic x axes (every panel).</summary>
    public bool LogX { get; set; }

    /// <summary>Logarithmic y axes (every panel).</summary>
    public bool LogY { get; set; }

    /// <summary>x-axis title of the bottom row.</summary>
    public string? XTitle { get; set; }

    /// <summary>y-axis title of the left column.</summary>
    public string? YTitle { get; set; }

    /// <summary>Height of one row of panels, in pixels.</summary>
    public int RowHeight { get; set; } = 280;

    /// <summary>Show the legend (on by default when any trace is named).</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Sets panel <paramref name="panel"/>'s title.</summary>
    public PanelGrid Title(int panel, string title) { _titles[Check(panel)] = title; return this; }

    /// <summary>Sets panel <paramref name="panel"/>'s own x axis (title, range, ticks); its domain and anchor are set by the grid.</summary>
    public PanelGrid XAxis(int panel, Axis axis) { _xAxes[Check(panel)] = axis; return this; }

    /// <summary>Sets panel <paramref name="panel"/>'s own y axis (title, range, ticks); its domain and anchor are set by the grid.</summary>
    public PanelGrid YAxis(int panel, Axis axis) { _yAxes[Check(panel)] = axis; return this; }

    /// <summary>Adds any trace to panel <paramref name="panel"/>; its axes are set by the grid.</summary>
    public PanelGrid Add(int panel, Trace trace) { _traces[Check(panel)].Add(trace); return this; }

    /// <summary>
    /// Adds a line (or markers, with <paramref name="mode"/>) named <paramref name="series"/> to panel <paramref name="panel"/>;
    /// a series keeps its colour across panels and appears once in the legend.
    /// </summary>
    public PanelGrid Line(int panel, string series, IEnumerable<double> x, IEnumerable<double> y, string mode = "lines", string? dash = null)
    {
        bool first = !_seriesNames.Contains(series);
        if (first) _seriesNames.Add(series);
        return Add(panel, new Scatter
        {
            Name = series, X = x.ToArray(), Y = y.ToArray(), Mode = mode, LegendGroup = series, ShowLegend = first,
            Line = new Line { Color = ColorOf(series), Dash = dash }, Marker = new Marker { Color = ColorOf(series) },
        });
    }

    /// <summary>The colour series <paramref name="series"/> has (or will get) in this grid.</summary>
    public string ColorOf(string series)
    {
        int index = _seriesNames.IndexOf(series);
        return Palette.Color(index < 0 ? _seriesNames.Count : index);
    }

    /// <summary>The grid as one plotly figure with a subplot per panel.</summary>
    public Figure ToFigure()
    {
        const double gapX = 0.06, gapY = 0.12;
        double width = (1 - gapX * (Columns - 1)) / Columns, height = (1 - gapY * (Rows - 1)) / Rows;
        var layout = new Layout
        {
            Title = FigureTitle is null ? null : new Title { Text = FigureTitle },
            Height = 90 + RowHeight * Rows,
            ShowLegend = ShowLegend ?? _traces.Any(t => t.Any(tr => tr.Name is not null)),
            Annotations = new(),
            Margin = new Margin { T = FigureTitle is null ? 40 : 70 },
        };
        var figure = new Figure { Layout = layout };
        for (int p = 0; p < _traces.Length; p++)
        {
            int row = p / Columns, column = p % Columns;
            string suffix = p == 0 ? "" : (p + 1).ToString();
            double x0 = column * (width + gapX), y1 = 1 - row * (height + gapY);
            var x = _xAxes[p] ?? new Axis();
            var y = _yAxes[p] ?? new Axis();
            x.Domain = [x0, x0 + width];
            y.Domain = [y1 - height, y1];
            x.Anchor = "y" + suffix;
            y.Anchor = "x" + suffix;
            if (LogX) x.Type = "log";
            if (LogY) y.Type = "log";
            if (SharedX && p > 0) x.Matches = "x";
            if (SharedY && p > 0) y.Matches = "y";
            if (row == Rows - 1 && XTitle is not null && x.Title is null) x.Title = XTitle;
            if (column == 0 && YTitle is not null && y.Title is null) y.Title = YTitle;
            layout.SetAxis("xaxis" + suffix, x);
            layout.SetAxis("yaxis" + suffix, y);
            foreach (var trace in _traces[p])
            {
                trace.XAxis = "x" + suffix;
                trace.YAxis = "y" + suffix;
                figure.Data.Add(trace);
            }
            if (_titles[p] is { } title)
                layout.Annotations.Add(new Annotation
                {
                    Text = title, X = x0 + width / 2, Y = y1, XRef = "paper", YRef = "paper",
                    ShowArrow = false, XAnchor = "center", YAnchor = "bottom",
                });
        }
        return figure;
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => ToFigure().ToMimeBundle();

    private int Check(int panel) => panel >= 0 && panel < _traces.Length ? panel
        : throw new ArgumentOutOfRangeException(nameof(panel), $"panel {panel} is outside the {Rows} × {Columns} grid (0 … {_traces.Length - 1})");
}
