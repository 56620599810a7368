using System.Globalization;
using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// One batch of mixtures for source separation: mixture m = s + n [batch, 1, T] and the sources [batch, 2, T]
/// (row 0 the speech s, row 1 the interference n).
/// </summary>
public sealed record SeparationBatch(Tensor Mixtures, Tensor Sources) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Mixtures.Dispose();
        Sources.Dispose();
    }
}

/// <summary>The interference of one mixture: one or two SoX tones (waveform and frequency in Hz).</summary>
public sealed record ToneSpec(params (string Waveform, double Frequency)[] Tones)
{
    /// <inheritdoc />
    public override string ToString() =>
        string.Join(" + ", Tones.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Waveform} {t.Frequency:F0} Hz")));
}

/// <summary>
/// Speech from espeak-ng (<see cref="Speech"/>) mixed with tones from SoX (<see cref="Sox"/>) at a chosen
/// speech-to-interference ratio — the separation task of the wave-u-net notebook. Speakers, sentences and tone frequencies
/// are split so that held-out mixtures share none of them with training:
/// <list type="bullet">
/// <item>voices: <see cref="Speech.Voices"/>[0 … 5] train, [6, 7] are held out;</item>
/// <item>sentences (Harvard sentences): <see cref="Sentences"/>[0 … 7] train, [8] validation, [9 … 11] held out;</item>
/// <item>tones: sine, square, sawtooth, triangle at frequencies on a log grid (<see cref="ToneGrid"/>) of an odd number of
/// points; even grid points (both ends among them) train, odd ones (each between two training ones) are held out.</item>
/// </list>
/// Speech is scaled to RMS <see cref="SpeechRms"/> over its whole utterance; the tones to the ratio's RMS relative to it.
/// </summary>
public static class SpeechToneMixtures
{
    /// <summary>Harvard sentences (IEEE 1969), public domain.</summary>
    public static readonly IReadOnlyList<string> Sentences =
    [
        "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
        "It is easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
        "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
        "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
        "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
        "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    ];

    /// <summary>Indices into <see cref="Sentences"/> of the training sentences.</summary>
    public static readonly int[] TrainingSentences = [0, 1, 2, 3, 4, 5, 6, 7];

    /// <summary>The sentence of the validation mixtures (training voices, unseen sentence).</summary>
    public const int ValidationSentence = 8;

    /// <summary>Indices into <see cref="Sentences"/> of the held-out sentences.</summary>
    public static readonly int[] HeldOutSentences = [9, 10, 11];

    /// <summary>Voices (<see cref="Speech.Voices"/>) of training and validation.</summary>
    public static readonly int[] TrainingVoices = [0, 1, 2, 3, 4, 5];

    /// <summary>Voices of the held-out mixtures.</summary>
    public static readonly int[] HeldOutVoices = [6, 7];

    /// <summary>SoX waveforms of the tones.</summary>
    public static readonly IReadOnlyList<string> Waveforms = ["sine", "square", "sawtooth", "triangle"];

    /// <summary>RMS of every utterance after scaling.</summary>
    public const double SpeechRms = 0.08;

    /// <summary>Length of every SoX tone; mixtures take a random excerpt.</summary>
    public const double ToneSeconds = 2.5;

    /// <summary><paramref name="count"/> frequencies log-spaced from <paramref name="low"/> to <paramref name="high"/> Hz inclusive.</summary>
    public static double[] ToneGrid(int count, double low = 110, double high = 1760) =>
        Enumerable.Range(0, count).Select(i => low * Math.Pow(high / low, count == 1 ? 0 : i / (double)(count - 1))).ToArray();

    /// <summary>The training frequencies of a grid of <paramref name="count"/> points: the even ones.</summary>
    public static double[] TrainingFrequencies(int count) => ToneGrid(count).Where((_, i) => i % 2 == 0).ToArray();

    /// <summary>The held-out frequencies: the odd grid points, each between two training frequencies.</summary>
    public static double[] HeldOutFrequencies(int count) => ToneGrid(count).Where((_, i) => i % 2 == 1).ToArray();

    /// <summary>An utterance of sentence <paramref name="sentence"/> by voice <paramref name="voice"/>, scaled to <see cref="SpeechRms"/>.</summary>
    public static float[] Utterance(int voice, int sentence, int sampleRate)
    {
        var clip = Speech.Say(Sentences[sentence], Speech.Voices[voice], sampleRate: sampleRate);
        double rms = clip.Rms();
        if (rms <= 0) throw new InvalidOperationException($"espeak-ng produced silence for voice {Speech.Voices[voice]}, sentence {sentence}");
        return clip.Samples.Select(v => (float)(v * SpeechRms / rms)).ToArray();
    }

    /// <summary>A SoX tone of <see cref="ToneSeconds"/> at RMS 1 (<c>sox -n synth 2.5 WAVEFORM FREQUENCY</c>).</summary>
    public static float[] Tone(string waveform, double frequency, int sampleRate)
    {
        var clip = Sox.Synth(string.Create(CultureInfo.InvariantCulture, $"{waveform} {frequency:F2}"), ToneSeconds, sampleRate);
        double rms = clip.Rms();
        return clip.Samples.Select(v => (float)(v / rms)).ToArray();
    }

    /// <summary>
    /// The interference for <paramref name="spec"/>: <paramref name="length"/> samples from <paramref name="offset"/> of each
    /// tone, summed with equal RMS, and scaled so that 20 log10(RMS(speech) / RMS(n)) = <paramref name="ratioDb"/> with
    /// the utterance's RMS <see cref="SpeechRms"/>.
    /// </summary>
    public static float[] Interference(ToneSpec spec, int length, int offset, double ratioDb, int sampleRate, Func<string, double, float[]>? tone = null)
    {
        tone ??= (w, f) => Tone(w, f, sampleRate);
        var sum = new double[length];
        foreach (var (waveform, frequency) in spec.Tones)
        {
            var t = tone(waveform, frequency);
            if (offset + length > t.Length) throw new ArgumentOutOfRangeException(nameof(length), length, $"offset {offset} + length exceeds the tone's {t.Length} samples");
            for (int i = 0; i < length; i++) sum[i] += t[offset + i];
        }
        double rms = Math.Sqrt(sum.Sum(v => v * v) / length);
        double gain = SpeechRms * Math.Pow(10, -ratioDb / 20) / rms;
        return sum.Select(v => (float)(v * gain)).ToArray();
    }

    /// <summary>
    /// Stacks mixtures: for every (speech, interference) pair of equal length, m = s + n → <see cref="SeparationBatch"/>
    /// on <paramref name="device"/>.
    /// </summary>
    public static SeparationBatch Stack(IReadOnlyList<(float[] Speech, float[] Interference)> pairs, Device? device = null)
    {
        int n = pairs.Count, length = pairs[0].Speech.Length;
        var sources = new float[n * 2 * length];
        var mixtures = new float[n * length];
        for (int b = 0; b < n; b++)
        {
            var (s, i) = pairs[b];
            if (s.Length != length || i.Length != length) throw new ArgumentException("every speech and interference must have the same length", nameof(pairs));
            s.CopyTo(sources, b * 2 * length);
            i.CopyTo(sources, (b * 2 + 1) * length);
            for (int t = 0; t < length; t++) mixtures[b * length + t] = s[t] + i[t];
        }
        var target = device ?? Device.CPU;
        using var m = Tensor.From(mixtures, n, 1, length);
        using var src = Tensor.From(sources, n, 2, length);
        return new SeparationBatch(m.To(target).DetachFromScope(), src.To(target).DetachFromScope());
    }

    /// <summary>The first <paramref name="length"/> samples of <paramref name="x"/>, zero-padded when it is shorter.</summary>
    public static float[] Fit(float[] x, int length)
    {
        var y = new float[length];
        Array.Copy(x, y, Math.Min(length, x.Length));
        return y;
    }
}

/// <summary>
/// The training side of <see cref="SpeechToneMixtures"/>: utterances of the training voices and sentences, tones of the
/// training frequencies, loaded once; <see cref="Batch"/> draws random excerpts and ratios.
/// </summary>
public sealed class SpeechTonePool
{
    private readonly float[][] _speech;
    private readonly Dictionary<(string, double), float[]> _tones = new();

    /// <summary>Loads the utterances of <paramref name="voices"/> × <paramref name="sentences"/> and the tones of every waveform × frequency.</summary>
    public SpeechTonePool(IEnumerable<int> voices, IEnumerable<int> sentences, IReadOnlyList<double> frequencies, IReadOnlyList<string> waveforms,
        int sampleRate, double lowestRatioDb = -6, double highestRatioDb = 6)
    {
        SampleRate = sampleRate;
        Frequencies = frequencies;
        Waveforms = waveforms;
        (LowestRatioDb, HighestRatioDb) = (lowestRatioDb, highestRatioDb);
        _speech = voices.SelectMany(v => sentences.Select(s => SpeechToneMixtures.Utterance(v, s, sampleRate))).ToArray();
        foreach (var w in waveforms)
            foreach (var f in frequencies)
                _tones[(w, f)] = SpeechToneMixtures.Tone(w, f, sampleRate);
    }

    /// <summary>Sample rate of the audio.</summary>
    public int SampleRate { get; }

    /// <summary>Tone frequencies drawn from.</summary>
    public IReadOnlyList<double> Frequencies { get; }

    /// <summary>Tone waveforms drawn from.</summary>
    public IReadOnlyList<string> Waveforms { get; }

    /// <summary>Lowest speech-to-interference ratio in dB.</summary>
    public double LowestRatioDb { get; }

    /// <summary>Highest speech-to-interference ratio in dB.</summary>
    public double HighestRatioDb { get; }

    /// <summary>Utterances loaded.</summary>
    public int Utterances => _speech.Length;

    /// <summary>The cached tone of a training waveform and frequency.</summary>
    public float[] Tone(string waveform, double frequency) => _tones[(waveform, frequency)];

    /// <summary>A random interference: one tone, or two (probability ½) of different frequencies.</summary>
    public ToneSpec RandomTones(Random random)
    {
        (string, double) one() => (Waveforms[random.Next(Waveforms.Count)], Frequencies[random.Next(Frequencies.Count)]);
        var first = one();
        if (Frequencies.Count < 2 || random.NextDouble() < 0.5) return new ToneSpec(first);
        var second = one();
        while (second.Item2 == first.Item2) second = one();
        return new ToneSpec(first, second);
    }

    /// <summary>
    /// <paramref name="batch"/> mixtures of <paramref name="length"/> samples: a random excerpt of a random utterance
    /// (zero-padded when shorter), random tones from a random offset, a ratio uniform in dB.
    /// </summary>
    public SeparationBatch Batch(Random random, int batch, int length, Device? device = null)
    {
        var pairs = new (float[], float[])[batch];
        int toneLength = _tones.Values.First().Length;
        for (int b = 0; b < batch; b++)
        {
            var u = _speech[random.Next(_speech.Length)];
            int start = u.Length > length ? random.Next(u.Length - length + 1) : 0;
            var speech = SpeechToneMixtures.Fit(u.AsSpan(start).ToArray(), length);
            double ratio = LowestRatioDb + (HighestRatioDb - LowestRatioDb) * random.NextDouble();
            var spec = RandomTones(random);
            var n = SpeechToneMixtures.Interference(spec, length, random.Next(toneLength - length + 1), ratio, SampleRate, Tone);
            pairs[b] = (speech, n);
        }
        return SpeechToneMixtures.Stack(pairs, device);
    }
}
