using Research.Experiments.Audio;
using Research.Experiments.Data;

namespace Research.Experiments.Tests;

public class SeismogramsTests
{
    private static readonly SeismogramSettings Clean = new(Length: 1024);

    private static double PeakAbs(float[] x, int from, int to) => Enumerable.Range(from, to - from).Max(t => Math.Abs((double)x[t]));

    [Fact]
    public void RickerIsTheDefinition()
    {
        Assert.Equal(1, Seismograms.Ricker(0, 5), 12);
        double t = 0.013, f = 7, a = Math.PI * Math.PI * f * f * t * t;
        Assert.Equal((1 - 2 * a) * Math.Exp(-a), Seismograms.Ricker(t, f), 12);
        Assert.Equal(0, Seismograms.Ricker(1 / (Math.PI * f * Math.Sqrt(2)), f), 12);            // zero crossing at 1/(πf√2)
        Assert.True(Math.Abs(Seismograms.Ricker(-1 / f, f)) < 1e-3);                              // negligible one period early
    }

    [Fact]
    public void NothingOfAnEventPrecedesItsArrival()
    {
        var random = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            var s = Seismograms.Generate(Clean, random, noise: false);
            Assert.True(s.P > 0 && s.S > s.P, $"trace {i}: P {s.P}, S {s.S}");
            foreach (var c in s.Components) Assert.True(PeakAbs(c, 0, s.P) < 2e-3, $"trace {i}: {PeakAbs(c, 0, s.P)} before P");
            Assert.True(PeakAbs(s.Z, s.P, s.P + 40) > 0.1, $"trace {i}: no P after its arrival");
        }
    }

    [Fact]
    public void DirectWaveletsPeakOnePeriodAfterTheArrivalWithTheStatedAmplitudes()
    {
        var settings = Clean with { CodaWavelets = 0 };
        var random = new Random(2);
        for (int i = 0; i < 200; i++)
        {
            var s = Seismograms.Generate(settings, random, noise: false);
            int pPeak = Enumerable.Range(s.P, s.S - s.P).MaxBy(t => Math.Abs(s.Z[t]));
            Assert.InRange(pPeak - s.P, 100 / s.PFrequency - 1, 100 / s.PFrequency + 1);          // centre at t_P + 1/f_P
            Assert.InRange(Math.Abs(s.Z[pPeak]), 0.85, 1.0);                                      // P's vertical peak is 1
            double pHorizontal = Math.Sqrt((double)s.N[pPeak] * s.N[pPeak] + (double)s.E[pPeak] * s.E[pPeak]) / Math.Abs(s.Z[pPeak]);
            Assert.InRange(pHorizontal, 0.2 - 1e-4, 0.5 + 1e-4);                                  // mostly vertical
            int sPeak = Enumerable.Range(s.S, Clean.Length - s.S).MaxBy(t => Math.Abs(s.N[t]) + Math.Abs(s.E[t]));
            double sH = Math.Sqrt((double)s.N[sPeak] * s.N[sPeak] + (double)s.E[sPeak] * s.E[sPeak]);
            if (sPeak - s.S >= 100 / s.SFrequency - 1 && sPeak < Clean.Length - 1)                // S's centre inside the window
            {
                Assert.InRange(sPeak - s.S, 100 / s.SFrequency - 1, 100 / s.SFrequency + 1);
                Assert.InRange(sH, 0.97 * s.SAmplitude, s.SAmplitude + 1e-4);                    // slow wavelet: peak well sampled
                Assert.InRange(Math.Abs(s.Z[sPeak]) / sH, 0.1 - 1e-4, 0.3 + 1e-4);               // mostly horizontal
                Assert.True(sH > 1.4);                                                            // larger than P (1)
            }
            Assert.True(s.SFrequency < s.PFrequency);
        }
    }

    [Fact]
    public void ArrivalsAndSMinusPLieInTheirStatedRanges()
    {
        var traces = Seismograms.Draw(Clean, 3, 500);
        foreach (var s in traces)
        {
            Assert.InRange(s.P, 0.05 * 1024 - 1, 0.5 * 1024 + 1);
            Assert.InRange(s.S - s.P, 0.05 * 1024 - 1, 0.4 * 1024 + 1);
            Assert.InRange(s.SnrDb, 0, 20);
        }
        Assert.True(traces.Min(t => t.P) < 0.1 * 1024 && traces.Max(t => t.P) > 0.45 * 1024);   // spread over the range
    }

    [Fact]
    public void NoiseIsAr1WithTheStatedSpectrum()
    {
        const int length = 256, runs = 400;
        const double rho = 0.9;
        var random = new Random(4);
        var power = new double[length / 2 + 1];
        double lag1 = 0, variance = 0;
        for (int r = 0; r < runs; r++)
        {
            var x = Seismograms.RedNoise(random, length, rho);
            for (int t = 0; t < length; t++) { variance += x[t] * x[t]; if (t > 0) lag1 += x[t] * x[t - 1]; }
            for (int k = 0; k <= length / 2; k++)                                                  // periodogram |X(ω_k)|²/T
            {
                double re = 0, im = 0;
                for (int t = 0; t < length; t++) { re += x[t] * Math.Cos(2 * Math.PI * k * t / length); im -= x[t] * Math.Sin(2 * Math.PI * k * t / length); }
                power[k] += (re * re + im * im) / length / runs;
            }
        }
        Assert.Equal(1, variance / (runs * length), 1);
        Assert.Equal(rho, lag1 / variance, 1);
        foreach (var (from, to) in new[] { (4, 12), (12, 32), (32, 64), (64, 128) })                  // bands: 2000+ periodogram values each
        {
            double measured = Enumerable.Range(from, to - from).Average(k => power[k]);
            double expected = Enumerable.Range(from, to - from).Average(k => Seismograms.RedNoiseSpectrum(2 * Math.PI * k / length, rho));
            Assert.InRange(measured / expected, 0.9, 1.1);
        }
        Assert.True(Seismograms.RedNoiseSpectrum(0.05, rho) > 50 * Seismograms.RedNoiseSpectrum(Math.PI, rho));   // red
    }

    [Fact]
    public void NoiseLevelFollowsTheSnr()
    {
        var settings = Clean with { SnrDb = (14, 14) };
        var traces = Seismograms.Draw(settings, 5, 100, noiseFraction: 1);
        Assert.All(traces, t => Assert.True(t.NoiseOnly));
        foreach (var component in new Func<Seismogram, float[]>[] { t => t.Z, t => t.N, t => t.E })
        {
            double rms = Math.Sqrt(traces.Average(t => component(t).Average(v => (double)v * v)));
            Assert.InRange(rms / Math.Pow(10, -14 / 20.0), 0.9, 1.1);
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameTraces()
    {
        var a = Seismograms.Draw(Clean, 6, 5, 0.2);
        var b = Seismograms.Draw(Clean, 6, 5, 0.2);
        var c = Seismograms.Draw(Clean, 7, 5, 0.2);
        Assert.Equal(a.Select(t => (t.P, t.S, t.SnrDb)), b.Select(t => (t.P, t.S, t.SnrDb)));
        Assert.Equal(a[2].E, b[2].E);
        Assert.NotEqual(a[2].E, c[2].E);
        Assert.True(a[4].NoiseOnly && !a[3].NoiseOnly);
    }
}

public class PickScoreTests
{
    [Fact]
    public void NearestPickWithinToleranceIsTheTruePositiveAndEveryOtherPickIsFalse()
    {
        var score = PickScore.Of([100, 200, -1, 300], [[98, 150], [230], [10], []], tolerance: 5);
        Assert.Equal(1, score.TruePositives);                                                     // 98
        Assert.Equal(3, score.FalsePositives);                                                    // 150, 230, 10
        Assert.Equal(2, score.FalseNegatives);                                                    // 200, 300
        Assert.Equal([-2.0], score.Residuals);
        Assert.Equal(0.25, score.Precision, 12);
        Assert.Equal(1 / 3.0, score.Recall, 12);
        Assert.Equal(2.0, score.MedianAbsError(5));
        Assert.Equal(2.5, PickScore.Median([4, 1, 2, 3]));
    }
}

public class StaLtaPickerTests
{
    [Fact]
    public void RatioIsTheMeanOfTheShortOverTheLongTrailingWindow()
    {
        var random = new Random(0);
        var cf = Enumerable.Range(0, 300).Select(_ => random.NextDouble()).ToArray();
        var r = StaLtaPicker.Ratio(cf, 7, 40);
        for (int t = 0; t < 300; t++)
        {
            double expected = t < 39 ? 0 : cf.Skip(t - 6).Take(7).Average() / cf.Skip(t - 39).Take(40).Average();
            Assert.Equal(expected, r[t], 10);
        }
    }

    [Fact]
    public void CharacteristicFunctionIsTheEnergyOfTheTraceOrItsDifference()
    {
        float[] a = [1, 3, 2], b = [0, -1, 1];
        Assert.Equal([1.0, 10, 5], StaLtaPicker.CharacteristicFunction([a, b], differenced: false));
        Assert.Equal([0.0, 4 + 1, 1 + 4], StaLtaPicker.CharacteristicFunction([a, b], differenced: true));
    }

    [Fact]
    public void TriggersOnTheOnsetOfAnEnergyStep()
    {
        var random = new Random(1);
        var z = Enumerable.Range(0, 600).Select(t => (float)((t >= 400 ? 10 : 1) * (random.NextDouble() - 0.5))).ToArray();
        var n = Enumerable.Range(0, 600).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();     // stationary
        var settings = new StaLtaSettings(5, 100, 4, Differenced: false);
        int trigger = StaLtaPicker.TriggerP([z, n, n], settings);
        Assert.InRange(trigger, 400, 406);
        var (p, s) = StaLtaPicker.Pick([z, n, n], settings with { Bias = -2 }, settings, gap: 20);
        Assert.Equal([trigger - 2], p);
        Assert.Empty(s);                                                                         // 5-sample energy ≤ 1/4 < 4 × 1/12: never
    }
}
