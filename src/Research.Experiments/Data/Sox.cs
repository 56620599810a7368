using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Research.Experiments.Audio;

namespace Research.Experiments.Data;

/// <summary>
/// Signals and effects from SoX (Debian package <c>sox</c>), cached under <see cref="DataCache"/> by their arguments.
/// Output is mono 16-bit PCM at the requested rate.
/// </summary>
public static class Sox
{
    /// <summary>
    /// Runs <c>sox -n out.wav synth SECONDS ARGS</c>, e.g. <c>Synth("pluck C4", 1)</c>, <c>Synth("pinknoise", 2)</c>,
    /// <c>Synth("sine 300-3000", 1)</c> (a sweep).
    /// </summary>
    public static AudioClip Synth(string synthArgs, double seconds, int sampleRate = 16000, string effects = "")
    {
        var args = string.Create(CultureInfo.InvariantCulture, $"-n -r {sampleRate} -c 1 -b 16 {{out}} synth {seconds} {synthArgs} {effects}");
        var wav = DataCache.GetOrCreate("sox", args, "wav", temp => Run(args.Replace("{out}", Quote(temp))));
        return WavFile.Read(wav);
    }

    /// <summary>Applies SoX effects to a clip, e.g. <c>Apply(clip, "reverb 50")</c> or <c>Apply(clip, "lowpass 2000")</c>.</summary>
    public static AudioClip Apply(AudioClip clip, string effects)
    {
        var input = WavFile.ToBytes(clip, WavEncoding.Float32);
        var key = $"{Convert.ToHexString(SHA256.HashData(input))}|{effects}";
        var wav = DataCache.GetOrCreate("sox", key, "wav", temp =>
        {
            var inPath = temp + ".in.wav";
            File.WriteAllBytes(inPath, input);
            try { Run($"{Quote(inPath)} -b 16 {Quote(temp)} {effects}"); }
            finally { File.Delete(inPath); }
        });
        return WavFile.Read(wav);
    }

    private static string Quote(string path) => $"\"{path}\"";

    private static void Run(string arguments)
    {
        var exe = DebianData.RequireProgram("sox", "sox");
        var psi = new ProcessStartInfo(exe, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start sox");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"sox {arguments} failed (exit {p.ExitCode}): {err.Trim()}");
    }
}
