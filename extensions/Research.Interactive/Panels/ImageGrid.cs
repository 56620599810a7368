using Research.Torch;

namespace Research.Interactive;

/// <summary>
/// Images side by side (or in rows), each with a caption and its own or a shared value range, drawn the way a person
/// expects: row 0 at the top, square pixels, low values dark and high values light in grey scale (an image is never its
/// negative), or a diverging map centred on 0 for signed maps.
/// <code>
/// display(new ImageGrid("fits", columns: 3) { Min = -1, Max = 1 }
///     .Add("target", image).Add("SIREN", siren).Add("ReLU + PE", relu));
/// </code>
/// </summary>
public sealed class ImageGrid : IMimeRenderable, IUsesPlotly
{
    private readonly List<(string Caption, double[][] Pixels, double? Min, double? Max)> _images = new();
    private readonly Dictionary<int, double[][][]> _colour = new();

    /// <summary>An empty grid; <paramref name="columns"/> images per row (default: all in one row).</summary>
    public ImageGrid(string? title = null, int? columns = null)
    {
        if (columns is < 1) throw new ArgumentOutOfRangeException(nameof(columns), $"columns must be at least 1, not {columns}");
        Title = title;
        Columns = columns;
    }

    /// <summary>The figure's title.</summary>
    public string? Title { get; set; }

    /// <summary>Images per row; null puts all in one row.</summary>
    public int? Columns { get; }

    /// <summary>"Greys" (dark = low), "Viridis", or a diverging map such as "RdBu" (then centred on 0).</summary>
    public string ColorScale { get; set; } = "Greys";

    /// <summary>Shared lower end of the colour range for images added without their own.</summary>
    public double? Min { get; set; }

    /// <summary>Shared upper end of the colour range for images added without their own.</summary>
    public double? Max { get; set; }

    /// <summary>Height of one row of images, in pixels.</summary>
    public int RowHeight { get; set; } = 260;

    /// <summary>Number of images added.</summary>
    public int Count => _images.Count;

    /// <summary>Adds a 2-D tensor ([height, width]; a leading 1 is squeezed) with a caption and optional range.</summary>
    public ImageGrid Add(string caption, Tensor image, double? min = null, double? max = null) =>
        Add(caption, TensorRows.Of(image), min, max);

    /// <summary>Adds an image given as rows of pixels (row 0 at the top).</summary>
    public ImageGrid Add(string caption, double[][] pixels, double? min = null, double? max = null)
    {
        if (pixels.Length == 0 || pixels.Any(r => r.Length != pixels[0].Length))
            throw new ArgumentException($"image '{caption}' must be a non-empty rectangle of pixels", nameof(pixels));
        _images.Add((caption, pixels, min, max));
        return this;
    }

    /// <summary>Adds a colour image given as rows of [r, g, b] pixels with channels in [0, 1] (row 0 at the top).</summary>
    public ImageGrid AddRgb(string caption, double[][][] pixels)
    {
        if (pixels.Length == 0 || pixels.Any(r => r.Length != pixels[0].Length || r.Any(p => p.Length != 3)))
            throw new ArgumentException($"colour image '{caption}' must be a non-empty rectangle of [r, g, b] pixels", nameof(pixels));
        _colour[_images.Count] = pixels.Select(r => r.Select(p => p.Select(c => Math.Round(255 * Math.Clamp(c, 0, 1))).ToArray()).ToArray()).ToArray();
        _images.Add((caption, pixels.Select(r => r.Select(p => p.Average()).ToArray()).ToArray(), 0, 1));
        return this;
    }

    /// <summary>The images as one plotly figure, one heatmap (or colour image) panel each.</summary>
    public Figure ToFigure()
    {
        if (_images.Count == 0) throw new InvalidOperationException("an image grid needs at least one image");
        int columns = Columns ?? _images.Count, rows = (_images.Count + columns - 1) / columns;
        var grid = new PanelGrid(rows, columns, Title) { RowHeight = RowHeight, ShowLegend = false };
        bool diverging = ColorScale is "RdBu" or "RdBu_r" or "Picnic" or "Portland";
        for (int i = 0; i < _images.Count; i++)
        {
            var (caption, pixels, min, max) = _images[i];
            if (_colour.TryGetValue(i, out var rgb))
                grid.Add(i, new RgbImage { Z = rgb, HoverTemplate = "row %{y}, column %{x}: %{z}<extra>" + caption + "</extra>" });
            else grid.Add(i, new Heatmap
            {
                Z = pixels, ColorScale = ColorScale,          // plotly's "Greys" already runs black (low) → white (high)
                ZMin = min ?? Min, ZMax = max ?? Max, ZMid = diverging && (min ?? Min) is null ? 0 : null, ShowScale = false,
                HoverTemplate = "row %{y}, column %{x}: %{z:.4g}<extra>" + caption + "</extra>",
            });
            grid.Title(i, caption);
            grid.XAxis(i, new Axis { TickVals = [], ScaleAnchor = i == 0 ? "y" : "y" + (i + 1) });
            grid.YAxis(i, new Axis { TickVals = [], AutoRange = "reversed" });
        }
        return grid.ToFigure();
    }

    /// <inheritdoc />
    public MimeBundle ToMimeBundle() => ToFigure().ToMimeBundle();
}
