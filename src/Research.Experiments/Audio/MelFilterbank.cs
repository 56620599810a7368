using Research.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// Triangular mel filters as torchaudio's <c>melscale_fbanks</c>: <c>nMels</c> triangles whose corners are
/// equally spaced in mels between <c>fMin</c> and <c>fMax</c>, evaluated at the <c>nFreqs</c> STFT bin
/// frequencies <c>linspace(0, sampleRate/2, nFreqs)</c>. The layout is [nFreqs, nMels], so
/// <c>mel = fbᵀ · power</c> for a power spectrogram shaped [nFreqs, frames].
/// </summary>
public static class MelFilterbank
{
    /// <summary>The filterbank as a [nFreqs, nMels] array.</summary>
    public static double[,] Create(int nFreqs, int nMels, int sampleRate, double fMin = 0, double? fMax = null,
        MelScale scale = MelScale.Htk, MelNorm norm = MelNorm.None)
    {
        if (nFreqs < 2 || nMels < 1) throw new ArgumentOutOfRangeException(nameof(nMels), $"need nFreqs ≥ 2 and nMels ≥ 1, got {nFreqs} and {nMels}");
        double top = fMax ?? sampleRate / 2.0;
        if (fMin < 0 || top <= fMin) throw new ArgumentOutOfRangeException(nameof(fMax), $"need 0 ≤ fMin < fMax, got {fMin} and {top}");
        double mMin = Mel.FromHz(fMin, scale), mMax = Mel.FromHz(top, scale);
        var fPts = new double[nMels + 2];
        for (int i = 0; i < fPts.Length; i++) fPts[i] = Mel.ToHz(mMin + (mMax - mMin) * i / (nMels + 1), scale);
        var fb = new double[nFreqs, nMels];
        for (int k = 0; k < nFreqs; k++)
        {
            double f = (double)(sampleRate / 2) * k / (nFreqs - 1);
            for (int m = 0; m < nMels; m++)
            {
                double down = (f - fPts[m]) / (fPts[m + 1] - fPts[m]);
                double up = (fPts[m + 2] - f) / (fPts[m + 2] - fPts[m + 1]);
                double w = Math.Max(0, Math.Min(down, up));
                if (norm == MelNorm.Slaney) w *= 2 / (fPts[m + 2] - fPts[m]);
                fb[k, m] = w;
            }
        }
        return fb;
    }

    /// <summary>The filterbank as a float32 tensor shaped [nFreqs, nMels].</summary>
    public static Tensor CreateTensor(int nFreqs, int nMels, int sampleRate, double fMin = 0, double? fMax = null,
        MelScale scale = MelScale.Htk, MelNorm norm = MelNorm.None)
    {
        var fb = Create(nFreqs, nMels, sampleRate, fMin, fMax, scale, norm);
        var flat = new float[fb.Length];
        int i = 0;
        foreach (var v in fb) flat[i++] = (float)v;
        return Tensor.From(flat, nFreqs, nMels);
    }
}
