using Research.Experiments.Audio;

namespace Research.Experiments.Data;

/// <summary>One spoken word: its samples, class, voice and speed.</summary>
public sealed record SpokenWord(float[] Samples, int Label, string Word, string Voice, int Speed);

/// <summary>
/// Keyword-spotting clips from espeak-ng (<see cref="Speech"/>): the keywords "yes", "no", "stop", "go", other words
/// ("unknown") and silence, each placed at a random offset in a fixed-length clip of red background noise at a random SNR.
/// Class 0 is silence, 1 unknown, 2 … the keywords. Training and held-out words come from disjoint voices.
/// </summary>
public static class SpokenKeywords
{
    /// <summary>The keywords (classes 2 …).</summary>
    public static readonly IReadOnlyList<string> Keywords = ["yes", "no", "stop", "go"];

    /// <summary>Non-keywords (class 1, "unknown").</summary>
    public static readonly IReadOnlyList<string> Others = ["left", "right", "up", "down", "on", "off"];

    /// <summary>Class names in label order.</summary>
    public static readonly IReadOnlyList<string> Classes = ["silence", "unknown", .. Keywords];

    /// <summary>Indices into <see cref="Speech.Voices"/> that train.</summary>
    public static readonly IReadOnlyList<int> TrainingVoices = [0, 1, 2, 3, 4, 5];

    /// <summary>Indices into <see cref="Speech.Voices"/> held out.</summary>
    public static readonly IReadOnlyList<int> HeldOutVoices = [6, 7];

    /// <summary>Every keyword and other word in each voice and speed, scaled to RMS 0.1, at <paramref name="sampleRate"/>.</summary>
    public static List<SpokenWord> Words(IEnumerable<int> voices, IEnumerable<int> speeds, int sampleRate)
    {
        var words = new List<SpokenWord>();
        foreach (var v in voices)
            foreach (var s in speeds)
                foreach (var (word, label) in Keywords.Select((w, i) => (w, i + 2)).Concat(Others.Select(w => (w, 1))))
                {
                    var x = Speech.Say(word, Speech.Voices[v], s, sampleRate: sampleRate).Samples;
                    double rms = Math.Sqrt(x.Average(a => (double)a * a)) + 1e-9;
                    words.Add(new SpokenWord(x.Select(a => (float)(a * 0.1 / rms)).ToArray(), label, word, Speech.Voices[v], s));
                }
        return words;
    }

    /// <summary>
    /// A clip of <paramref name="length"/> samples: <paramref name="word"/> (none: silence) starting at a random offset that
    /// lets it end by 90 % of the clip, in AR(1) red noise (ρ = 0.95) whose RMS is 0.1·10^(−SNR/20), SNR uniform in the range.
    /// </summary>
    public static float[] Clip(Random random, SpokenWord? word, int length, (double Min, double Max) snrDb) =>
        ClipAt(random, word, length, snrDb).Samples;

    /// <summary>As <see cref="Clip"/>, with the sample where the word starts (−1 for silence).</summary>
    public static (float[] Samples, int Start) ClipAt(Random random, SpokenWord? word, int length, (double Min, double Max) snrDb)
    {
        double snr = snrDb.Min + (snrDb.Max - snrDb.Min) * random.NextDouble();
        var noise = Seismograms.RedNoise(random, length, 0.95);
        var x = noise.Select(n => (float)(n * 0.1 * Math.Pow(10, -snr / 20))).ToArray();
        if (word is null) return (x, -1);
        int n = Math.Min(word.Samples.Length, (int)(0.9 * length));
        int offset = random.Next(Math.Max(1, (int)(0.9 * length) - n + 1));
        for (int t = 0; t < n; t++) x[offset + t] += word.Samples[t];
        return (x, offset);
    }
}
