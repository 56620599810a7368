using Research.Torch;

namespace Research.Experiments.Audio;

/// <summary>
/// μ-law companding and quantisation as in WaveNet (and torchaudio's mu_law_encoding/decoding):
/// f(x) = sign(x)·ln(1 + μ|x|)/ln(1 + μ), quantised to <c>μ + 1</c> levels (256 for 8-bit, μ = 255).
/// </summary>
public static class MuLaw
{
    /// <summary>Encodes samples in [-1, 1] to integers 0..μ.</summary>
    public static int[] Encode(ReadOnlySpan<float> x, int mu = 255)
    {
        var q = new int[x.Length];
        double logMu = Math.Log(1 + mu);
        for (int i = 0; i < x.Length; i++)
        {
            double v = Math.Clamp(x[i], -1f, 1f);
            double f = Math.Sign(v) * Math.Log(1 + mu * Math.Abs(v)) / logMu;
            q[i] = (int)((f + 1) / 2 * mu + 0.5);
        }
        return q;
    }

    /// <summary>Decodes integers 0..μ back to samples in [-1, 1].</summary>
    public static float[] Decode(ReadOnlySpan<int> q, int mu = 255)
    {
        var x = new float[q.Length];
        for (int i = 0; i < q.Length; i++)
        {
            double f = (double)q[i] / mu * 2 - 1;
            x[i] = (float)(Math.Sign(f) * (Math.Pow(1 + mu, Math.Abs(f)) - 1) / mu);
        }
        return x;
    }

    /// <summary>Encodes a float tensor in [-1, 1] to an int64 tensor of the same shape with values 0..μ.</summary>
    public static Tensor Encode(Tensor x, int mu = 255)
    {
        using var scope = Research.Torch.Torch.NewScope();
        var c = x.Clamp(-1.0, 1.0);
        var f = c.Sign() * (c.Abs() * mu).Log1p() / Math.Log(1 + mu);
        return scope.Keep(((f + 1) / 2 * mu + 0.5).Floor().Long());
    }

    /// <summary>Decodes an integer tensor with values 0..μ to floats in [-1, 1].</summary>
    public static Tensor Decode(Tensor q, int mu = 255)
    {
        using var scope = Research.Torch.Torch.NewScope();
        var f = q.Double() / mu * 2 - 1;
        return scope.Keep((f.Sign() * (f.Abs() * Math.Log(1 + mu)).Expm1() / mu).Float());
    }
}
