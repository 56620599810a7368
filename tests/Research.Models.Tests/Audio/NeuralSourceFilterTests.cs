using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class NeuralSourceFilterTests
{
    private static readonly NsfConfig Small = new(MelBands: 5, Hop: 10, SampleRate: 1000, Harmonics: 3, Channels: 4, ConditionChannels: 3,
        Blocks: 2, LayersPerBlock: 3);

    [Fact]
    public void ParameterCountIsTheModules()
    {
        foreach (var config in new[] { Small, new NsfConfig(), Small with { SineExcitation = false, KernelSize = 5 } })
        {
            using var model = new NeuralSourceFilter(config);
            Assert.Equal(model.ParameterCount(), config.ParameterCount);
        }
    }

    [Fact]
    public void SinesFollowTheirDefinitionWithContinuousPhase()
    {
        // F0 steps from 50 to 80 Hz (and one unvoiced stretch): phase = 2π k Σ_{τ≤t} f_τ / N_s + φ_k, written out in doubles.
        using var scope = NewScope();
        var f0 = Enumerable.Range(0, 300).Select(t => t < 100 ? 50.0 : t < 150 ? 0.0 : 80.0).ToArray();
        double[] phases = [0.3, -1.0, 2.0, 0.5];
        var sines = SineSource.Sines(Tensor.From(f0, 1, 300), 1000, 4, 0.1, Tensor.From(phases, 1, 4));   // [1, 4, 300]
        Assert.Equal([1, 4, 300], sines.Shape);
        var got = sines.Reshape(4, 300).Double();
        for (int k = 1; k <= 4; k++)
        {
            double cumulative = 0;
            for (int t = 0; t < 300; t++)
            {
                cumulative += k * f0[t] / 1000;
                double expected = f0[t] > 0 && k * f0[t] < 500 ? 0.1 * Math.Sin(2 * Math.PI * cumulative + phases[k - 1]) : 0;
                Assert.Equal(expected, got[k - 1, t].Item<double>(), 9);
            }
        }
    }

    [Fact]
    public void InstantaneousFrequencyOfTheKthSineIsKTimesF0()
    {
        // A linear glide 100 → 300 Hz at 16 kHz: the phase advance between samples, unwrapped, is 2π k f_t / N_s.
        using var scope = NewScope();
        int n = 4000, sr = 16000;
        var f0 = Enumerable.Range(0, n).Select(t => 100.0 + 200.0 * t / n).ToArray();
        var sines = SineSource.Sines(Tensor.From(f0, 1, n), sr, 3, 1.0).Reshape(3, n);
        var cosines = SineSource.Sines(Tensor.From(f0, 1, n), sr, 3, 1.0, Tensor.Full([1, 3], Math.PI / 2, DType.Float64)).Reshape(3, n);
        var angle = sines.Atan2(cosines).ToArray<double>();                                // the phase modulo 2π
        for (int k = 1; k <= 3; k++)
            for (int t = 1; t < n; t++)
            {
                double step = angle[(k - 1) * n + t] - angle[(k - 1) * n + t - 1];
                step -= 2 * Math.PI * Math.Round(step / (2 * Math.PI));
                Assert.Equal(2 * Math.PI * k * f0[t] / sr, step, 9);
            }
    }

    [Fact]
    public void HarmonicsAboveNyquistAndUnvoicedSamplesAreSilent()
    {
        using var scope = NewScope();
        var f0 = Tensor.From(new double[] { 0, 0, 300, 300, 300, 0 }, 1, 6);
        var sines = SineSource.Sines(f0, 1000, 2, 0.1, Tensor.Full([1, 2], 1.0, DType.Float64)).Reshape(2, 6).ToArray<double>();
        Assert.All(new[] { 0, 1, 5 }, t => Assert.Equal(0, sines[t]));                          // unvoiced: no fundamental
        Assert.All(Enumerable.Range(6, 6), i => Assert.Equal(0, sines[i]));                        // 600 Hz ≥ 500 Hz Nyquist: silent
        Assert.All(new[] { 2, 3, 4 }, t => Assert.NotEqual(0, sines[t]));
    }

    [Fact]
    public void NoiseOnlyExcitationIgnoresF0()
    {
        // The ablation: the excitation's distribution does not depend on F0 (same seed → identical excitation).
        using var scope = NewScope();
        var config = Small with { SineExcitation = false };
        ManualSeed(3);
        using var source = new SineSource(config);
        ManualSeed(7);
        var voiced = source.Forward(Tensor.Full([2, 50], 120.0));
        ManualSeed(7);
        var unvoiced = source.Forward(Tensor.Zeros([2, 50]));
        Assert.Equal(voiced.ToArray<float>(), unvoiced.ToArray<float>());
        ManualSeed(3);
        using var sine = new SineSource(Small);
        ManualSeed(7);
        var withSine = sine.Forward(Tensor.Full([2, 50], 120.0));
        ManualSeed(7);
        var withoutF0 = sine.Forward(Tensor.Zeros([2, 50]));
        Assert.True((withSine - withoutF0).Abs().Max().Item<float>() > 1e-3f);
    }

    [Fact]
    public void OneFramePerHopAndANonCausalReceptiveFieldOfTheConfiguredRadius()
    {
        // Gradient of output[t] w.r.t. the excitation: non-zero exactly for |τ − t| ≤ ReceptiveRadius (both sides: non-causal).
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new NeuralSourceFilter(Small, DType.Float64);
        var mel = Tensor.RandN([2, 5, 12], DType.Float64);
        var f0 = Tensor.Full([2, 12], 90.0, DType.Float64);
        Assert.Equal([2, 120], model.Forward(mel, f0).Shape);

        var c = model.Conditioning.Forward(NeuralSourceFilter.Features(mel, f0)).Tanh().RepeatInterleave(Small.Hop, 2);
        var x = Tensor.RandN([1, 1, 120], DType.Float64).RequiresGrad_();
        var y = x;
        foreach (var block in model.Filter) y = block.Forward(y, c.Narrow(0, 0, 1));
        y.Select(2, 60).Sum().Backward();
        var g = x.Grad!.Reshape(-1).ToArray<double>();
        int radius = Small.ReceptiveRadius;                                                          // 2 × (1 + 2 + 4) = 14
        Assert.Equal(14, radius);
        for (int t = 0; t < 120; t++)
            Assert.True(Math.Abs(t - 60) <= radius ? g[t] != 0 : g[t] == 0, $"gradient at {t}: {g[t]}");
    }

    [Fact]
    public void FeaturesAreMelLogF0AndVoicing()
    {
        using var scope = NewScope();
        var mel = Tensor.From(new float[] { 1, 2, 3, 4 }, 1, 2, 2);
        var f0 = Tensor.From(new float[] { 200, 0 }, 1, 2);
        var features = NeuralSourceFilter.Features(mel, f0).Reshape(-1).ToArray<float>();
        Assert.Equal(new float[] { 1, 2, 3, 4, (float)Math.Log(2), 0, 1, 0 }, features);
    }
}
