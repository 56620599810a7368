using System.Globalization;
using Research.Experiments.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// One note of an <see cref="InstrumentNotes"/> set: its synthesis pitch, waveform (a whole number of frames), and the
/// features a synthesiser is conditioned on, both extracted from the audio: F0 of every frame (autocorrelation
/// <see cref="PitchTracker"/>, Hz, 0 = unvoiced) and A-weighted <see cref="Loudness"/> (dB).
/// </summary>
public sealed record InstrumentNote(string Name, double Pitch, float[] Wave, double[] F0, double[] LoudnessDb)
{
    /// <summary>Frames of the note.</summary>
    public int Frames => F0.Length;
}

/// <summary>
/// Notes of a SoX-synthesised instrument: a plucked string (<c>synth pluck</c>, whose upper harmonics decay faster than the
/// lower ones, so the timbre darkens as the note fades) with a tremolo (<c>tremolo 6 40</c>: 6 Hz, 40 % depth).
/// </summary>
public sealed class InstrumentNotes
{
    /// <summary>The SoX effects after the synthesiser.</summary>
    public const string Effects = "tremolo 6 40";

    /// <summary>Builds the notes at <paramref name="pitches"/> Hz, each <paramref name="seconds"/> long, with features every <paramref name="hop"/> samples.</summary>
    public InstrumentNotes(IEnumerable<double> pitches, double seconds, int sampleRate, int hop)
    {
        SampleRate = sampleRate;
        Hop = hop;
        var tracker = new PitchTracker(sampleRate, hop, MinF0: 60, MaxF0: 1000);
        var loudness = new Loudness(sampleRate, hop);
        Notes = pitches.Select(p =>
        {
            var raw = Note(p, seconds, sampleRate);
            var wave = raw.Samples.Take(raw.Samples.Length / hop * hop).ToArray();
            var name = string.Create(CultureInfo.InvariantCulture, $"pluck {p:F1} Hz");
            return new InstrumentNote(name, p, wave, tracker.Track(wave), loudness.Frames(wave));
        }).ToArray();
    }

    /// <summary>Sample rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Samples per frame.</summary>
    public int Hop { get; }

    /// <summary>The notes in the order given.</summary>
    public IReadOnlyList<InstrumentNote> Notes { get; }

    /// <summary>One note of the instrument: <c>sox -n synth SECONDS pluck PITCH tremolo 6 40</c>.</summary>
    public static AudioClip Note(double pitch, double seconds, int sampleRate) =>
        Sox.Synth(string.Create(CultureInfo.InvariantCulture, $"pluck {pitch:F2}"), seconds, sampleRate, Effects);

    /// <summary>
    /// Random crops of <paramref name="frames"/> frames: (F0 [batch, frames], loudness [batch, frames], waveform
    /// [batch, frames·hop]), notes and offsets drawn from <paramref name="random"/>.
    /// </summary>
    public (Tensor F0, Tensor LoudnessDb, Tensor Wave) Crops(Random random, int batch, int frames, Device? device = null)
    {
        var items = Enumerable.Range(0, batch).Select(_ =>
        {
            var n = Notes[random.Next(Notes.Count)];
            if (n.Frames < frames) throw new InvalidOperationException($"note {n.Name} has {n.Frames} frames, fewer than the crop's {frames}");
            return (n, random.Next(n.Frames - frames + 1));
        }).ToArray();
        return Stack(items, frames, device);
    }

    /// <summary>The whole note as a batch of one.</summary>
    public (Tensor F0, Tensor LoudnessDb, Tensor Wave) Whole(InstrumentNote note, Device? device = null) => Stack([(note, 0)], note.Frames, device);

    private (Tensor, Tensor, Tensor) Stack((InstrumentNote Note, int Offset)[] items, int frames, Device? device)
    {
        int n = items.Length;
        var target = device ?? Device.CPU;
        using var scope = NewScope();
        var f0 = Tensor.From(items.SelectMany(i => i.Note.F0.Skip(i.Offset).Take(frames)).Select(v => (float)v).ToArray(), n, frames).To(target);
        var loud = Tensor.From(items.SelectMany(i => i.Note.LoudnessDb.Skip(i.Offset).Take(frames)).Select(v => (float)v).ToArray(), n, frames).To(target);
        var wave = Tensor.From(items.SelectMany(i => i.Note.Wave.Skip(i.Offset * Hop).Take(frames * Hop)).ToArray(), n, frames * Hop).To(target);
        scope.Keep(f0, loud, wave);
        return (f0, loud, wave);
    }
}
