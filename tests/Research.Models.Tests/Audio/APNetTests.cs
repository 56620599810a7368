using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class APNetTests
{
    private static readonly APNetConfig Small = new(MelBands: 8, NFft: 64, Hop: 16, Channels: 6, Blocks: 2, KernelSize: 3);

    [Fact]
    public void SpectraHaveOneFrameAndAllBinsPerInputFrameAndPhaseInPrincipalRange()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var net = new APNet(Small);
        var (a, p) = net.Forward(Tensor.RandN([2, 8, 11]));
        Assert.Equal(new long[] { 2, 33, 11 }, a.Shape);
        Assert.Equal(new long[] { 2, 33, 11 }, p.Shape);
        var phase = p.ToArray<float>();
        Assert.All(phase, x => Assert.InRange(x, -Math.PI - 1e-6, Math.PI + 1e-6));
        Assert.True(phase.Max() - phase.Min() > 3);                    // uses the whole circle, not a squashed range
    }

    [Fact]
    public void PhaseIsAtan2OfTheTwoParallelLinearConvs()
    {
        using var scope = NewScope();
        ManualSeed(4);
        using var net = new APNet(Small, dtype: DType.Float64);
        var x = Tensor.RandN([1, 8, 9], DType.Float64);
        var (_, p) = net.Forward(x);
        var h = net.PhaseInput.Forward(x);
        foreach (var b in net.PhaseBlocks) h = b.Forward(h);
        h = h.LeakyRelu(0.1);
        var r = net.PhaseReal.Forward(h).ToArray<double>();
        var i = net.PhaseImaginary.Forward(h).ToArray<double>();
        var got = p.ToArray<double>();
        for (int n = 0; n < got.Length; n++) Assert.Equal(Math.Atan2(i[n], r[n]), got[n], 10);
    }

    [Fact]
    public void ParameterCountMatchesTheFormula()
    {
        using var scope = NewScope();
        using var net = new APNet(Small);
        Assert.Equal(Small.ParameterCount, net.Parameters().Sum(t => t.NumEl));
        using var big = new APNet(new APNetConfig());
        Assert.Equal(new APNetConfig().ParameterCount, big.Parameters().Sum(t => t.NumEl));
    }

    [Fact]
    public void WaveformIsTheInverseStftOfThePredictedSpectrum()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var net = new APNet(Small, dtype: DType.Float64);
        var x = Tensor.RandN([1, 8, 12], DType.Float64);
        long length = 11 * 16;
        var wave = net.Vocode(x, length);
        Assert.Equal(new long[] { 1, length }, wave.Shape);
        // the definition written out: complex spectrum A·(cos P + i sin P), Hann window, centred iSTFT
        var (a, p) = net.Forward(x);
        var amplitude = a.Exp();
        var spectrum = Tensor.Complex(amplitude * p.Cos(), amplitude * p.Sin());
        var window = Fft.HannWindow(64, dtype: DType.Float64);
        var expected = Fft.Istft(spectrum, 64, 16, 64, window, length: length);
        Assert.True((wave - expected).Abs().Max().Item<double>() < 1e-9);
        // and analysing it gives back the predicted spectrum where it is consistent: re-synthesis is a fixed point
        var (a2, p2) = PhaseSpectra.Analyse(wave, 64, 16);
        var again = PhaseSpectra.Synthesise(a2, p2, 64, 16, length);
        Assert.True((again - wave).Abs().Max().Item<double>() < 1e-6);
    }
}
