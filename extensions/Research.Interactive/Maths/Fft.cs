namespace Research.Interactive;

/// <summary>An in-place iterative radix-2 complex FFT, enough for figure-side spectrograms.</summary>
public static class Fft
{
    /// <summary>Transforms (<paramref name="re"/>, <paramref name="im"/>) in place: X[k] = Σ x[n] e^{-2πikn/N}. N must be a power of two.</summary>
    public static void Forward(Span<double> re, Span<double> im)
    {
        int n = re.Length;
        if (im.Length != n) throw new ArgumentException($"re has {n} samples but im has {im.Length}.");
        if (n == 0 || (n & (n - 1)) != 0) throw new ArgumentException($"FFT length must be a power of two, got {n}.");

        // Bit-reversal permutation.
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        // Butterflies of growing length.
        for (int len = 2; len <= n; len <<= 1)
        {
            double angle = -2 * Math.PI / len;
            double wRe = Math.Cos(angle), wIm = Math.Sin(angle);
            for (int start = 0; start < n; start += len)
            {
                double cRe = 1, cIm = 0;
                for (int k = 0; k < len / 2; k++)
                {
                    int a = start + k, b = a + len / 2;
                    double tRe = re[b] * cRe - im[b] * cIm;
                    double tIm = re[b] * cIm + im[b] * cRe;
                    re[b] = re[a] - tRe; im[b] = im[a] - tIm;
                    re[a] += tRe; im[a] += tIm;
                    (cRe, cIm) = (cRe * wRe - cIm * wIm, cRe * wIm + cIm * wRe);
                }
            }
        }
    }

    /// <summary>Whether <paramref name="n"/> is a positive power of two.</summary>
    public static bool IsPowerOfTwo(int n) => n > 0 && (n & (n - 1)) == 0;
}
