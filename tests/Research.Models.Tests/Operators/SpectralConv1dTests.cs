using System.Numerics;
using Research.Models.Operators;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Operators;

public class SpectralConv1dTests
{
    /// <summary>
    /// The definition written out with an explicit DFT in float64: X_i(k) = Σ_j x_i(j) e^(−2πijk/n),
    /// Y_o(k) = Σ_i R_io(k) X_i(k) for k &lt; modes, and the real inverse
    /// y_o(j) = (1/n)[Re Y_o(0) + 2 Σ_{k=1}^{modes−1} Re(Y_o(k) e^(2πijk/n))].
    /// </summary>
    private static double[,,] DirectDefinition(double[,,] x, Complex[,,] r)
    {
        int batch = x.GetLength(0), inChannels = x.GetLength(1), n = x.GetLength(2);
        int outChannels = r.GetLength(1), modes = r.GetLength(2);
        var y = new double[batch, outChannels, n];
        for (int b = 0; b < batch; b++)
        {
            var spectrum = new Complex[inChannels, modes];
            for (int i = 0; i < inChannels; i++)
                for (int k = 0; k < modes; k++)
                    for (int j = 0; j < n; j++)
                        spectrum[i, k] += x[b, i, j] * Complex.Exp(new Complex(0, -2 * Math.PI * j * k / n));
            for (int o = 0; o < outChannels; o++)
            {
                var mixed = new Complex[modes];
                for (int k = 0; k < modes; k++)
                    for (int i = 0; i < inChannels; i++) mixed[k] += r[i, o, k] * spectrum[i, k];
                for (int j = 0; j < n; j++)
                {
                    double sum = mixed[0].Real;
                    for (int k = 1; k < modes; k++) sum += 2 * (mixed[k] * Complex.Exp(new Complex(0, 2 * Math.PI * j * k / n))).Real;
                    y[b, o, j] = sum / n;
                }
            }
        }
        return y;
    }

    private static SpectralConv1d RandomLayer(long inChannels, long outChannels, int modes, int seed)
    {
        ManualSeed((ulong)seed);
        var layer = new SpectralConv1d(inChannels, outChannels, modes, DType.Float64);
        using (NoGrad()) Init.Normal_(layer.Weight, 0, 1);                 // O(1) weights, so that every mode matters
        return layer;
    }

    [Theory]
    [InlineData(12, 4)]     // even grid
    [InlineData(11, 5)]     // odd grid, every mode up to the last one below Nyquist
    [InlineData(32, 16)]    // modes = n/2: the largest allowed
    public void MatchesTheDirectDftDefinitionInFloat64(int n, int modes)
    {
        using var scope = NewScope();
        using var layer = RandomLayer(3, 2, modes, seed: n);
        var x = Tensor.RandN([2, 3, n], DType.Float64);

        var y = layer.Forward(x);

        var xs = x.ToArray<double>();
        var x3 = new double[2, 3, n];
        for (int i = 0; i < xs.Length; i++) x3[i / (3 * n), i / n % 3, i % n] = xs[i];
        var w = layer.Weight.Detach().ToArray<double>();                  // [in, out, modes, 2]
        var r = new Complex[3, 2, modes];
        for (int i = 0; i < 3; i++)
            for (int o = 0; o < 2; o++)
                for (int k = 0; k < modes; k++)
                {
                    int at = ((i * 2 + o) * modes + k) * 2;
                    r[i, o, k] = new Complex(w[at], w[at + 1]);
                }
        var expected = DirectDefinition(x3, r);
        var actual = y.ToArray<double>();
        Assert.Equal([2L, 2, n], y.Shape);
        for (int b = 0; b < 2; b++)
            for (int o = 0; o < 2; o++)
                for (int j = 0; j < n; j++)
                    Assert.True(Math.Abs(expected[b, o, j] - actual[(b * 2 + o) * n + j]) < 1e-12,
                        $"y[{b},{o},{j}]: layer {actual[(b * 2 + o) * n + j]} vs direct DFT {expected[b, o, j]}");
    }

    [Fact]
    public void ComplexWeightIsAViewOfTheRealParameter()
    {
        using var scope = NewScope();
        using var layer = RandomLayer(2, 3, 5, seed: 1);
        Assert.Equal([2L, 3, 5, 2], layer.Weight.Shape);
        var complex = layer.ComplexWeight;
        Assert.Equal(DType.Complex128, complex.DType);
        Assert.Equal([2L, 3, 5], complex.Shape);
        Assert.Equal(layer.Weight.Select(3, 0).ToArray<double>(), complex.Real().ToArray<double>());
        Assert.Equal(layer.Weight.Select(3, 1).ToArray<double>(), complex.Imag().ToArray<double>());
        Assert.Equal(complex.Abs().ToArray<double>(), layer.WeightMagnitudes().ToArray<double>());
        Assert.Single(layer.Parameters());
    }

    [Fact]
    public void OneModeIsScaledAndShiftedByItsWeightAndModesAboveTheCutOffVanish()
    {
        // in = out = 1: cos(2πkx) ↦ |R(k)| cos(2πkx + arg R(k)) for k < modes, ↦ 0 for k ≥ modes.
        using var scope = NewScope();
        using var layer = RandomLayer(1, 1, 4, seed: 2);
        const int n = 64;
        var x = Tensor.Arange(n, DType.Float64) / n;
        var r = layer.ComplexWeight.Detach().Reshape(-1);
        for (int k = 1; k < 8; k++)
        {
            var input = (x * (2 * Math.PI * k)).Cos().Reshape(1, 1, n);
            var output = layer.Forward(input).Reshape(-1);
            var expected = k < 4
                ? (x * (2 * Math.PI * k) + r[k].Angle().Item<double>()).Cos() * r[k].Abs().Item<double>()
                : x.ZerosLike();
            Assert.True((output - expected).Abs().Max().Item<double>() < 1e-13, $"mode {k}");
        }
    }

    [Fact]
    public void IsDiscretisationInvariantOnBandLimitedInputs()
    {
        // A band-limited function (modes < 12, some above the layer's 6) sampled on 24, 48 and 384 points: the output on
        // the finer grid, read at the coarse grid's points, is the coarse grid's output. The weights act on Fourier
        // coefficients of the function, not on grid values.
        using var scope = NewScope();
        using var layer = RandomLayer(2, 3, 6, seed: 3);
        var coefficients = Tensor.RandN([2, 2, 12], DType.Float64);       // [batch, in, modes] cos and sin amplitudes
        var phases = Tensor.RandN([2, 2, 12], DType.Float64);
        Tensor Sample(int n)
        {
            var x = Tensor.Arange(n, DType.Float64) / n;                    // [n]
            var k = Tensor.Arange(12, DType.Float64).Unsqueeze(1);          // [12, 1]
            var waves = (k * x * (2 * Math.PI)).Unsqueeze(0).Unsqueeze(0) + phases.Unsqueeze(-1);   // [2, 2, 12, n]
            return (waves.Cos() * coefficients.Unsqueeze(-1)).Sum(dim: 2);  // [2, 2, n]
        }
        var coarse = layer.Forward(Sample(24));
        foreach (var n in new[] { 48, 384 })
        {
            var fine = layer.Forward(Sample(n));
            var atCoarsePoints = fine.Slice(2, 0, n, n / 24);
            Assert.True((atCoarsePoints - coarse).Abs().Max().Item<double>() < 1e-12, $"{n} points vs 24 points");
        }
    }

    [Fact]
    public void CommutesWithCircularShifts()
    {
        using var scope = NewScope();
        using var layer = RandomLayer(3, 3, 5, seed: 4);
        var x = Tensor.RandN([2, 3, 20], DType.Float64);
        foreach (var shift in new[] { 1, 7, -3 })
        {
            var shiftedOutput = layer.Forward(x.Roll(shift, 2));
            var outputShifted = layer.Forward(x).Roll(shift, 2);
            Assert.True((shiftedOutput - outputShifted).Abs().Max().Item<double>() < 1e-12, $"shift {shift}");
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using var scope = NewScope();
        using var layer = RandomLayer(2, 2, 3, seed: 5);
        var x = Tensor.RandN([2, 2, 9], DType.Float64).RequiresGrad_();
        var c = Tensor.RandN([2, 2, 9], DType.Float64);                 // loss = Σ c ⊙ K x
        double Loss()
        {
            using var s = NewScope();
            using var noGrad = NoGrad();
            return (layer.Forward(x) * c).Sum().Item<double>();
        }

        (layer.Forward(x) * c).Sum().Backward();
        var dW = layer.Weight.Grad!.Detach().Clone();
        var dX = x.Grad!.Detach().Clone();
        const double h = 1e-6;
        void Check(Tensor target, Tensor grad, long[] index, string name)
        {
            var at = index.Select(i => (TensorIndex)i).ToArray();
            double original = target[at].Item<double>();
            using (NoGrad()) target[at] = Tensor.ScalarTensor(original + h);
            double plus = Loss();
            using (NoGrad()) target[at] = Tensor.ScalarTensor(original - h);
            double minus = Loss();
            using (NoGrad()) target[at] = Tensor.ScalarTensor(original);
            double fd = (plus - minus) / (2 * h), analytic = grad[at].Item<double>();
            Assert.True(Math.Abs(fd - analytic) < 1e-7 * Math.Max(1, Math.Abs(fd)), $"{name}[{string.Join(",", index)}]: autograd {analytic} vs finite difference {fd}");
        }
        // real and imaginary parts of the mean mode (whose imaginary output is dropped) and of higher modes
        foreach (var index in new long[][] { [0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 1, 0], [1, 1, 2, 1], [0, 1, 2, 0] })
            Check(layer.Weight, dW, index, "dL/dR");
        foreach (var index in new long[][] { [0, 0, 0], [1, 1, 4], [0, 1, 8] })
            Check(x, dX, index, "dL/dx");
        // Im R(0) cannot change a real output: its gradient is exactly zero
        Assert.Equal(0.0, dW[0, 1, 0, 1].Item<double>());
    }

    [Fact]
    public void WithHeatKernelWeightsItSolvesTheHeatEquationExactly()
    {
        // u_t = ν u_xx is diagonal in Fourier space: û_k(t) = e^(−ν(2πk)²t) û_k(0). A one-channel layer whose weights are
        // those factors (real) reproduces the exact solution of a band-limited initial condition at any resolution.
        using var scope = NewScope();
        const double nu = 0.01, t = 0.5;
        const int modes = 8;
        using var layer = new SpectralConv1d(1, 1, modes, DType.Float64);
        var factors = Tensor.Arange(modes, DType.Float64).Square() * (-nu * 4 * Math.PI * Math.PI * t);
        using (NoGrad()) layer.Weight.Copy_(Tensor.Stack([factors.Exp(), factors.ZerosLike()], -1).Reshape(1, 1, modes, 2));
        foreach (var n in new[] { 16, 100, 256 })
        {
            var x = Tensor.Arange(n, DType.Float64) / n;
            Tensor U0(Tensor xs) => 0.3 + (xs * (2 * Math.PI)).Sin() - 0.5 * (xs * (6 * Math.PI) + 1).Cos() + 0.2 * (xs * (14 * Math.PI)).Sin();
            var exact = 0.3 + (x * (2 * Math.PI)).Sin() * Math.Exp(-nu * 4 * Math.PI * Math.PI * t)
                        - 0.5 * (x * (6 * Math.PI) + 1).Cos() * Math.Exp(-nu * 36 * Math.PI * Math.PI * t)
                        + 0.2 * (x * (14 * Math.PI)).Sin() * Math.Exp(-nu * 196 * Math.PI * Math.PI * t);
            var solved = layer.Forward(U0(x).Reshape(1, 1, n)).Reshape(-1);
            Assert.True((solved - exact).Abs().Max().Item<double>() < 1e-13, $"{n} points");
        }
    }

    [Fact]
    public void InitialWeightsAreSmallAndUniform()
    {
        using var scope = NewScope();
        ManualSeed(6);
        using var layer = new SpectralConv1d(16, 8, 12);
        double bound = 1.0 / Math.Sqrt(16 * 8);
        Assert.Equal(DType.Float32, layer.Weight.DType);
        Assert.True(layer.Weight.Abs().Max().Item<float>() <= bound);
        Assert.Equal(bound / Math.Sqrt(3), layer.Weight.Std().Item<float>(), bound * 0.05);   // std of U(−b, b)
        Assert.Equal(16L * 8 * 12 * 2, layer.ParameterCount());
    }

    [Fact]
    public void BadInputsAreRejectedWithClearMessages()
    {
        using var scope = NewScope();
        using var layer = new SpectralConv1d(2, 3, 8);
        var wrongChannels = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN(4, 3, 32)));
        Assert.Contains("[batch, 2, points]", wrongChannels.Message);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN(2, 32)));
        var coarse = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN(4, 2, 15)));
        Assert.Contains("at least 16 points", coarse.Message);
        var dtype = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.RandN([4, 2, 32], DType.Float64)));
        Assert.Contains("Float64", dtype.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralConv1d(2, 3, 0));
        Assert.Throws<ArgumentException>(() => new SpectralConv1d(2, 3, 4, DType.Complex64));
        Assert.Equal(16, layer.Forward(Tensor.RandN(1, 2, 16)).Size(2));       // 2·modes points is enough
    }
}
