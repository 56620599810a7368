using System.Globalization;
using Research.Experiments.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// One utterance for a vocoder: the waveform (a whole number of frames), its log-mel bands (power 1, natural log) and the
/// tracked F0 of every frame (Hz, 0 = unvoiced).
/// </summary>
public sealed record VocoderUtterance(string Name, float[] Wave, float[][] LogMel, double[] F0)
{
    /// <summary>Frames of the utterance.</summary>
    public int Frames => F0.Length;
}

/// <summary>
/// Vocoder training material from espeak-ng sentences (<see cref="SpeechToneMixtures.Sentences"/>, scaled to one RMS): per
/// utterance the log-mel spectrogram (<see cref="LogMelSpectrogram"/>, periodic Hann window of <c>nFft</c>, hop <c>hop</c>,
/// power 1, floor 1e-5) and the F0 of an autocorrelation <see cref="PitchTracker"/> with the same hop. Frame f of both
/// describes samples f·hop … (f+1)·hop − 1 (the mel frame is centred on f·hop, the pitch window on f·hop + hop/2).
/// espeak-ng's pauses are digital silence, whose log-magnitude any generated noise would miss by orders of magnitude; a
/// seeded Gaussian noise floor of std <see cref="Dither"/> (38 dB below the speech's RMS) is added, as a microphone would.
/// </summary>
public sealed class VocoderCorpus
{
    /// <summary>Standard deviation of the noise floor added to every utterance (speech RMS is <see cref="SpeechToneMixtures.SpeechRms"/>).</summary>
    public const double Dither = 1e-3;

    /// <summary>Builds the features of <paramref name="utterances"/> (voice index, sentence index).</summary>
    public VocoderCorpus(IEnumerable<(int Voice, int Sentence)> utterances, int sampleRate, int hop, int nFft, int melBands)
    {
        SampleRate = sampleRate;
        Hop = hop;
        NFft = nFft;
        MelBands = melBands;
        var tracker = new PitchTracker(sampleRate, hop);
        using var mel = new LogMelSpectrogram(sampleRate, nFft, hop, melBands, power: 1, floor: 1e-5);
        Utterances = utterances.Select(u =>
        {
            var raw = SpeechToneMixtures.Utterance(u.Voice, u.Sentence, sampleRate);
            var noise = new Random(1000 * u.Voice + u.Sentence);
            var wave = raw.Take(raw.Length / hop * hop).Select(v => (float)(v + Dither * Gaussian(noise))).ToArray();
            var name = string.Create(CultureInfo.InvariantCulture, $"{Speech.Voices[u.Voice]}: \"{SpeechToneMixtures.Sentences[u.Sentence]}\"");
            return new VocoderUtterance(name, wave, LogMel(mel, wave), tracker.Track(wave));
        }).ToArray();
    }

    /// <summary>Sample rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Samples per frame.</summary>
    public int Hop { get; }

    /// <summary>FFT size of the mel analysis.</summary>
    public int NFft { get; }

    /// <summary>Mel bands.</summary>
    public int MelBands { get; }

    /// <summary>The utterances in the order given.</summary>
    public IReadOnlyList<VocoderUtterance> Utterances { get; }

    /// <summary>Mean and standard deviation of every log-mel value of the corpus (to standardise the network's input).</summary>
    public (double Mean, double Std) LogMelStatistics()
    {
        var values = Utterances.SelectMany(u => u.LogMel.SelectMany(band => band)).Select(v => (double)v).ToArray();
        double mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length));
    }

    /// <summary>
    /// Random crops of <paramref name="frames"/> frames: (log-mel [batch, M, frames], F0 [batch, frames], waveform
    /// [batch, frames·hop]), utterances and offsets drawn from <paramref name="random"/>.
    /// </summary>
    public (Tensor LogMel, Tensor F0, Tensor Wave) Crops(Random random, int batch, int frames, Device? device = null)
    {
        var items = Enumerable.Range(0, batch).Select(_ =>
        {
            var u = Utterances[random.Next(Utterances.Count)];
            if (u.Frames < frames) throw new InvalidOperationException($"utterance {u.Name} has {u.Frames} frames, fewer than the crop's {frames}");
            return (u, random.Next(u.Frames - frames + 1));
        }).ToArray();
        return Stack(items.Select(i => Slice(i.u, i.Item2, frames)).ToArray(), device);
    }

    /// <summary>The whole utterance as a batch of one: (log-mel [1, M, F], F0 [1, F], waveform [1, F·hop]).</summary>
    public (Tensor LogMel, Tensor F0, Tensor Wave) Whole(VocoderUtterance u, Device? device = null) => Stack([Slice(u, 0, u.Frames)], device);

    private (float[] Mel, float[] F0, float[] Wave) Slice(VocoderUtterance u, int offset, int frames)
    {
        var mel = new float[MelBands * frames];
        for (int b = 0; b < MelBands; b++) Array.Copy(u.LogMel[b], offset, mel, b * frames, frames);
        return (mel, u.F0.Skip(offset).Take(frames).Select(v => (float)v).ToArray(), u.Wave.AsSpan(offset * Hop, frames * Hop).ToArray());
    }

    private (Tensor, Tensor, Tensor) Stack((float[] Mel, float[] F0, float[] Wave)[] items, Device? device)
    {
        int n = items.Length, frames = items[0].F0.Length;
        var target = device ?? Device.CPU;
        using var scope = NewScope();
        var mel = Tensor.From(items.SelectMany(i => i.Mel).ToArray(), n, MelBands, frames).To(target);
        var f0 = Tensor.From(items.SelectMany(i => i.F0).ToArray(), n, frames).To(target);
        var wave = Tensor.From(items.SelectMany(i => i.Wave).ToArray(), n, frames * Hop).To(target);
        scope.Keep(mel, f0, wave);
        return (mel, f0, wave);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float[][] LogMel(LogMelSpectrogram transform, float[] wave)
    {
        using var scope = NewScope();
        var frames = wave.Length / transform.HopLength;
        var mel = transform.Forward(Tensor.From(wave)).Narrow(1, 0, frames).Contiguous();            // [M, frames]
        return Enumerable.Range(0, transform.NMels).Select(b => mel.Select(0, b).ToArray<float>()).ToArray();
    }
}
