using Research.Experiments.Audio;
using Research.Experiments.Data;
using Research.Torch;
using Research.Torch.Audio;

namespace Research.Experiments.Tests;

public class AudioTests
{
    [Theory]
    [InlineData(WavEncoding.Pcm16, 2.0 / 32767)]   // written ×32767, read ÷32768 (libsndfile's convention)
    [InlineData(WavEncoding.Float32, 0)]
    public void WavRoundTripKeepsSamplesRateAndChannels(WavEncoding encoding, double tolerance)
    {
        using var dir = new TempDirectory();
        var samples = Enumerable.Range(0, 2000).Select(i => (float)Math.Sin(i * 0.01) * 0.8f).ToArray();
        var clip = new AudioClip(samples, 22050, Channels: 2);
        var path = Path.Combine(dir.Path, "a.wav");
        WavFile.Write(path, clip, encoding);
        var back = WavFile.Read(path);
        Assert.Equal((22050, 2, 1000), (back.SampleRate, back.Channels, back.Frames));
        for (int i = 0; i < samples.Length; i++) Assert.True(Math.Abs(samples[i] - back.Samples[i]) <= tolerance, $"sample {i}");
    }

    [Fact]
    public void MuLawRoundTripIsWithinOneQuantisationStep()
    {
        var x = Enumerable.Range(-1000, 2001).Select(i => i / 1000f).ToArray();
        var q = MuLaw.Encode(x);
        Assert.Equal(0, q.Min());
        Assert.Equal(255, q.Max());
        var y = MuLaw.Decode(q);
        for (int i = 0; i < x.Length; i++)
        {
            // the step of μ-law at amplitude |x| is about (1 + 255|x|)·ln(256)/255·2/255
            double step = (1 + 255 * Math.Abs(x[i])) * Math.Log(256) / 255 * 2 / 255;
            Assert.True(Math.Abs(x[i] - y[i]) <= step, $"x={x[i]} y={y[i]}");
        }
        using var xt = Tensor.From(x);
        using var qt = MuLaw.Encode(xt);
        Assert.Equal(q.Select(v => (long)v), qt.ToArray<long>());
        using var yt = MuLaw.Decode(qt);
        var yArr = yt.ToArray<float>();
        for (int i = 0; i < y.Length; i++) Assert.Equal(y[i], yArr[i], 5);
    }

    [Theory]
    [InlineData(44100, 16000, 1000.0)]
    [InlineData(16000, 22050, 3000.0)]
    [InlineData(22050, 8000, 440.0)]
    public void ResamplingASineKeepsItsFrequency(int from, int to, double frequency)
    {
        var tone = Data.Signals.Tone(frequency, 1.0, from);
        var y = Resampler.Resample(tone.Samples, from, to);
        Assert.Equal(to, y.Length);
        using var t = Tensor.From(y[(to / 10)..(to - to / 10)].Select(v => (double)v).ToArray());
        using var spectrum = Fft.RFFT(t).Abs();
        long peak = spectrum.ArgMax().Item<long>();
        double peakHz = peak * (double)to / t.NumEl;
        Assert.InRange(peakHz, frequency - 2, frequency + 2);
        // amplitude kept (away from the edges)
        Assert.InRange(y[(to / 10)..(to - to / 10)].Max(), 0.48f, 0.52f);
    }

    [Fact]
    public void DownsamplingRemovesContentAboveTheNewNyquist()
    {
        var tone = Data.Signals.Tone(7000, 1.0, 32000);
        var y = Resampler.Resample(tone.Samples, 32000, 8000);
        var rms = Math.Sqrt(y[800..7200].Select(v => (double)v * v).Average());
        Assert.True(rms < 0.01, $"7 kHz leaked into 8 kHz audio with RMS {rms}");
    }

    [Theory]
    [InlineData(MelScale.Htk)]
    [InlineData(MelScale.Slaney)]
    public void MelFiltersAreOrderedTrianglesThatPeakNearOne(MelScale scale)
    {
        var fb = MelFilterbank.Create(nFreqs: 513, nMels: 40, sampleRate: 16000, scale: scale);
        int previousPeak = -1;
        for (int m = 0; m < 40; m++)
        {
            int peak = 0;
            double max = 0;
            for (int k = 0; k < 513; k++)
                if (fb[k, m] > max) { max = fb[k, m]; peak = k; }
            Assert.InRange(max, 0.5, 1.0);
            Assert.True(peak >= previousPeak, $"filter {m} peaks at bin {peak} before filter {m - 1} at {previousPeak}");
            previousPeak = peak;
        }
        // Between the first and last centres, neighbouring triangles overlap so every bin is covered.
        for (int k = 40; k < 400; k++)
        {
            double s = 0;
            for (int m = 0; m < 40; m++) s += fb[k, m];
            Assert.InRange(s, 0.9, 1.1);
        }
    }

    [Fact]
    public void SlaneyNormalisedFiltersHaveUnitAreaInHz()
    {
        var fb = MelFilterbank.Create(4097, 20, 16000, scale: MelScale.Slaney, norm: MelNorm.Slaney);
        double binHz = 8000.0 / 4096;
        for (int m = 0; m < 20; m++)
        {
            double area = 0;
            for (int k = 0; k < 4097; k++) area += fb[k, m] * binHz;
            Assert.InRange(area, 0.97, 1.03);
        }
    }

    [Fact]
    public void LogMelSpectrogramOfAToneIsLoudestInTheBandHoldingIt()
    {
        using var mel = new LogMelSpectrogram(16000, nFft: 512, hopLength: 128, nMels: 40);
        var tone = Data.Signals.Tone(1000, 0.5, 16000);
        using var wave = Tensor.From(tone.Samples);
        using var spec = mel.Forward(wave);
        Assert.Equal([40L, 8000 / 128 + 1], spec.Shape);
        using var frame = spec.Select(1, 30);
        long band = frame.ArgMax().Item<long>();
        var fb = MelFilterbank.Create(257, 40, 16000);
        int binOf1k = 1000 * 512 / 16000;
        Assert.True(fb[binOf1k, band] > 0, $"band {band} does not cover 1 kHz");
        using var batch = Tensor.Stack([wave, wave]);
        using var batched = mel.Forward(batch);
        Assert.Equal([2L, 40L, 63L], batched.Shape);
    }
}
