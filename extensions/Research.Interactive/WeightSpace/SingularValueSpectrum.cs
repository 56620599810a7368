namespace Research.Interactive;

/// <summary>Singular-value spectra of weight matrices, one line per layer on a log axis.</summary>
public static class SingularValueSpectrum
{
    /// <summary>Computes each layer's singular values (descending) and plots them against their rank.</summary>
    public static Figure Plot(IEnumerable<(string layer, float[,] weights)> layers, bool normalize = false, string? title = null)
    {
        var figure = new Figure();
        foreach (var (layer, w) in layers)
        {
            var s = SingularValues.Compute(w);
            if (normalize && s.Length > 0 && s[0] > 0) s = s.Select(v => v / s[0]).ToArray();
            figure.Data.Add(new Scatter { Name = layer, X = Enumerable.Range(1, s.Length).Select(i => (double)i).ToArray(), Y = s, Mode = "lines+markers", Marker = new Marker { Size = 4 } });
        }
        figure.Layout = new Layout
        {
            Title = title ?? "Singular-value spectra",
            XAxis = new Axis { Title = "rank" },
            YAxis = new Axis { Title = normalize ? "σᵢ / σ₁" : "σᵢ", Type = "log" },
        };
        return figure;
    }
}
