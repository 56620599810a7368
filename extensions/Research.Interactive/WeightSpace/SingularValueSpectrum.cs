using Research.Torch;
using Research.Torch.NN;

namespace Research.Interactive;

/// <summary>Singular-value spectra of weight matrices (torch.linalg.svdvals), one line per layer on a log axis.</summary>
public static class SingularValueSpectrum
{
    /// <summary>
    /// Singular values (descending) of a weight tensor read as a matrix [out, in·…]: convolution kernels [out, in, k…]
    /// are flattened per output channel. Computed in float64 on the tensor's device.
    /// </summary>
    public static double[] Compute(Tensor weights)
    {
        if (weights.Dim < 2) throw new ArgumentException($"singular values need a matrix, got shape [{string.Join(", ", weights.Shape)}].", nameof(weights));
        using var scope = Research.Torch.Torch.NewScope();
        using var noGrad = Research.Torch.Torch.NoGrad();
        var matrix = weights.Detach().To(DType.Float64).Reshape(weights.Size(0), -1);
        return Linalg.SvdVals(matrix).To(Device.CPU).ToArray<double>();
    }

    /// <summary>Plots each layer's singular values against their rank.</summary>
    public static Figure Plot(IEnumerable<(string layer, Tensor weights)> layers, bool normalize = false, string? title = null) =>
        Plot(layers.Select(l => (l.layer, Compute(l.weights))), normalize, title);

    /// <summary>Plots the spectrum of every parameter of <paramref name="module"/> with two or more dimensions (weights, not biases).</summary>
    public static Figure Plot(Module module, bool normalize = false, string? title = null) =>
        Plot(module.NamedParameters().Where(p => p.Param.Dim >= 2).Select(p => (p.Name, (Tensor)p.Param)), normalize, title);

    /// <summary>Plots the spectra of weight matrices given as arrays [rows, cols].</summary>
    public static Figure Plot(IEnumerable<(string layer, float[,] weights)> layers, bool normalize = false, string? title = null) =>
        Plot(layers.Select(l =>
        {
            using var w = Tensor.From(l.weights);
            return (l.layer, Compute(w));
        }), normalize, title);

    private static Figure Plot(IEnumerable<(string layer, double[] values)> spectra, bool normalize, string? title)
    {
        var figure = new Figure();
        foreach (var (layer, values) in spectra)
        {
            var s = values;
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
