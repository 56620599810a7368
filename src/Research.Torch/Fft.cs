namespace Research.Torch;

/// <summary>torch.fft and short-time Fourier transforms.</summary>
public static class Fft
{
    private static readonly Op s_fft = new("fft_fft"), s_ifft = new("fft_ifft"), s_rfft = new("fft_rfft"), s_irfft = new("fft_irfft"),
        s_fft2 = new("fft_fft2"), s_ifft2 = new("fft_ifft2"), s_rfft2 = new("fft_rfft2"), s_irfft2 = new("fft_irfft2"),
        s_rfftn = new("fft_rfftn"), s_irfftn = new("fft_irfftn"), s_fftshift = new("fft_fftshift"),
        s_rfftfreq = new("fft_rfftfreq"), s_fftfreq = new("fft_fftfreq"), s_stft = new("stft"), s_istft = new("istft"),
        s_hann = new("hann_window", "periodic"), s_hamming = new("hamming_window", "periodic");

    /// <summary>Discrete Fourier transform along <paramref name="dim"/>.</summary>
    public static Tensor FFT(Tensor x, long? n = null, long dim = -1, string? norm = null) => s_fft.Call(x, OpArg.Of(n), dim, norm);

    /// <summary>Inverse DFT along <paramref name="dim"/>.</summary>
    public static Tensor IFFT(Tensor x, long? n = null, long dim = -1, string? norm = null) => s_ifft.Call(x, OpArg.Of(n), dim, norm);

    /// <summary>DFT of a real signal: the n/2+1 non-negative frequencies.</summary>
    public static Tensor RFFT(Tensor x, long? n = null, long dim = -1, string? norm = null) => s_rfft.Call(x, OpArg.Of(n), dim, norm);

    /// <summary>Inverse of <see cref="RFFT"/>: a real signal of length n (default 2·(m−1)).</summary>
    public static Tensor IRFFT(Tensor x, long? n = null, long dim = -1, string? norm = null) => s_irfft.Call(x, OpArg.Of(n), dim, norm);

    /// <summary>2-D DFT over the last two dimensions.</summary>
    public static Tensor FFT2(Tensor x, string? norm = null) => s_fft2.Call(x, OpArg.None, new long[] { -2, -1 }, norm);

    /// <summary>Inverse 2-D DFT.</summary>
    public static Tensor IFFT2(Tensor x, string? norm = null) => s_ifft2.Call(x, OpArg.None, new long[] { -2, -1 }, norm);

    /// <summary>2-D DFT of a real signal.</summary>
    public static Tensor RFFT2(Tensor x, string? norm = null) => s_rfft2.Call(x, OpArg.None, new long[] { -2, -1 }, norm);

    /// <summary>Inverse of <see cref="RFFT2"/> with output sizes <paramref name="s"/>.</summary>
    public static Tensor IRFFT2(Tensor x, long[]? s = null, string? norm = null) => s_irfft2.Call(x, s, new long[] { -2, -1 }, norm);

    /// <summary>N-D DFT of a real signal over <paramref name="dims"/>.</summary>
    public static Tensor RFFTN(Tensor x, long[] dims, string? norm = null) => s_rfftn.Call(x, OpArg.None, dims, norm);

    /// <summary>Inverse of <see cref="RFFTN"/>.</summary>
    public static Tensor IRFFTN(Tensor x, long[] s, long[] dims, string? norm = null) => s_irfftn.Call(x, s, dims, norm);

    /// <summary>Moves the zero frequency to the centre.</summary>
    public static Tensor FFTShift(Tensor x, long[]? dims = null) => s_fftshift.Call(x, dims);

    /// <summary>Frequencies of <see cref="RFFT"/> bins for a signal of length n with sample spacing d.</summary>
    public static Tensor RFFTFreq(long n, double d = 1.0) => s_rfftfreq.Call(n, d, OpArg.None, OpArg.None, OpArg.None, OpArg.None);

    /// <summary>Frequencies of <see cref="FFT"/> bins.</summary>
    public static Tensor FFTFreq(long n, double d = 1.0) => s_fftfreq.Call(n, d, OpArg.None, OpArg.None, OpArg.None, OpArg.None);

    /// <summary>A periodic Hann window.</summary>
    public static Tensor HannWindow(long length, bool periodic = true, DType? dtype = null) =>
        s_hann.Call(length, periodic, OpArg.Of(dtype), OpArg.None, OpArg.None, OpArg.None);

    /// <summary>A periodic Hamming window.</summary>
    public static Tensor HammingWindow(long length, bool periodic = true, DType? dtype = null) =>
        s_hamming.Call(length, periodic, OpArg.Of(dtype), OpArg.None, OpArg.None, OpArg.None);

    /// <summary>
    /// Short-time Fourier transform as torch.stft with return_complex=True: [batch?, freq, frames].
    /// With <paramref name="center"/>, the signal is padded by n_fft/2 on both sides (<paramref name="padMode"/>) first, as PyTorch does.
    /// </summary>
    public static Tensor Stft(Tensor x, long nFft, long? hopLength = null, long? winLength = null, Tensor? window = null,
        bool center = true, string padMode = "reflect", bool normalized = false, bool? onesided = null)
    {
        if (!center) return s_stft.Call(x, nFft, OpArg.Of(hopLength), OpArg.Of(winLength), window, normalized, OpArg.Of(onesided), true);
        int dim = x.Dim;
        if (dim is < 1 or > 2) throw new ArgumentException($"stft expects a 1-D or 2-D signal, got {dim}-D", nameof(x));
        long pad = nFft / 2;
        // Reflect padding works on [batch, channel, time]: lift to 3-D, pad, and drop back.
        using var lifted = x.View(dim == 1 ? new long[] { 1, 1, -1 } : new long[] { 1, x.Size(0), -1 });
        using var padded3 = lifted.Pad(new[] { pad, pad }, padMode);
        using var padded = dim == 1 ? padded3.View(-1) : padded3.Squeeze(0);
        return s_stft.Call(padded, nFft, OpArg.Of(hopLength), OpArg.Of(winLength), window, normalized, OpArg.Of(onesided), true);
    }

    /// <summary>Inverse short-time Fourier transform (torch.istft) of a complex spectrogram.</summary>
    public static Tensor Istft(Tensor spec, long nFft, long? hopLength = null, long? winLength = null, Tensor? window = null,
        bool center = true, bool normalized = false, bool? onesided = null, long? length = null) =>
        s_istft.Call(spec, nFft, OpArg.Of(hopLength), OpArg.Of(winLength), window, center, normalized, OpArg.Of(onesided), OpArg.Of(length), false);
}
