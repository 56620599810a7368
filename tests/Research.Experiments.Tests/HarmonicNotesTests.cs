using Research.Experiments.Data;
using Research.Experiments.Reproductions;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class HarmonicNotesTests
{
    private static readonly Timbre Plain = new(Slope: 1, OddOnly: false, VibratoDepth: 0, VibratoRate: 5, PhaseSeed: 3, Level: 0.5);

    private static double[] Magnitudes(float[] samples)
    {
        using var scope = NewScope();
        return Fft.RFFT(Tensor.From(samples)).Abs().Double().ToArray<double>();
    }

    [Fact]
    public void NoteIsAHarmonicStackAtItsPitch()
    {
        var note = HarmonicNotes.Note(200, Plain, 1.0, 8000);                             // 1 s: bin k is k Hz
        Assert.Equal(8000, note.Frames);
        Assert.Equal(0.5, note.Samples.Max(Math.Abs), 5);
        var magnitude = Magnitudes(note.Samples);
        Assert.Equal(200, Array.IndexOf(magnitude, magnitude.Max()));
        for (int k = 2; k <= 18; k++) Assert.Equal(1.0 / k, magnitude[200 * k] / magnitude[200], 2);   // a_k = k^−slope
        Assert.True(magnitude[200 * 19] < 1e-3 * magnitude[200]);                         // nothing above 0.45 · 8000 Hz
    }

    [Fact]
    public void OddOnlyNotesHaveNoEvenPartials()
    {
        var magnitude = Magnitudes(HarmonicNotes.Note(250, Plain with { OddOnly = true }, 1.0, 8000).Samples);
        Assert.True(magnitude[750] > 0.1 * magnitude[250]);
        foreach (int k in new[] { 2, 4, 6 }) Assert.True(magnitude[250 * k] < 1e-3 * magnitude[250]);
    }

    [Fact]
    public void NotesAreDeterministic()
    {
        var timbre = Timbre.Random(new Random(5));
        Assert.Equal(timbre, Timbre.Random(new Random(5)));
        Assert.Equal(HarmonicNotes.Note(130, timbre, 0.2, 4000).Samples, HarmonicNotes.Note(130, timbre, 0.2, 4000).Samples);
    }

    [Fact]
    public void RandomPitchesKeepAwayFromTheAvoidedOnes()
    {
        var avoid = HarmonicNotes.SpreadPitches(6, 100, 400);
        Assert.Equal(100 * Math.Pow(4, 1 / 12.0), avoid[0], 9);
        var random = new Random(1);
        var pitches = Enumerable.Range(0, 2000).Select(_ => HarmonicNotes.RandomPitch(random, 100, 400, avoid, 0.5)).ToArray();
        Assert.All(pitches, p => Assert.InRange(p, 100, 400));
        Assert.All(pitches, p => Assert.All(avoid, a => Assert.True(Math.Abs(12 * Math.Log2(p / a)) > 0.5)));
        Assert.True(pitches.Count(p => p < 200) > 700 && pitches.Count(p => p >= 200) > 700);     // log-uniform: half per octave
        Assert.Throws<ArgumentException>(() => HarmonicNotes.RandomPitch(random, 100, 101, [100.5], 1));
    }

    [Fact]
    public void WaveNetExperimentTrainsOnNotesAwayFromTheUnseenOnes()
    {
        var settings = WaveNetSettings.For(Scale.Cpu);
        var test = WaveNetExperiment.TestNotes(settings);
        Assert.Equal(6, test.Length);
        Assert.All(test, n => Assert.Equal((int)Math.Round(settings.Seconds * settings.SampleRate), n.Clip.Frames));
        using var scope = NewScope();
        var batch = WaveNetExperiment.TrainingNotes(settings, new Random(0), test.Select(n => n.Pitch).ToArray());
        Assert.Equal([settings.Batch, settings.Crop], batch.Shape);
        Assert.InRange(batch.Min().Item<long>(), 0, 255);
        Assert.InRange(batch.Max().Item<long>(), 0, 255);
    }
}
