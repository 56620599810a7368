using System.Diagnostics;
using System.Globalization;
using Research.Experiments.Audio;

namespace Research.Experiments.Data;

/// <summary>
/// Speech synthesised offline by espeak-ng (Debian package <c>espeak-ng</c>), cached on disk under
/// <see cref="DataCache"/> by text, voice, speed, pitch and sample rate. espeak-ng speaks at 22 050 Hz;
/// other rates are produced with <see cref="Resampler"/>.
/// </summary>
public static class Speech
{
    /// <summary>espeak-ng's native sample rate.</summary>
    public const int NativeSampleRate = 22050;

    /// <summary>A few distinct English voices (variants give male/female "speakers").</summary>
    public static readonly IReadOnlyList<string> Voices = ["en", "en+f3", "en+m3", "en-us", "en+f2", "en-us+m5", "en+f4", "en-gb-scotland"];

    /// <summary>The digit words in label order.</summary>
    public static readonly IReadOnlyList<string> DigitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>Sustained vowels as espeak-ng phoneme input, with their labels.</summary>
    public static readonly IReadOnlyList<(string Label, string Phonemes)> VowelPhonemes =
        [("a", "[[a:]]"), ("e", "[[e:]]"), ("i", "[[i:]]"), ("o", "[[o:]]"), ("u", "[[u:]]")];

    /// <summary>Speaks <paramref name="text"/> (plain text, or phonemes inside [[ ]]) and returns mono audio.</summary>
    /// <param name="text">What to say.</param>
    /// <param name="voice">espeak-ng voice, optionally with a variant: "en", "en+f3", "en-us+m5".</param>
    /// <param name="wordsPerMinute">Speaking rate (espeak-ng -s, 80..450).</param>
    /// <param name="pitch">Pitch (espeak-ng -p, 0..99).</param>
    /// <param name="sampleRate">Output rate; resampled from 22 050 Hz when different.</param>
    public static AudioClip Say(string text, string voice = "en", int wordsPerMinute = 150, int pitch = 50, int sampleRate = NativeSampleRate)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"espeak-ng|{voice}|{wordsPerMinute}|{pitch}|{text}");
        var wav = DataCache.GetOrCreate("espeak", key, "wav", temp => Run(text, voice, wordsPerMinute, pitch, temp));
        var clip = WavFile.Read(wav).Mono();
        return sampleRate == clip.SampleRate ? clip : Resampler.Resample(clip, sampleRate);
    }

    /// <summary>The words "zero".."nine" in each voice and speed; labels 0..9.</summary>
    public static List<LabeledClip> SpokenDigits(IEnumerable<string>? voices = null, IEnumerable<int>? speeds = null, int sampleRate = 16000)
    {
        var result = new List<LabeledClip>();
        foreach (var v in voices ?? Voices)
            foreach (var s in speeds ?? [150])
                for (int d = 0; d < DigitWords.Count; d++)
                    result.Add(new LabeledClip(Say(DigitWords[d], v, s, sampleRate: sampleRate), d.ToString(CultureInfo.InvariantCulture), d, v));
        return result;
    }

    /// <summary>Sustained vowels a, e, i, o, u in each voice and pitch; labels 0..4.</summary>
    public static List<LabeledClip> Vowels(IEnumerable<string>? voices = null, IEnumerable<int>? pitches = null, int sampleRate = 16000)
    {
        var result = new List<LabeledClip>();
        foreach (var v in voices ?? Voices)
            foreach (var p in pitches ?? [50])
                for (int k = 0; k < VowelPhonemes.Count; k++)
                    result.Add(new LabeledClip(Say(VowelPhonemes[k].Phonemes, v, 120, p, sampleRate), VowelPhonemes[k].Label, k, v));
        return result;
    }

    private static void Run(string text, string voice, int wpm, int pitch, string output)
    {
        var exe = DebianData.RequireProgram("espeak-ng", "espeak-ng");
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-w", output, "-v", voice, "-s", wpm.ToString(CultureInfo.InvariantCulture), "-p", pitch.ToString(CultureInfo.InvariantCulture), "--", text })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start espeak-ng");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(output))
            throw new InvalidOperationException($"espeak-ng failed (exit {p.ExitCode}) for voice '{voice}': {err.Trim()}");
    }
}
