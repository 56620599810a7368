using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class WaveUNetTests
{
    private static readonly WaveUNetConfig Small = new(Levels: 3, BaseChannels: 4, Sources: 3);

    [Fact]
    public void ParameterCountIsTheModules()
    {
        foreach (var config in new[] { Small, new WaveUNetConfig(), Small with { Resample = false, Sources = 2, DownKernel = 9 } })
        {
            using var model = new WaveUNet(config);
            Assert.Equal(model.ParameterCount(), config.ParameterCount);
        }
    }

    [Fact]
    public void SourcesSumToTheMixture()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new WaveUNet(Small);
        var mixture = Tensor.RandN([2, 1, 100]);                                              // not a multiple of 2^3: padded inside
        var sources = model.Forward(mixture);
        Assert.Equal([2, 3, 100], sources.Shape);
        Assert.True((sources.Sum(dim: 1, keepDim: true) - mixture).Abs().Max().Item<float>() < 1e-5f);
    }

    [Fact]
    public void DecimationKeepsEveryOtherSampleAndInterpolationIsLinear()
    {
        using var scope = NewScope();
        var x = Tensor.From(new float[] { 0, 1, 2, 3, 4, 5 }, 1, 1, 6);
        Assert.Equal(new float[] { 0, 2, 4 }, WaveUNet.Decimate(x).Reshape(-1).ToArray<float>());
        // Even outputs keep the samples, odd ones are the means of their neighbours (the last repeated).
        var up = WaveUNet.Interpolate(Tensor.From(new float[] { 0, 4, 8 }, 1, 1, 3));
        Assert.Equal(new float[] { 0, 2, 4, 6, 8, 8 }, up.Reshape(-1).ToArray<float>());
        Assert.Equal(new float[] { 0, 4, 8 }, WaveUNet.Decimate(up).Reshape(-1).ToArray<float>());   // the same sampling grid
    }

    [Fact]
    public void ResamplingRunsTheDeepLevelsAtLowerRates()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var unet = new WaveUNet(Small);
        var lengths = new List<long>();
        var mixture = Tensor.RandN([1, 1, 64]);
        var h = mixture;
        for (int i = 0; i < Small.Levels; i++)
        {
            var s = unet.Down[i].Forward(h).LeakyRelu(0.2);
            lengths.Add(s.Size(2));
            h = WaveUNet.Decimate(s);
        }
        Assert.Equal([64L, 32L, 16L], lengths);
        Assert.Equal(8, h.Size(2));                                                                // the bottleneck's rate: T / 2^L
    }

    [Fact]
    public void ControlHasTheSameWeightsAndComputesWithoutResampling()
    {
        using var scope = NewScope();
        ManualSeed(0);
        var raw = Small with { Normalize = false };                                              // no RMS scaling: the layers alone
        using var unet = new WaveUNet(raw);
        using var control = new WaveUNet(raw with { Resample = false });
        control.LoadStateDict(unet.StateDict());
        Assert.Equal(unet.ParameterCount(), control.ParameterCount());
        var x = Tensor.RandN([1, 1, 64]);
        // The control by hand: every convolution at the full rate, the skips concatenated as in the U-Net.
        var skips = new Tensor[Small.Levels];
        var h = x;
        for (int i = 0; i < Small.Levels; i++) h = skips[i] = control.Down[i].Forward(h).LeakyRelu(0.2);
        h = control.Bottleneck.Forward(h).LeakyRelu(0.2);
        for (int i = Small.Levels - 1; i >= 0; i--) h = control.Up[i].Forward(Tensor.Cat([h, skips[i]], 1)).LeakyRelu(0.2);
        var first = control.Output.Forward(Tensor.Cat([h, x], 1));
        Assert.True((control.Forward(x).Narrow(1, 0, 2) - first).Abs().Max().Item<float>() < 1e-5f);
        Assert.True((unet.Forward(x) - control.Forward(x)).Abs().Max().Item<float>() > 1e-3f);    // resampling changes the function
    }

    [Fact]
    public void OutputAtTheCentreSeesFartherWithResampling()
    {
        static int Span(WaveUNet net, int length)
        {
            using var scope = NewScope();
            var x = Tensor.RandN([1, 1, length], DType.Float64).RequiresGrad_();
            net.Forward(x).Select(1, 0).Select(1, length / 2).Sum().Backward();
            var g = x.Grad!.Reshape(-1).ToArray<double>();
            return Array.FindLastIndex(g, v => v != 0) - Array.FindIndex(g, v => v != 0) + 1;
        }
        ManualSeed(0);
        var config = new WaveUNetConfig(Levels: 3, BaseChannels: 2, Sources: 2, Normalize: false);   // the RMS would reach every sample
        using var unet = new WaveUNet(config, DType.Float64);
        using var control = new WaveUNet(config with { Resample = false }, DType.Float64);
        // Without resampling: one sample per tap of every convolution, 1 + (f_d − 1)(L + 1) + (f_u − 1)L.
        Assert.Equal(1 + 14 * 4 + 4 * 3, Span(control, 512));
        Assert.True(Span(unet, 512) > 3 * Span(control, 512));                              // ≈ ±(7 + 14 + 28 + 56 + …) vs ±34
    }

    [Fact]
    public void NormalisedNetworkSeparatesTheSameAtAnyLevel()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new WaveUNet(Small);
        var mixture = Tensor.RandN([2, 1, 64]);
        var quiet = model.Forward(mixture * 0.01);
        Assert.True((quiet * 100 - model.Forward(mixture)).Abs().Max().Item<float>() < 1e-3f);     // ŝ(c m) = c ŝ(m)
    }
}
