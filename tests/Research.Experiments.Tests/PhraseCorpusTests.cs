using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class PhraseCorpusTests
{
    private static readonly Lazy<PhraseCorpus> s_corpus = new(() => new PhraseCorpus(24, 4, seed: 5));

    [Fact]
    public void HeldOutPhrasesAreUnseenCombinationsOfTrainedWords()
    {
        var c = s_corpus.Value;
        Assert.Equal(20, c.Train.Count);
        Assert.Equal(4, c.HeldOut.Count);
        var trained = c.Train.Select(p => p.Text).ToHashSet();
        var words = c.Train.SelectMany(p => p.Text.Split(' ')).ToHashSet();
        Assert.Equal(24, trained.Count + c.HeldOut.Select(p => p.Text).Distinct().Count());
        Assert.All(c.HeldOut, p =>
        {
            Assert.DoesNotContain(p.Text, trained);
            Assert.All(p.Text.Split(' '), w => Assert.Contains(w, words));
        });
    }

    [Fact]
    public void ValidationPhrasesAreNewCombinationsAndLeaveTheSplitAsItWas()
    {
        var c = s_corpus.Value;
        var v = new PhraseCorpus(24, 4, seed: 5, validation: 3);
        Assert.Empty(c.Validation);
        Assert.Equal(c.Train.Select(p => p.Text), v.Train.Select(p => p.Text));
        Assert.Equal(c.HeldOut.Select(p => p.Text), v.HeldOut.Select(p => p.Text));
        Assert.Equal(3, v.Validation.Count);
        var seen = v.Train.Concat(v.HeldOut).Select(p => p.Text).ToHashSet();
        var words = v.Train.SelectMany(p => p.Text.Split(' ')).ToHashSet();
        Assert.Equal(3, v.Validation.Select(p => p.Text).Distinct().Count());
        Assert.All(v.Validation, p =>
        {
            Assert.DoesNotContain(p.Text, seen);
            Assert.All(p.Text.Split(' '), w => Assert.Contains(w, words));
            Assert.Equal(PhraseCorpus.Encode(p.Text), p.Characters);
        });
    }

    [Fact]
    public void PhrasesAreTrimmedSpeechWithOneMelFramePerHop()
    {
        var c = s_corpus.Value;
        Assert.All(c.Train.Concat(c.HeldOut), p =>
        {
            Assert.Equal(p.Wave.Length / c.Hop + 1, p.Frames);
            Assert.All(p.LogMel, f => Assert.Equal(c.MelBands, f.Length));
            double seconds = (double)p.Wave.Length / c.SampleRate;
            Assert.InRange(seconds, 0.5, 3.0);                                   // 4–5 words at 160 wpm, silence trimmed
            int margin = c.SampleRate / 50;                                       // 20 ms of silence either side
            Assert.All(p.Wave[..margin].Concat(p.Wave[^margin..]), v => Assert.Equal(0f, v));
            var speech = p.Wave[margin..^margin];
            Assert.Equal(0.08, Math.Sqrt(speech.Sum(v => (double)v * v) / speech.Length), 3);
            Assert.True(Math.Abs(speech[0]) > 0.005 * speech.Max(Math.Abs) && Math.Abs(speech[^1]) > 0.005 * speech.Max(Math.Abs));
            Assert.Equal(PhraseCorpus.Encode(p.Text), p.Characters);
        });
    }

    [Fact]
    public void BatchesArePaddedWithLengthsAndAStopTarget()
    {
        using var scope = NewScope();
        var c = s_corpus.Value;
        var phrases = c.Train.Take(3).ToArray();
        using var batch = PhraseCorpus.Batch(phrases);
        long n = phrases.Max(p => p.Characters.Length), t = phrases.Max(p => p.Frames);
        Assert.Equal(new[] { 3, n }, batch.Text.Shape);
        Assert.Equal(new[] { 3, t, c.MelBands }, batch.Mel.Shape);
        Assert.Equal(phrases.Select(p => (long)p.Frames), batch.MelLengths.ToArray<long>());
        Assert.Equal(phrases.Select(p => (long)p.Characters.Length), batch.TextLengths.ToArray<long>());
        var text = batch.Text.ToArray<long>();
        var stop = batch.Stop.ToArray<float>();
        var mel = batch.Mel.ToArray<float>();
        for (int i = 0; i < 3; i++)
        {
            for (int k = 0; k < n; k++) Assert.Equal(k < phrases[i].Characters.Length ? phrases[i].Characters[k] : 0, text[i * n + k]);
            for (int f = 0; f < t; f++) Assert.Equal(f >= phrases[i].Frames - 1 ? 1f : 0f, stop[i * t + f]);
            Assert.Equal(phrases[i].LogMel[^1][0], mel[(i * t + phrases[i].Frames - 1) * c.MelBands]);
        }
    }

    [Fact]
    public void BadInputIsAClearError()
    {
        Assert.Throws<ArgumentException>(() => PhraseCorpus.Encode("the fox!"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhraseCorpus(10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhraseCorpus(10, 2, validation: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PhraseCorpus.Batch([]));
    }
}
