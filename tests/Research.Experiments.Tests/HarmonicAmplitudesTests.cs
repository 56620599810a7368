using Research.Experiments.Audio;

namespace Research.Experiments.Tests;

public class HarmonicAmplitudesTests
{
    private static float[] Harmonics(double f0, double[] amplitudes, double gain, int sampleRate, int length) =>
        Enumerable.Range(0, length).Select(n => (float)(gain * amplitudes.Select((a, k) =>
            a * Math.Sin(2 * Math.PI * (k + 1) * f0 * n / sampleRate + k)).Sum())).ToArray();

    [Fact]
    public void MeasuresTheAmplitudeOfEveryHarmonic()
    {
        double[] amplitudes = [0.5, 0.25, 0.1, 0.05, 0.02];
        var measured = HarmonicAmplitudes.Measure(Harmonics(220, amplitudes, 1, 8000, 8000), 220, 8000, 5);
        Assert.Equal((8000 - 1024) / 512 + 1, measured.Length);
        foreach (var frame in measured)
            for (int k = 0; k < 5; k++) Assert.Equal(amplitudes[k], frame[k], 3);
    }

    [Fact]
    public void PatternErrorIgnoresTheLevelAndSeesAChangedHarmonic()
    {
        double[] amplitudes = [0.5, 0.25, 0.1, 0.05];
        var target = HarmonicAmplitudes.Measure(Harmonics(300, amplitudes, 1, 8000, 6000), 300, 8000, 4);
        var louder = HarmonicAmplitudes.Measure(Harmonics(300, amplitudes, 2, 8000, 6000), 300, 8000, 4);
        Assert.All(HarmonicAmplitudes.PatternErrorDb(target, louder), e => Assert.True(e < 0.01));
        double[] brighter = [0.5, 0.25, 0.2, 0.05];                                           // harmonic 3: +6 dB
        var errors = HarmonicAmplitudes.PatternErrorDb(target, HarmonicAmplitudes.Measure(Harmonics(300, brighter, 1, 8000, 6000), 300, 8000, 4));
        // 10 log10(a_k² / Σ a²): harmonic 3 gains 20 log10 2 minus the total's change; the others lose the total's change.
        double total = amplitudes.Sum(a => a * a), totalBrighter = brighter.Sum(a => a * a), shift = 10 * Math.Log10(totalBrighter / total);
        Assert.Equal(20 * Math.Log10(2) - shift, errors[2], 1);
        Assert.Equal(shift, errors[0], 1);
    }
}
