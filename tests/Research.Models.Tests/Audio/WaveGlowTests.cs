using Research.Models.Audio;
using Research.Models.Flows;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class WaveGlowTests
{
    private static readonly WaveGlowConfig Small = new(MelBands: 5, Hop: 16, Group: 4, Flows: 2, ResidualChannels: 6, Layers: 2);

    private static WaveGlow Trained(DType dtype)
    {
        var net = new WaveGlow(Small, dtype);
        using (NoGrad())
            foreach (var coupling in net.Flow.Layers.OfType<AffineCoupling>()) Init.Normal_(coupling.Net.End.Weight, 0, 0.2);
        return net;
    }

    [Fact]
    public void InverseRecoversTheAudioGivenTheSameMel()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var net = Trained(DType.Float64);
        var audio = Tensor.RandN([2, 6 * 16], DType.Float64) * 0.3;
        var mel = Tensor.RandN([2, 5, 6], DType.Float64);
        var (z, logDet) = net.Forward(audio, mel);
        Assert.Equal([2, 4, 24], z.Shape);
        Assert.Equal([2], logDet.Shape);
        Assert.True((net.Inverse(z, mel) - audio).Abs().Max().Item<double>() < 1e-10);
        Assert.True((net.Inverse(z, mel * 0.5) - audio).Abs().Max().Item<double>() > 1e-4);   // the mel is used, forwards and back
    }

    [Fact]
    public void ConditionIsUpsampledToTheGroupedRateAndStaysLocal()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var net = new WaveGlow(Small, DType.Float64);
        var mel = Tensor.RandN([1, 5, 8], DType.Float64).RequiresGrad_();
        var c = net.Condition(mel);
        Assert.Equal([1, 5, 8 * 16 / 4], c.Shape);
        var grad = Autograd.Grad(c.Select(2, 13).Sum(), mel).Abs().Sum(1).Squeeze(0);        // grouped step 13 = samples 52…55, frame 3.25–3.44
        var frames = Enumerable.Range(0, 8).Where(f => grad[f].Item<double>() > 0).ToArray();
        Assert.Equal([3, 4], frames);                                                         // the frames centred within a hop of it
    }

    [Fact]
    public void BitsPerSampleIsTheFlowsGaussianNll()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var net = Trained(DType.Float64);
        var audio = Tensor.RandN([3, 4 * 16], DType.Float64) * 0.3;
        var mel = Tensor.RandN([3, 5, 4], DType.Float64);
        var (z, logDet) = net.Forward(audio, mel);
        Assert.Equal(FlowSequence.BitsPerDimension(z, logDet).Item<double>(), net.BitsPerSample(audio, mel).Item<double>(), 12);
        Assert.Equal([3, 64], net.Generate(mel, 0.6).Shape);
    }
}
