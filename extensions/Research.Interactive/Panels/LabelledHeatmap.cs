using System.Globalization;

namespace Research.Interactive;

/// <summary>
/// A matrix with named rows and columns (accuracy per method × seed, energy per layer × irrep, angles per layer × epoch),
/// optionally with each cell's value written in it. Row 0 is at the top.
/// <code>display(new LabelledHeatmap(z, rows: ["DFA", "backprop"], columns: ["seed 0", "seed 1"], "test accuracy") { ShowValues = true });</code>
/// </summary>
public sealed class LabelledHeatmap : IMimeRenderable, IUsesPlotly
{
    /// <summary>A heatmap of <paramref name="values"/> ([rows][columns]) with labels.</summary>
    public LabelledHeatmap(double[][] values, IReadOnlyList<string> rows, IReadOnlyList<string> columns, string? title = null)
    {
        if (values.Length != rows.Count || values.Any(r => r.Length != columns.Count))
            throw new ArgumentException($"values must be {rows.Count} rows × {columns.Count} columns to match the labels");
        Values = values;
        RowLabels = rows;
        ColumnLabels = columns;
        Title = title;
    }

    /// <summary>The values, [row][column].</summary>
    public double[][] Values { get; }

    /// <summary>Row labels, top to bottom.</summary>
    public IReadOnlyList<string> RowLabels { get; }

    /// <summary>Column labels, left to right.</summary>
    public IReadOnlyList<string> ColumnLabels { get; }

    /// <summary>The figure's title.</summary>
    public string? Title { get; set; }

    /// <summary>Colour scale; "Viridis" by default, "RdBu" for signed values (then centred on 0 unless a range is set).</summary>
    public string ColorScale { get; set; } = "Viridis";

    /// <summary>Lower end of the colour range (default: the data's).</summary>
    public double? Min { get; set; }

    /// <summary>Upper end of the colour range (default: the data's).</summary>
    public double? Max { get; set; }

    /// <summary>Writes each value in its cell (with <see cref="ValueFormat"/>).</summary>
    public bool ShowValues { get; set; }

    /// <summary>Format of the written values.</summary>
    public string ValueFormat { get; set; } = "G3";

    /// <summary>Title of the colour bar.</summary>
    public string? ValueTitle { get; set; }

    /// <summary>The heatmap as a plotly figure; labels sit on the axes and the left margin fits the longest row label.</summary>
    public Figure ToFigure()
    {
        double[] x = Enumerable.Range(0, ColumnLabels.Count).Select(i => (double)i).ToArray();
        double[] y = Enumerable.Range(0, RowLabels.Count).Select(i => (double)i).ToArray();
        bool diverging = ColorScale is "RdBu" or "RdBu_r";
        var figure = new Figure([new Heatmap
        {
            Z = Values, X = x, Y = y, ColorScale = ColorScale, ZMin = Min, ZMax = Max,
            ZMid = diverging && Min is null && Max is null ? 0 : null,
            ColorBar = ValueTitle is null ? null : new ColorBar { Title = ValueTitle },
        }], new Layout
        {
            Title = Title is null ? null : new Title { Text = Title },
            XAxis = new Axis { TickVals = x, TickText = ColumnLabels.ToArray() },
            YAxis = new Axis { TickVals = y, TickText = RowLabels.ToArray(), AutoRange = "reversed" },
            Margin = new Margin { L = Math.Min(320, 30 + 7 * RowLabels.DefaultIfEmpty("").Max(l => l.Length)) },
            Height = Math.Clamp(120 + 28 * RowLabels.Count, 260, 900),
        });
        if (ShowValues)
        {
            figure.Layout.Annotations = new();
            for (int r = 0; r < Values.Length; r++)
                for (int c = 0; c < Values[r].Length; c++)
                    figure.Layout.Annotations.Add(new Annotation
                    {
                        Text = Values[r][c].ToString(ValueFormat, CultureInfo.InvariantCulture), X = c, Y = r, ShowArrow = false,
                    });
        }
        return figure;
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => ToFigure().ToMimeBundle();
}
