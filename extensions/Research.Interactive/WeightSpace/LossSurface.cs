namespace Research.Interactive;

/// <summary>Loss values on a 2-D grid: <see cref="Values"/>[row j][column i] is the loss at (<see cref="X"/>[i], <see cref="Y"/>[j]).</summary>
public sealed record LossSurface(double[] X, double[] Y, double[][] Values)
{
    /// <summary>Evaluates <paramref name="loss"/> at every grid point (x, y) of the given axes.</summary>
    public static LossSurface Evaluate(double[] x, double[] y, Func<double, double, double> loss)
    {
        var values = new double[y.Length][];
        for (int j = 0; j < y.Length; j++)
        {
            values[j] = new double[x.Length];
            for (int i = 0; i < x.Length; i++) values[j][i] = loss(x[i], y[j]);
        }
        return new LossSurface(x, y, values);
    }

    /// <summary><paramref name="count"/> evenly spaced values from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static double[] Grid(double from, double to, int count)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "a grid needs at least two points");
        return Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1)).ToArray();
    }

    /// <summary>A contour trace of this surface (log-scaled colours are the caller's choice of values).</summary>
    public Contour ToContour(string colourTitle = "loss") => new()
    {
        Z = Values, X = X, Y = Y, ColorScale = "Viridis", NContours = 30,
        ColorBar = new ColorBar { Title = colourTitle },
        Name = "loss surface",
    };
}
