namespace Research.Torch.Audio;

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
        if (nFreqs < 2) throw new ArgumentOutOfRangeException(nameof(nFreqs), nFreqs, "need at least two frequency bins");
        var fPts = BandEdges(nMels, sampleRate, fMin, fMax, scale);
        var fb = new double[nFreqs, nMels];
        for (int k = 0; k < nFreqs; k++)
        {
            double f = sampleRate / 2.0 * k / (nFreqs - 1);
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

    /// <summary>
    /// The nMels + 2 triangle corners in Hz, equally spaced in mels over [fMin, fMax] (default: Nyquist);
    /// band m rises from corner m, peaks at corner m + 1 (its centre) and falls to corner m + 2.
    /// </summary>
    public static double[] BandEdges(int nMels, int sampleRate, double fMin = 0, double? fMax = null, MelScale scale = MelScale.Htk)
    {
        if (nMels < 1) throw new ArgumentOutOfRangeException(nameof(nMels), nMels, "need at least one mel band");
        double top = fMax ?? sampleRate / 2.0;
        if (fMin < 0 || top <= fMin) throw new ArgumentOutOfRangeException(nameof(fMax), $"need 0 ≤ fMin < fMax, got {fMin} and {top}");
        double mMin = Mel.FromHz(fMin, scale), mMax = Mel.FromHz(top, scale);
        var edges = new double[nMels + 2];
        for (int i = 0; i < edges.Length; i++) edges[i] = Mel.ToHz(mMin + (mMax - mMin) * i / (nMels + 1), scale);
        return edges;
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
