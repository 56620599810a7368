using Research.Models.Audio;
using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class FloWaveNetTests
{
    private static readonly FloWaveNetConfig Small = new(MelBands: 3, Hop: 8, Blocks: 2, FlowsPerBlock: 2, ResidualChannels: 5, Layers: 2);

    [Fact]
    public void BlocksAreSqueezeThenActNormAndSwappingCouplings()
    {
        using var net = new FloWaveNet(Small);
        var kinds = net.Flow.Layers.Select(l => l.GetType().Name).ToArray();
        Assert.Equal(["Squeeze", "ActNorm", "AffineCoupling", "ActNorm", "AffineCoupling", "Squeeze", "ActNorm", "AffineCoupling", "ActNorm",
            "AffineCoupling"], kinds);
        Assert.All(net.Flow.Layers.OfType<AffineCoupling>(), c => Assert.True(c.SwapHalves));
        Assert.Equal([2L, 2, 4, 4], net.Flow.Layers.OfType<AffineCoupling>().Select(c => c.Channels));
        Assert.Equal([6L, 6, 12, 12], net.Flow.Layers.OfType<AffineCoupling>().Select(c => c.Net.ConditionChannels));   // mel squeezed with x
    }

    [Fact]
    public void ExactLikelihoodAndInverseAfterActNormInitialisation()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var net = new FloWaveNet(Small, DType.Float64);
        var audio = Tensor.RandN([3, 5 * 8], DType.Float64) * 0.2;
        var mel = Tensor.RandN([3, 3, 5], DType.Float64);
        var (z0, _) = net.Forward(audio, mel);                                          // initialises every ActNorm
        Assert.All(net.Flow.Layers.OfType<ActNorm>(), a => Assert.True(a.Initialized));
        using (NoGrad())
            foreach (var coupling in net.Flow.Layers.OfType<AffineCoupling>()) Init.Normal_(coupling.Net.End.Weight, 0, 0.2);
        var (z, logDet) = net.Forward(audio, mel);
        Assert.Equal([3, 4, 10], z.Shape);
        Assert.True((net.Inverse(z, mel) - audio).Abs().Max().Item<double>() < 1e-10);
        Assert.Equal(FlowSequence.BitsPerDimension(z, logDet).Item<double>(), net.BitsPerSample(audio, mel).Item<double>(), 12);
        Assert.Equal([2, 40], net.Generate(mel.Narrow(0, 0, 2)).Shape);
    }
}
