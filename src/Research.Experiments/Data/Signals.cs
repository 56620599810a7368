using Research.Experiments.Audio;

namespace Research.Experiments.Data;

/// <summary>Test signals generated in C#: tones, chords, chirps, noise and synthetic reverb. All mono, deterministic.</summary>
public static class Signals
{
    /// <summary>A sine at <paramref name="frequency"/> Hz.</summary>
    public static AudioClip Tone(double frequency, double seconds, int sampleRate = 16000, double amplitude = 0.5, double phase = 0)
    {
        var x = new float[Frames(seconds, sampleRate)];
        for (int n = 0; n < x.Length; n++) x[n] = (float)(amplitude * Math.Sin(2 * Math.PI * frequency * n / sampleRate + phase));
        return new AudioClip(x, sampleRate);
    }

    /// <summary>The sum of sines at <paramref name="frequencies"/>, scaled so the peak stays below <paramref name="amplitude"/>.</summary>
    public static AudioClip Chord(double[] frequencies, double seconds, int sampleRate = 16000, double amplitude = 0.5)
    {
        var x = new float[Frames(seconds, sampleRate)];
        foreach (var f in frequencies)
            for (int n = 0; n < x.Length; n++) x[n] += (float)(amplitude / frequencies.Length * Math.Sin(2 * Math.PI * f * n / sampleRate));
        return new AudioClip(x, sampleRate);
    }

    /// <summary>The frequencies of a major triad (root, major third, fifth) in equal temperament.</summary>
    public static double[] MajorTriad(double root) => [root, root * Math.Pow(2, 4 / 12.0), root * Math.Pow(2, 7 / 12.0)];

    /// <summary>A sweep from <paramref name="f0"/> to <paramref name="f1"/> Hz, linear or exponential in frequency.</summary>
    public static AudioClip Chirp(double f0, double f1, double seconds, int sampleRate = 16000, bool exponential = false, double amplitude = 0.5)
    {
        var x = new float[Frames(seconds, sampleRate)];
        for (int n = 0; n < x.Length; n++)
        {
            double t = (double)n / sampleRate;
            double phase = exponential
                ? 2 * Math.PI * f0 * seconds / Math.Log(f1 / f0) * (Math.Pow(f1 / f0, t / seconds) - 1)
                : 2 * Math.PI * (f0 * t + (f1 - f0) * t * t / (2 * seconds));
            x[n] = (float)(amplitude * Math.Sin(phase));
        }
        return new AudioClip(x, sampleRate);
    }

    /// <summary>Gaussian white noise with standard deviation <paramref name="amplitude"/>.</summary>
    public static AudioClip WhiteNoise(double seconds, int sampleRate = 16000, double amplitude = 0.1, int seed = 0)
    {
        var rng = new Random(seed);
        var x = new float[Frames(seconds, sampleRate)];
        for (int n = 0; n < x.Length; n++) x[n] = (float)(amplitude * Gaussian(rng));
        return new AudioClip(x, sampleRate);
    }

    /// <summary>Pink (1/f) noise from white noise through Paul Kellet's filter, normalised to RMS <paramref name="amplitude"/>.</summary>
    public static AudioClip PinkNoise(double seconds, int sampleRate = 16000, double amplitude = 0.1, int seed = 0)
    {
        var rng = new Random(seed);
        var x = new float[Frames(seconds, sampleRate)];
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, sum = 0;
        for (int n = 0; n < x.Length; n++)
        {
            double w = Gaussian(rng);
            b0 = 0.99886 * b0 + w * 0.0555179; b1 = 0.99332 * b1 + w * 0.0750759; b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856; b4 = 0.55000 * b4 + w * 0.5329522; b5 = -0.7616 * b5 - w * 0.0168980;
            double v = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
            b6 = w * 0.115926;
            x[n] = (float)v;
            sum += v * v;
        }
        double scale = x.Length == 0 ? 0 : amplitude / Math.Sqrt(sum / x.Length);
        for (int n = 0; n < x.Length; n++) x[n] = (float)(x[n] * scale);
        return new AudioClip(x, sampleRate);
    }

    /// <summary>
    /// A synthetic room impulse response: a unit direct path followed by exponentially decaying Gaussian noise
    /// that falls by 60 dB after <paramref name="rt60"/> seconds.
    /// </summary>
    public static float[] RoomImpulseResponse(double rt60, int sampleRate = 16000, int seed = 0)
    {
        var rng = new Random(seed);
        var h = new float[Math.Max(1, (int)(rt60 * sampleRate))];
        double decay = Math.Log(1000) / (rt60 * sampleRate);
        h[0] = 1;
        for (int n = 1; n < h.Length; n++) h[n] = (float)(0.1 * Gaussian(rng) * Math.Exp(-decay * n));
        return h;
    }

    /// <summary>The clip convolved with a <see cref="RoomImpulseResponse"/>, mixed <paramref name="wet"/> : (1 − wet), with the same length.</summary>
    public static AudioClip Reverb(AudioClip clip, double rt60 = 0.3, double wet = 0.5, int seed = 0)
    {
        var dry = clip.Mono().Samples;
        var h = RoomImpulseResponse(rt60, clip.SampleRate, seed);
        var y = new float[dry.Length];
        for (int n = 0; n < dry.Length; n++)
        {
            double acc = 0;
            int kMax = Math.Min(h.Length - 1, n);
            for (int k = 0; k <= kMax; k++) acc += h[k] * dry[n - k];
            y[n] = (float)((1 - wet) * dry[n] + wet * acc);
        }
        return new AudioClip(y, clip.SampleRate);
    }

    private static int Frames(double seconds, int sampleRate)
    {
        if (seconds < 0 || sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(seconds), $"need seconds ≥ 0 and a positive rate, got {seconds} s at {sampleRate} Hz");
        return (int)Math.Round(seconds * sampleRate);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
