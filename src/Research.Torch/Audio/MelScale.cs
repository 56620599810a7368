namespace Research.Torch.Audio;

/// <summary>Which Hz↔mel formula to use.</summary>
public enum MelScale
{
    /// <summary>HTK: mel = 2595·log10(1 + f/700) (torchaudio's default).</summary>
    Htk,
    /// <summary>Slaney (Auditory Toolbox, librosa's default): linear below 1 kHz, logarithmic above.</summary>
    Slaney,
}

/// <summary>How to normalise the triangular filters.</summary>
public enum MelNorm
{
    /// <summary>Each triangle peaks at 1 (torchaudio's default).</summary>
    None,
    /// <summary>Each triangle has unit area in Hz: divided by half its bandwidth (librosa's default).</summary>
    Slaney,
}

/// <summary>Conversions between Hz and mels.</summary>
public static class Mel
{
    private const double FSp = 200.0 / 3, MinLogHz = 1000, MinLogMel = MinLogHz / FSp;
    private static readonly double LogStep = Math.Log(6.4) / 27;

    /// <summary>Hz to mels.</summary>
    public static double FromHz(double hz, MelScale scale = MelScale.Htk) => scale switch
    {
        MelScale.Htk => 2595 * Math.Log10(1 + hz / 700),
        _ => hz < MinLogHz ? hz / FSp : MinLogMel + Math.Log(hz / MinLogHz) / LogStep,
    };

    /// <summary>Mels to Hz.</summary>
    public static double ToHz(double mel, MelScale scale = MelScale.Htk) => scale switch
    {
        MelScale.Htk => 700 * (Math.Pow(10, mel / 2595) - 1),
        _ => mel < MinLogMel ? mel * FSp : MinLogHz * Math.Exp(LogStep * (mel - MinLogMel)),
    };
}
