namespace Research.Interactive;

/// <summary>A weight matrix as a heatmap on a diverging colour scale centred on zero, row 0 at the top.</summary>
public static class WeightMatrixView
{
    /// <summary>Heatmap of <paramref name="w"/> [rows = outputs, columns = inputs].</summary>
    public static Figure Plot(float[,] w, string? title = null)
    {
        int rows = w.GetLength(0), cols = w.GetLength(1);
        var z = new double[rows][];
        double peak = 0;
        for (int r = 0; r < rows; r++)
        {
            z[r] = new double[cols];
            for (int c = 0; c < cols; c++) { z[r][c] = w[r, c]; if (double.IsFinite(z[r][c])) peak = Math.Max(peak, Math.Abs(z[r][c])); }
        }
        if (peak == 0) peak = 1;
        return new Figure(
            [new Heatmap { Z = z, ColorScale = "RdBu", ReverseScale = true, ZMid = 0, ZMin = -peak, ZMax = peak, ColorBar = new ColorBar { Title = "w" },
                HoverTemplate = "row %{y}, col %{x}: %{z:.4g}<extra></extra>" }],
            new Layout
            {
                Title = title ?? $"Weights {rows}×{cols}",
                XAxis = new Axis { Title = "input" },
                YAxis = new Axis { Title = "output", AutoRange = "reversed" },
                Height = Math.Clamp(120 + 6 * rows, 300, 700),
            });
    }
}
