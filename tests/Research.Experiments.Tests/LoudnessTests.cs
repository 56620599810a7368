using Research.Experiments.Audio;

namespace Research.Experiments.Tests;

public class LoudnessTests
{
    private static float[] Sine(double frequency, double amplitude, int sampleRate, int length) =>
        Enumerable.Range(0, length).Select(n => (float)(amplitude * Math.Sin(2 * Math.PI * frequency * n / sampleRate + 0.3))).ToArray();

    [Fact]
    public void AWeightingIsZeroAtOneKilohertzAndMinusNineteenAtOneHundredHertz()
    {
        Assert.Equal(0.0, Loudness.AWeightingDb(1000), 2);
        Assert.Equal(-19.1, Loudness.AWeightingDb(100), 1);
        Assert.Equal(-1.1, Loudness.AWeightingDb(8000), 1);      // IEC 61672 table: −1.1 dB at 8 kHz, −2.5 dB at 10 kHz
        Assert.Equal(-2.5, Loudness.AWeightingDb(10000), 1);
    }

    [Fact]
    public void AFullScaleSineAtOneKilohertzReadsItsMeanSquare()
    {
        // 20 log10(a / √2): −3.01 dB at a = 1, −9.03 dB at a = 0.5 (frames away from the edges).
        var loudness = new Loudness(16000, 128);
        foreach (var (a, expected) in new[] { (1.0, -3.0103), (0.5, -9.0309) })
        {
            var frames = loudness.Frames(Sine(1000, a, 16000, 16000));
            Assert.Equal(125, frames.Length);
            foreach (var l in frames.Skip(5).Take(110)) Assert.Equal(expected, l, 1);
        }
    }

    [Fact]
    public void ALowSineReadsQuieterByItsAWeighting()
    {
        var loudness = new Loudness(16000, 128);
        double low = loudness.Frames(Sine(100, 1, 16000, 16000))[60];
        Assert.Equal(-3.01 + Loudness.AWeightingDb(100), low, 0);
    }
}
