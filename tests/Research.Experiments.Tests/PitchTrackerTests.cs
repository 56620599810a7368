using Research.Experiments.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class PitchTrackerTests
{
    private static readonly PitchTracker Tracker = new(8000, 80);

    private static float[] Harmonic(Func<double, double> f0, int samples, int harmonics, int sampleRate = 8000)
    {
        var x = new float[samples];
        double phase = 0;
        for (int t = 0; t < samples; t++)
        {
            phase += 2 * Math.PI * f0(t / (double)sampleRate) / sampleRate;
            double v = 0;
            for (int k = 1; k <= harmonics; k++) v += Math.Sin(k * phase) / k;
            x[t] = (float)(0.1 * v);
        }
        return x;
    }

    [Theory]
    [InlineData(73.0, 1)]
    [InlineData(173.0, 1)]
    [InlineData(120.0, 12)]
    [InlineData(311.0, 6)]
    public void FindsTheFundamentalOfSteadyTones(double f0, int harmonics)
    {
        // Pure sines and sawtooth-like complexes (1/k partials): every frame within 1 %, no octave errors.
        var track = Tracker.Track(Harmonic(_ => f0, 8000, harmonics));
        Assert.Equal(100, track.Length);
        Assert.All(track.Skip(3).Take(94), f => Assert.InRange(f, 0.99 * f0, 1.01 * f0));
    }

    [Fact]
    public void FollowsAGlide()
    {
        var track = Tracker.Track(Harmonic(t => 100 + 100 * t, 8000, 4));                 // 100 → 200 Hz in 1 s
        for (int f = 5; f < 95; f++) Assert.InRange(track[f], 0.98 * (100 + 100 * (f + 0.5) / 100), 1.02 * (100 + 100 * (f + 0.5) / 100));
    }

    [Fact]
    public void NoiseAndSilenceAreUnvoiced()
    {
        var random = new Random(4);
        var noise = Enumerable.Range(0, 8000).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        Assert.True(Tracker.Track(noise).Count(f => f > 0) <= 5);
        Assert.All(Tracker.Track(new float[4000]), f => Assert.Equal(0, f));
        // A tone with a silent second half: voiced, then unvoiced.
        var half = Harmonic(_ => 150, 8000, 3);
        Array.Clear(half, 4000, 4000);
        var track = Tracker.Track(half);
        Assert.All(track.Skip(3).Take(40), f => Assert.True(f > 0));
        Assert.All(track.Skip(55), f => Assert.Equal(0, f));
    }

    [Fact]
    public void GrossPitchErrorCountsVoicedReferenceFramesOnly()
    {
        double[] reference = [0, 100, 100, 200, 200];
        double[] estimate = [150, 100, 115, 0, 300];                                          // ok, ok (15 %), unvoiced, octave-ish
        Assert.Equal(0.5, PitchTracker.GrossPitchError(reference, estimate));
        Assert.True(double.IsNaN(PitchTracker.GrossPitchError([0, 0], [1, 1])));
    }
}

public class GriffinLimTests
{
    [Fact]
    public void RecoversAToneFromItsMagnitude()
    {
        // From the magnitude alone (zero phase at the start) the iterations reach a signal whose STFT magnitude matches.
        using var scope = NewScope();
        int n = 4000;
        var wave = Tensor.From(Enumerable.Range(0, n).Select(t => (float)(0.3 * Math.Sin(2 * Math.PI * 440 * t / 8000.0)
            + 0.2 * Math.Sin(2 * Math.PI * 1250 * t / 8000.0 + 1))).ToArray());
        var window = Fft.HannWindow(256);
        var magnitude = Fft.Stft(wave, 256, 64, window: window).Abs();
        double Error(Tensor x) => ((Fft.Stft(x, 256, 64, window: window).Abs() - magnitude).Norm(2) / magnitude.Norm(2)).Item<float>();
        var one = GriffinLim.Reconstruct(magnitude, 256, 64, n, iterations: 1);
        var many = GriffinLim.Reconstruct(magnitude, 256, 64, n, iterations: 50);
        Assert.Equal([(long)n], many.Shape);
        Assert.True(Error(many) < 0.2, $"spectral convergence after 50 iterations {Error(many)}");
        Assert.True(Error(many) < 0.5 * Error(one), $"after 1 iteration {Error(one)}, after 50 {Error(many)}");
    }

    [Fact]
    public void FromLogMelInvertsTheFilterbankApproximately()
    {
        // A broadband signal through log-mel (power 1) and back: the mel of the reconstruction matches the input's.
        using var scope = NewScope();
        ManualSeed(1);
        var wave = Tensor.RandN(4000) * 0.1;
        using var mel = new LogMelSpectrogram(8000, 256, 80, 32, power: 1, floor: 1e-5);
        var logMel = mel.Forward(wave);
        var back = GriffinLim.FromLogMel(logMel, 8000, 256, 80, 4000, iterations: 16);
        var difference = (mel.Forward(back) - logMel).Abs().Mean().Item<float>();
        Assert.True(difference < 0.5, $"mean |Δ log mel| {difference}");
    }
}
