using Research.Models.Operators;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Operators;

public class FourierNeuralOperatorTests
{
    /// <summary>A smooth periodic test field: a few low modes with seeded amplitudes and phases, [batch, n] in float64.</summary>
    internal static Tensor SmoothField(int batch, int n, int seed, int modes = 5)
    {
        var random = new Random(seed);
        var field = new double[batch * n];
        for (int b = 0; b < batch; b++)
            for (int k = 1; k <= modes; k++)
            {
                double amplitude = (random.NextDouble() - 0.5) / k, phase = 2 * Math.PI * random.NextDouble();
                for (int j = 0; j < n; j++) field[b * n + j] += amplitude * Math.Cos(2 * Math.PI * k * j / n + phase);
            }
        return Tensor.From(field, batch, n);
    }

    private static double RelativeDifference(Tensor a, Tensor b) => ((a - b).Norm().Item<double>()) / b.Norm().Item<double>();

    [Fact]
    public void MapsFieldsToFieldsOnAnyGridOfAtLeastTwiceTheModes()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var fno = new FourierNeuralOperator(new FourierNeuralOperatorConfig(Width: 8, Modes: 6, Layers: 3, ProjectionWidth: 16));
        foreach (var n in new[] { 12, 64, 100, 512 })
            Assert.Equal([3L, n], fno.Forward(Tensor.RandN(3, n)).Shape);
        using var multi = new FourierNeuralOperator(new FourierNeuralOperatorConfig(InChannels: 2, OutChannels: 3, Width: 8, Modes: 4, Layers: 2));
        Assert.Equal([5L, 3, 40], multi.Forward(Tensor.RandN(5, 2, 40)).Shape);
        Assert.Equal(12, fno.MinimumPoints);
        Assert.Throws<ArgumentException>(() => fno.Forward(Tensor.RandN(3, 11)));           // below 2·modes
        Assert.Throws<ArgumentException>(() => fno.Forward(Tensor.RandN(3, 2, 64)));        // one input channel expected
        Assert.Throws<ArgumentException>(() => multi.Forward(Tensor.RandN(5, 40)));         // two input channels expected
    }

    [Fact]
    public void ParameterCountsFollowTheShape()
    {
        using var scope = NewScope();
        var c = new FourierNeuralOperatorConfig(Width: 12, Modes: 7, Layers: 3, ProjectionWidth: 20);
        using var fno = new FourierNeuralOperator(c);
        long spectral = 3L * 12 * 12 * 7 * 2;                                   // complex R(k) per layer: width² · modes · 2 reals
        long pointwise = 3L * (12 * 12 + 12);                                   // W, b per layer
        long liftAndProject = (1 * 12 + 12) + (12 * 20 + 20) + (20 * 1 + 1);
        Assert.Equal(spectral, fno.SpectralParameterCount);
        Assert.Equal(spectral + pointwise + liftAndProject, fno.ParameterCount());
        Assert.True(fno.Layers[^1].Activation is false && fno.Layers.Take(2).All(l => l.Activation));
    }

    [Fact]
    public void CommutesWithCircularShifts()
    {
        // No coordinate channel: the network is equivariant to shifts of the periodic domain, like the Burgers operator.
        using var scope = NewScope();
        ManualSeed(2);
        using var fno = new FourierNeuralOperator(new FourierNeuralOperatorConfig(Width: 8, Modes: 5, Layers: 2), DType.Float64);
        var a = Tensor.RandN([2, 30], DType.Float64);
        foreach (var shift in new[] { 1, 11 })
            Assert.True((fno.Forward(a.Roll(shift, 1)) - fno.Forward(a).Roll(shift, 1)).Abs().Max().Item<double>() < 1e-12);
    }

    [Fact]
    public void ZeroShotOnAFinerGridGivesTheSameFunctionUnlikeACnn()
    {
        // The same smooth input on 64 and 512 points. The FNO's responses agree at the shared points: its layers are
        // pointwise or act on Fourier coefficients, and the only discrepancy is the aliasing, on the coarse grid, of the
        // high frequencies its GELUs create — exponentially small for a smooth input. The CNN's kernels cover an 8×
        // narrower stretch of the domain on the fine grid, so it computes a different function. Compared: the
        // input-dependent part f(a) − f(0) (at initialisation the biases dominate f itself).
        using var scope = NewScope();
        ManualSeed(3);
        using var fno = new FourierNeuralOperator(new FourierNeuralOperatorConfig(Width: 16, Modes: 8, Layers: 4), DType.Float64);
        using var cnn = new ConvolutionalBaseline(new ConvolutionalBaselineConfig(Width: 16, KernelSize: 5, Layers: 4), DType.Float64);
        var coarse = SmoothField(4, 64, seed: 3);
        var fine = SmoothField(4, 512, seed: 3);
        Assert.True((fine.Slice(1, 0, 512, 8) - coarse).Abs().Max().Item<double>() < 1e-12);        // the same function

        static Tensor Response(Module<Tensor, Tensor> net, Tensor a) => net.Forward(a) - net.Forward(a.ZerosLike());
        double fnoDrift, cnnDrift;
        using (NoGrad())
        {
            fnoDrift = RelativeDifference(Response(fno, fine).Slice(1, 0, 512, 8), Response(fno, coarse));
            cnnDrift = RelativeDifference(Response(cnn, fine).Slice(1, 0, 512, 8), Response(cnn, coarse));
        }
        Assert.True(fnoDrift < 1e-10, $"FNO response changed by {fnoDrift:E2} from 64 to 512 points");
        Assert.True(cnnDrift > 0.1, $"CNN response changed by {cnnDrift:E2} only");
    }

    [Fact]
    public void EveryParameterGetsAGradient()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var fno = new FourierNeuralOperator(new FourierNeuralOperatorConfig(Width: 8, Modes: 4, Layers: 2));
        var loss = fno.Forward(Tensor.RandN(3, 16)).Square().Mean();
        loss.Backward();
        foreach (var (name, p) in fno.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            Assert.True(p.Grad!.Abs().Sum().Item<float>() > 0, $"{name} has a zero gradient");
            Assert.True(p.Grad!.IsFinite().All().Item<bool>(), $"{name} has a non-finite gradient");
        }
    }

    [Fact]
    public void LearnsTheHeatSemigroupFromSamples()
    {
        // A one-layer FNO trained on pairs (u₀, e^(tνΔ)u₀) of random smooth fields learns the (linear, Fourier-diagonal)
        // heat operator: its relative error on unseen fields ends below 5 % (the identity guess u(t) ≈ u₀ is off by ≈ 190 %).
        using var scope = NewScope();
        ManualSeed(5);
        const double nu = 0.02, t = 1.0;
        const int n = 64, modes = 8;
        using var fno = new FourierNeuralOperator(new FourierNeuralOperatorConfig(Width: 8, Modes: modes, Layers: 1, ProjectionWidth: 8));
        Tensor Heat(Tensor u0)
        {
            using var s = NewScope();
            var decay = (Tensor.Arange(n / 2 + 1, DType.Float64).Square() * (-nu * 4 * Math.PI * Math.PI * t)).Exp();
            return s.Keep(Fft.IRFFT(Fft.RFFT(u0, dim: -1) * decay, n: n, dim: -1).Float());
        }
        var trainX = SmoothField(64, n, seed: 10).DetachFromScope();
        var trainY = Heat(trainX).DetachFromScope();
        var testX = SmoothField(64, n, seed: 11);
        var testY = Heat(testX);
        using var x = trainX.Float();
        using var optimizer = new Research.Torch.Optim.Adam(fno.Parameters(), lr: 2e-2);
        for (int step = 0; step < 100; step++)
        {
            using var s = NewScope();
            var loss = (fno.Forward(x) - trainY).Square().Mean();
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        trainX.Dispose();
        trainY.Dispose();
        double error, identity;
        using (NoGrad())
        {
            error = RelativeDifference(fno.Forward(testX.Float()), testY);
            identity = RelativeDifference(testX.Float(), testY);
        }
        Assert.True(identity > 1, $"the identity guess is already close ({identity:F4}): the test would not show learning");
        Assert.True(error < 0.05, $"relative error {error:F4} (identity guess {identity:F4})");
    }
}
