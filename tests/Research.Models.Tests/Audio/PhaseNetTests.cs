using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class PhaseNetTests
{
    private static readonly PhaseNetConfig Small = new(Levels: 2, BaseChannels: 4);

    [Fact]
    public void ParameterCountIsTheModules()
    {
        foreach (var config in new[] { Small, new PhaseNetConfig(), Small with { Skips = false, Kernel = 5 }, new PhaseNetConfig(Levels: 3, Stride: 2) })
        {
            using var model = new PhaseNet(config);
            Assert.Equal(model.ParameterCount(), config.ParameterCount);
        }
    }

    [Fact]
    public void PaperChannelsAreEightToThirtyTwo()
    {
        var c = new PhaseNetConfig();
        Assert.Equal([8, 11, 16, 23, 32], Enumerable.Range(0, 5).Select(c.Channels));
        Assert.Equal(256, c.Block);
    }

    [Fact]
    public void EverySampleGetsAProbabilityOverPSAndNoise()
    {
        using var scope = NewScope();
        ManualSeed(0);
        foreach (var config in new[] { Small, Small with { Skips = false }, new PhaseNetConfig(Levels: 3) })
        {
            using var model = new PhaseNet(config);
            var p = model.Probabilities(Tensor.RandN([2, 3, 2 * config.Block]));
            Assert.Equal([2L, 3, 2 * config.Block], p.Shape);
            Assert.True((p.Sum(dim: 1) - 1).Abs().Max().Item<float>() < 1e-5f);
            Assert.True(p.Min().Item<float>() >= 0);
        }
    }

    [Fact]
    public void RejectsLengthsThatDoNotDivideIntoTheLevels()
    {
        using var scope = NewScope();
        using var model = new PhaseNet(Small);
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.RandN([1, 3, 17])));
    }

    [Fact]
    public void OutputDoesNotDependOnTheTracesGainOrOffset()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new PhaseNet(Small, DType.Float64);
        model.Eval();
        var x = Tensor.RandN([2, 3, 64], DType.Float64);
        using var noGrad = NoGrad();
        var a = model.Forward(x);
        var b = model.Forward(x * 250.0 + 3.0);
        Assert.True((a - b).Abs().Max().Item<double>() < 1e-5);                                 // up to the ε = 1e-6 added to the std
    }

    [Fact]
    public void TargetsAreGaussiansAtTheArrivalsAndSumToOne()
    {
        using var scope = NewScope();
        var q = PhaseNet.Targets([20, -1], [60, -1], 100, sigma: 5);
        Assert.Equal([2L, 3, 100], q.Shape);
        var v = q.ToArray<float>();
        Assert.Equal(1f, v[20], 6);                                                                   // q_P(t_P) = 1
        Assert.Equal((float)Math.Exp(-9.0 / 50), v[23], 6);                                           // exp(−3²/2σ²)
        Assert.Equal(1f, v[100 + 60], 6);                                                             // q_S(t_S) = 1
        Assert.Equal((float)(1 - Math.Exp(-1.0 / 2)), v[200 + 25], 5);                                // noise = 1 − q_P, one σ away
        Assert.True((q.Sum(dim: 1) - 1).Abs().Max().Item<float>() < 1e-6f);
        Assert.Equal(1f, v[3 * 100 + 2 * 100 + 50], 6);                                               // noise-only trace: all noise
    }

    [Fact]
    public void LossIsTheCrossEntropyWithSoftTargets()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var logits = Tensor.RandN([2, 3, 5], DType.Float64);
        var q = Tensor.Rand([2, 3, 5], DType.Float64);
        q = q / q.Sum(dim: 1, keepDim: true);
        var l = logits.ToArray<double>();
        var t = q.ToArray<double>();
        double sum = 0;
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < 5; s++)
            {
                double z = Enumerable.Range(0, 3).Sum(c => Math.Exp(l[(b * 3 + c) * 5 + s]));
                for (int c = 0; c < 3; c++) sum -= t[(b * 3 + c) * 5 + s] * (l[(b * 3 + c) * 5 + s] - Math.Log(z));
            }
        Assert.Equal(sum / 10, PhaseNet.Loss(logits, q).Item<double>(), 10);
    }

    [Fact]
    public void PicksAreThePeaksAboveTheThreshold()
    {
        float[] p = [0.1f, 0.6f, 0.9f, 0.6f, 0.2f, 0.4f, 0.2f, 0.7f, 0.7f, 0.1f, 0.1f, 0.1f, 0.55f, 0.1f];
        Assert.Equal([2, 7, 12], PhaseNet.Picks(p, 0.5, minDistance: 2));                             // 0.4 is below; plateau → first
        Assert.Equal([2], PhaseNet.Picks(p, 0.5, minDistance: 5));                                    // 7 and 12 lie within 5 of higher values
        Assert.Empty(PhaseNet.Picks(p, 0.95, minDistance: 1));
    }
}
