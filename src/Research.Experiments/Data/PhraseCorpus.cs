using Research.Experiments.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Data;

/// <summary>One phrase of a <see cref="PhraseCorpus"/>: its text, character ids, waveform and log-mel frames [frames][bands].</summary>
public sealed record SpokenPhrase(string Text, long[] Characters, float[] Wave, float[][] LogMel)
{
    /// <summary>Mel frames of the phrase.</summary>
    public int Frames => LogMel.Length;
}

/// <summary>
/// A padded batch of phrases for text-to-mel models: character ids [B, N] (0 = padding), their lengths [B], log-mel frames
/// [B, T, bands] (padding frames repeat the floor value), their lengths [B], and the stop target [B, T] (1 from the last real
/// frame on). Lengths are int64.
/// </summary>
public sealed record PhraseBatch(Tensor Text, Tensor TextLengths, Tensor Mel, Tensor MelLengths, Tensor Stop) : IDisposable
{
    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Text.Dispose();
        TextLengths.Dispose();
        Mel.Dispose();
        MelLengths.Dispose();
        Stop.Dispose();
    }
}

/// <summary>
/// A text-to-speech corpus from espeak-ng: short phrases drawn from a small grammar (determiner, adjective, noun, verb,
/// optionally an adverb: "the green fox jumps slowly"), all distinct, spoken by one voice, leading and trailing silence
/// trimmed (at 1 % of the peak) and replaced by 20 ms of digital silence either side, the speech scaled to RMS 0.08, and analysed into log-mel frames (power 1, natural log, floor 1e-5;
/// frame f is centred on sample f·hop). Every word of the held-out phrases also occurs in training phrases; the held-out
/// phrases themselves (word combinations) never do. Characters: lower-case letters, space and apostrophe map to 1 … 28;
/// 0 is padding. Speech is cached on disk (<see cref="Speech"/>), so a corpus is rendered once per machine.
/// </summary>
public sealed class PhraseCorpus
{
    /// <summary>The character set; id = index + 1.</summary>
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz '";

    /// <summary>Floor of the mel magnitudes before the log.</summary>
    public const double Floor = 1e-5;

    private static readonly string[] s_determiners = ["the", "a", "my", "your", "one", "this", "that", "her"];
    private static readonly string[] s_adjectives = ["red", "green", "small", "big", "old", "quiet", "happy", "brown", "cold", "bright", "lazy", "tall"];
    private static readonly string[] s_nouns = ["fox", "dog", "cat", "bird", "horse", "child", "river", "train", "ship", "farmer", "queen", "robot"];
    private static readonly string[] s_verbs = ["jumps", "sleeps", "sings", "waits", "runs", "falls", "swims", "reads", "shines", "moves"];
    private static readonly string[] s_adverbs = ["slowly", "today", "again", "away", "outside", "quickly"];

    /// <summary>Renders <paramref name="count"/> distinct phrases (seeded), <paramref name="heldOut"/> of them held out (taken from the end of the draw, each only if all its words are trained).</summary>
    /// <param name="count">Phrases in all (≤ 80 000).</param>
    /// <param name="heldOut">Phrases at the end that are held out (their word combinations are never trained on).</param>
    /// <param name="seed">Seed of the phrase draw.</param>
    /// <param name="voice">espeak-ng voice.</param>
    /// <param name="sampleRate">Sample rate of the waveforms.</param>
    /// <param name="hop">Samples between mel frames.</param>
    /// <param name="nFft">FFT size of the mel analysis.</param>
    /// <param name="melBands">Mel bands.</param>
    /// <param name="wordsPerMinute">espeak-ng speaking rate.</param>
    /// <param name="validation">
    /// Further phrases, neither trained on nor held out (for tuning): the next ones drawn after the <paramref name="count"/>
    /// (so training and held-out phrases do not change) whose every word is trained.
    /// </param>
    public PhraseCorpus(int count, int heldOut, int seed = 0, string voice = "en", int sampleRate = 16000, int hop = 256, int nFft = 1024,
        int melBands = 40, int wordsPerMinute = 160, int validation = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heldOut);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(heldOut, count);
        ArgumentOutOfRangeException.ThrowIfNegative(validation);
        (SampleRate, Hop, MelBands) = (sampleRate, hop, melBands);
        if (count + validation > Combinations)
            throw new ArgumentOutOfRangeException(nameof(count), count + validation, $"the grammar has {Combinations} phrases");
        var (train, held) = Split(Draw(seed).Take(count).ToArray(), heldOut);
        var trainedWords = Words(train);
        var validationTexts = Draw(seed).Skip(count).Where(t => t.Split(' ').All(trainedWords.Contains)).Take(validation).ToArray();
        if (validationTexts.Length < validation)
            throw new InvalidOperationException($"the grammar has only {validationTexts.Length} more phrases of trained words; {validation} asked for");
        using var scope = NewScope();
        using var mel = new LogMelSpectrogram(sampleRate, nFft, hop, melBands, power: 1, floor: Floor);
        // The waves (espeak-ng or its cache, resampling, trimming: no tensors) are made on every core; the mels in order.
        var texts = train.Concat(held).Concat(validationTexts).Distinct().ToArray();
        var waves = new float[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => waves[i] = Trimmed(Speech.Say(texts[i], voice, wordsPerMinute, sampleRate: sampleRate).Samples, sampleRate));
        var waveOf = texts.Zip(waves).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        SpokenPhrase Render(string text)
        {
            var wave = waveOf[text];
            using var inner = NewScope();
            var bands = mel.Forward(Tensor.From(wave, wave.Length)).T.Contiguous();           // [frames, bands]
            var values = bands.ToArray<float>();
            var frames = Enumerable.Range(0, (int)bands.Size(0)).Select(f => values.AsSpan(f * melBands, melBands).ToArray()).ToArray();
            return new SpokenPhrase(text, Encode(text), wave, frames);
        }
        Train = train.Select(Render).ToArray();
        HeldOut = held.Select(Render).ToArray();
        Validation = validationTexts.Select(Render).ToArray();
    }

    /// <summary>Sample rate of the waveforms.</summary>
    public int SampleRate { get; }

    /// <summary>Samples between mel frames.</summary>
    public int Hop { get; }

    /// <summary>Mel bands.</summary>
    public int MelBands { get; }

    /// <summary>Training phrases.</summary>
    public IReadOnlyList<SpokenPhrase> Train { get; }

    /// <summary>Held-out phrases (unseen word combinations of trained words).</summary>
    public IReadOnlyList<SpokenPhrase> HeldOut { get; }

    /// <summary>Validation phrases (unseen word combinations of trained words, none of them held out); empty unless asked for.</summary>
    public IReadOnlyList<SpokenPhrase> Validation { get; }

    /// <summary>Character ids of <paramref name="text"/> (lower-cased; characters outside <see cref="Alphabet"/> are an error).</summary>
    public static long[] Encode(string text) => text.ToLowerInvariant().Select(c =>
    {
        int i = Alphabet.IndexOf(c, StringComparison.Ordinal);
        return i >= 0 ? i + 1L : throw new ArgumentException($"character '{c}' is not in the corpus alphabet", nameof(text));
    }).ToArray();

    /// <summary>Mean and standard deviation of every training log-mel value (to standardise a model's targets).</summary>
    public (double Mean, double Std) Statistics()
    {
        var values = Train.SelectMany(p => p.LogMel.SelectMany(f => f)).Select(v => (double)v).ToArray();
        double mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length));
    }

    /// <summary>Stacks <paramref name="phrases"/> into a padded <see cref="PhraseBatch"/>, on <paramref name="device"/>.</summary>
    public static PhraseBatch Batch(IReadOnlyList<SpokenPhrase> phrases, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(phrases.Count);
        int b = phrases.Count, n = phrases.Max(p => p.Characters.Length), t = phrases.Max(p => p.Frames), m = phrases[0].LogMel[0].Length;
        var text = new long[b * n];
        var mel = new float[b * t * m];
        var stop = new float[b * t];
        Array.Fill(mel, (float)Math.Log(Floor));
        for (int i = 0; i < b; i++)
        {
            var p = phrases[i];
            p.Characters.CopyTo(text, i * n);
            for (int f = 0; f < p.Frames; f++) p.LogMel[f].CopyTo(mel, (i * t + f) * m);
            for (int f = p.Frames - 1; f < t; f++) stop[i * t + f] = 1;
        }
        Tensor Place(Tensor x) => (device is { } d && d != Device.CPU ? x.To(d) : x).DetachFromScope();
        using var scope = NewScope();
        return new PhraseBatch(Place(Tensor.From(text, b, n)), Place(Tensor.From(phrases.Select(p => (long)p.Characters.Length).ToArray(), b)),
            Place(Tensor.From(mel, b, t, m)), Place(Tensor.From(phrases.Select(p => (long)p.Frames).ToArray(), b)), Place(Tensor.From(stop, b, t)));
    }

    private static long Combinations =>
        (long)s_determiners.Length * s_adjectives.Length * s_nouns.Length * s_verbs.Length * (s_adverbs.Length + 1);

    /// <summary>Every phrase of the grammar once, in the seeded draw's order.</summary>
    private static IEnumerable<string> Draw(int seed)
    {
        var random = new Random(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (seen.Count < Combinations)
        {
            string Pick(string[] words) => words[random.Next(words.Length)];
            var words = new List<string> { Pick(s_determiners), Pick(s_adjectives), Pick(s_nouns), Pick(s_verbs) };
            int adverb = random.Next(s_adverbs.Length + 1);
            if (adverb < s_adverbs.Length) words.Add(s_adverbs[adverb]);
            var text = string.Join(' ', words);
            if (seen.Add(text)) yield return text;
        }
    }

    /// <summary>
    /// Splits <paramref name="texts"/> into training and held-out phrases: from the end, a phrase is held out when each of its
    /// words occurs in a phrase still in training; the split is checked once more at the end.
    /// </summary>
    private static (string[] Train, string[] HeldOut) Split(string[] texts, int heldOut)
    {
        var held = new List<int>();
        for (int i = texts.Length - 1; i >= 0 && held.Count < heldOut; i--)
        {
            var trained = Words(texts.Where((_, j) => j != i && !held.Contains(j)));
            if (texts[i].Split(' ').All(trained.Contains)) held.Add(i);
        }
        var train = texts.Where((_, j) => !held.Contains(j)).ToArray();
        var heldTexts = held.Select(j => texts[j]).ToArray();
        if (held.Count < heldOut || !heldTexts.SelectMany(t => t.Split(' ')).All(Words(train).Contains))
            throw new InvalidOperationException($"cannot hold out {heldOut} of {texts.Length} phrases with every word trained; draw more phrases");
        return (train, heldTexts);
    }

    private static HashSet<string> Words(IEnumerable<string> texts) => texts.SelectMany(t => t.Split(' ')).ToHashSet(StringComparer.Ordinal);

    private static float[] Trimmed(float[] samples, int sampleRate)
    {
        const double threshold = 0.01;
        double peak = samples.Max(Math.Abs);
        if (peak <= 0) throw new InvalidOperationException("espeak-ng produced silence");
        int first = Array.FindIndex(samples, v => Math.Abs(v) > threshold * peak);
        int last = Array.FindLastIndex(samples, v => Math.Abs(v) > threshold * peak);
        var kept = samples[first..(last + 1)];
        double gain = 0.08 / Math.Sqrt(kept.Sum(v => (double)v * v) / kept.Length);
        var silence = new float[sampleRate / 50];
        return [.. silence, .. kept.Select(v => (float)(v * gain)), .. silence];
    }
}
