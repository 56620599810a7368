using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class NeuralWaveshapingTests
{
    private static readonly NewtConfig Small = new(SampleRate: 4000, Hop: 32, Harmonics: 6, Shapers: 3, ShaperWidth: 4, ShaperDepth: 3, Hidden: 5,
        Embedding: 6, MlpDepth: 3, NoiseFilter: 64, ReverbLength: 50);

    [Fact]
    public void ParameterCountsAreTheModules()
    {
        foreach (var config in new[] { Small, Small with { Waveshaping = false, AffineHidden = 11 }, new NewtConfig() })
        {
            using var newt = new NeuralWaveshaping(config);
            Assert.Equal(newt.ParameterCount(), config.ParameterCount);
            var additiveConfig = HarmonicPlusNoiseConfig.MatchedTo(config);
            using var additive = new HarmonicPlusNoise(additiveConfig);
            Assert.Equal(additive.ParameterCount(), additiveConfig.ParameterCount);
        }
    }

    [Fact]
    public void MatchedAdditiveBaselineIsWithinTenPercent()
    {
        var newt = new NewtConfig();
        var additive = HarmonicPlusNoiseConfig.MatchedTo(newt);
        Assert.InRange(additive.ParameterCount / (double)newt.ParameterCount, 0.9, 1.1);
    }

    [Fact]
    public void FftConvolutionIsTheCausalSum()
    {
        // y[t] = Σ_τ h[τ] x[t − τ], written out, in float64.
        using var scope = NewScope();
        ManualSeed(3);
        var x = Tensor.RandN([2, 50], DType.Float64);
        var h = Tensor.RandN([7], DType.Float64);
        var y = FftConvolution.Causal(x, h);
        Assert.Equal([2, 50], y.Shape);
        var xs = x.ToArray<double>();
        var hs = h.ToArray<double>();
        var ys = y.ToArray<double>();
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < 50; t++)
            {
                double expected = 0;
                for (int tau = 0; tau < 7 && tau <= t; tau++) expected += hs[tau] * xs[b * 50 + t - tau];
                Assert.Equal(expected, ys[b * 50 + t], 10);
            }
    }

    /// <summary>A cosine of period 32 samples in every exciter channel and a constant control embedding: the unit's output over 512 samples.</summary>
    private static double[] UnitOutputForCosine(NewtConfig config)
    {
        ManualSeed(5);
        using var unit = new NeuralWaveshapingUnit(config, DType.Float64);
        var t = Tensor.Arange(0, 512, 1, DType.Float64);
        var exciter = (t * (2 * Math.PI / 32)).Cos().Reshape(1, 1, 512).Expand(1, config.Shapers, 512) * Tensor.From(new[] { 0.3, 0.7, 1.0 }).Reshape(1, 3, 1);
        var embedding = Tensor.RandN([1, 1, config.Embedding], DType.Float64).Expand(1, 16, config.Embedding);
        using (NoGrad()) return unit.Forward(exciter.Contiguous(), embedding.Contiguous()).Flatten().ToArray<double>();
    }

    private static (double Harmonic, double Other, double[] PerHarmonic) Spectrum(double[] y)
    {
        // DFT power per bin; bin 16 is the cosine's frequency (512 / 32).
        int n = y.Length;
        double harmonic = 0, other = 0;
        var perHarmonic = new double[n / 32 + 1];
        for (int k = 1; k <= n / 2; k++)
        {
            double re = 0, im = 0;
            for (int i = 0; i < n; i++) { re += y[i] * Math.Cos(2 * Math.PI * k * i / n); im -= y[i] * Math.Sin(2 * Math.PI * k * i / n); }
            double p = re * re + im * im;
            if (k % 16 == 0) { harmonic += p; perHarmonic[k / 16] = p; }
            else other += p;
        }
        return (harmonic, other, perHarmonic);
    }

    [Fact]
    public void WaveshapingACosineMakesOnlyItsHarmonics()
    {
        // f(cos ωn) is periodic in n with the cosine's period, so all its energy lies at multiples of ω — and a learned sine MLP puts
        // energy well above the fundamental.
        using var scope = NewScope();
        var (harmonic, other, perHarmonic) = Spectrum(UnitOutputForCosine(Small));
        Assert.True(other < 1e-18 * harmonic, $"non-harmonic energy {other:G3} vs harmonic {harmonic:G3}");
        Assert.True(perHarmonic.Skip(2).Sum() > 1e-3 * perHarmonic[1], "the shapers made no harmonics above the fundamental");
    }

    [Fact]
    public void WithoutShapersOnlyTheExcitersFrequencySurvives()
    {
        // The control passes the exciter through affine maps: a constant-control cosine comes out as the same cosine (plus DC).
        using var scope = NewScope();
        var (harmonic, other, perHarmonic) = Spectrum(UnitOutputForCosine(Small with { Waveshaping = false }));
        Assert.True(other + perHarmonic.Skip(2).Sum() < 1e-18 * perHarmonic[1]);
        Assert.True(harmonic > 0);
    }

    [Fact]
    public void EveryShaperSeesOnlyItsOwnChannel()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var shaper = new Waveshaper(4, 5, 3, DType.Float64);
        var x = Tensor.RandN([2, 4, 30], DType.Float64);
        var bumped = x.Clone();
        using (NoGrad()) bumped.Select(1, 2).Add_(0.1);
        var change = (shaper.Forward(bumped) - shaper.Forward(x)).Abs().Sum(new long[] { 0, 2 }).ToArray<double>();
        Assert.Equal([0.0, 0.0, 0.0], [change[0], change[1], change[3]]);
        Assert.True(change[2] > 0);
        var curves = shaper.Curves(x.Select(0, 0));                                        // [4, 30]: the same inputs, batch 0
        Assert.True(curves.AllClose(shaper.Forward(x).Select(0, 0), 1e-12, 1e-12));
    }

    [Fact]
    public void FilteredNoiseFollowsItsMagnitudeResponse()
    {
        // A low-pass response (1 below bin 8 of 33, 0 above): the output's power above 0.375 of Nyquist is < 1 % of the total.
        using var scope = NewScope();
        ManualSeed(4);
        var noise = new FilteredNoise(64, 16);
        var bins = Enumerable.Range(0, noise.Bins).Select(k => k < 8 ? 1.0 : 0.0).ToArray();
        var magnitudes = Tensor.From(bins).Reshape(1, 1, noise.Bins).Expand(1, 400, noise.Bins).Contiguous();
        var y = noise.Forward(magnitudes);
        Assert.Equal([1, 400 * 16], y.Shape);
        var power = Fft.RFFT(y.Flatten()).Abs().Square().ToArray<double>();
        double high = power.Skip((int)(0.375 * (power.Length - 1))).Sum();
        Assert.True(high < 0.01 * power.Sum(), $"stop-band fraction {high / power.Sum():G3}");
    }

    [Fact]
    public void ReverbStartsAsTheDrySignal()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var reverb = new LearnedReverb(100, DType.Float64);
        var x = Tensor.RandN([2, 300], DType.Float64);
        using (NoGrad())
        {
            Assert.Equal(0.0, reverb.ImpulseResponse()[0].Item<double>());
            Assert.True((reverb.Forward(x) - x).Abs().Max().Item<double>() < 1e-3);
        }
    }

    [Fact]
    public void AdditiveAmplitudesSumToTheOverallAmplitudeOverAudibleHarmonics()
    {
        // F0 = 700 Hz at 4 kHz: harmonics 1 and 2 lie below Nyquist (2 kHz), 3 … 6 above and must be silent.
        using var scope = NewScope();
        ManualSeed(6);
        using var synth = new HarmonicPlusNoise(HarmonicPlusNoiseConfig.MatchedTo(Small), DType.Float64);
        var embedding = Tensor.RandN([1, 4, Small.Embedding], DType.Float64);
        var f0 = Tensor.Full([1, 4], 700.0, DType.Float64);
        using var noGrad = NoGrad();
        var amplitudes = synth.HarmonicAmplitudes(embedding, f0);                           // [1, 4, 6]
        var overall = ExpSigmoid.Apply(synth.AmplitudeHead.Forward(embedding)).Narrow(2, 0, 1).Squeeze(2);
        Assert.True(amplitudes.Narrow(2, 2, 4).Abs().Max().Item<double>() == 0);
        Assert.True(amplitudes.Sum(2).AllClose(overall, 1e-6, 1e-9));
    }

    [Fact]
    public void SynthesisersMakeOneWaveformPerControlFrame()
    {
        using var scope = NewScope();
        ManualSeed(8);
        using var newt = new NeuralWaveshaping(Small);
        using var additive = new HarmonicPlusNoise(HarmonicPlusNoiseConfig.MatchedTo(Small));
        var f0 = Tensor.Full([2, 10], 220f);
        var loudness = Tensor.Full([2, 10], -20f);
        foreach (IControlledSynth synth in new IControlledSynth[] { newt, additive })
        {
            var y = synth.Forward(f0, loudness);
            Assert.Equal([2, 10 * Small.Hop], y.Shape);
            Assert.True(y.IsFinite().All().Item<bool>());
        }
    }
}
