using Research.Models.Speech;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Speech;

public class HighwayConvTests
{
    [Fact]
    public void OutputIsTheGatedMixOfConvolutionAndInputComputedByLoops()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var layer = new HighwayConv(2, 3, 2, causal: true, dtype: DType.Float64);
        var x = Tensor.RandN([1, 2, 7], DType.Float64);
        var y = layer.Forward(x).ToArray<double>();
        var w = layer.Conv.Weight.ToArray<double>();                 // [4, 2, 3]
        var b = layer.Conv.Bias!.ToArray<double>();
        var xs = x.ToArray<double>();
        for (int c = 0; c < 2; c++)
            for (int t = 0; t < 7; t++)
            {
                double H(int o)
                {
                    double s = b[o];
                    for (int i = 0; i < 2; i++)
                        for (int k = 0; k < 3; k++)
                        {
                            int source = t - (2 - k) * 2;                   // causal: taps t − 4, t − 2, t
                            if (source >= 0) s += w[(o * 2 + i) * 3 + k] * xs[i * 7 + source];
                        }
                    return s;
                }
                double gate = 1 / (1 + Math.Exp(-H(c)));
                Assert.Equal(gate * H(c + 2) + (1 - gate) * xs[c * 7 + t], y[c * 7 + t], 12);
            }
    }

    [Fact]
    public void CausalLayerNeverSeesTheFutureAndNonCausalDoes()
    {
        using var scope = NewScope();
        ManualSeed(4);
        var x = Tensor.RandN([1, 3, 12], DType.Float64);
        var changed = x.Clone();
        changed.Narrow(2, 8, 4).Copy_(x.Narrow(2, 8, 4) + 1);
        foreach (bool causal in new[] { true, false })
        {
            using var layer = new HighwayConv(3, 3, 3, causal, dtype: DType.Float64);
            var early = (layer.Forward(x) - layer.Forward(changed)).Narrow(2, 0, 8).Abs().Max().Item<double>();
            if (causal) Assert.Equal(0, early);
            else Assert.True(early > 1e-6, "a non-causal layer should see 3 steps ahead");
        }
    }

    [Fact]
    public void RejectsWrongChannelsAndEvenNonCausalKernels()
    {
        using var scope = NewScope();
        using var layer = new HighwayConv(4, 3, 1, causal: false);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(1, 3, 5)));
        Assert.Throws<ArgumentException>(() => new HighwayConv(4, 2, 1, causal: false));
    }
}
