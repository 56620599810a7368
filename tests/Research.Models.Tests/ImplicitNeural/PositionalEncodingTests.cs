using Research.Models.ImplicitNeural;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.ImplicitNeural;

public class PositionalEncodingTests
{
    [Fact]
    public void EncodesEveryCoordinateWithOctavesOfSinesAndCosines()
    {
        // γ(p) = (p, sin(2⁰πp), cos(2⁰πp), …, sin(2^(L−1)πp), cos(2^(L−1)πp)), blocks of d features each.
        using var scope = NewScope();
        using var encoding = new PositionalEncoding(2, frequencies: 3);
        Assert.Equal(2 * 7, encoding.OutFeatures);
        double[] p = [0.3, -0.7];
        var gamma = encoding.Forward(Tensor.From(p, 1, 2)).Reshape(-1).ToArray<double>();
        Assert.Equal(14, gamma.Length);
        for (int d = 0; d < 2; d++)
        {
            Assert.Equal(p[d], gamma[d], 12);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(Math.Sin(Math.PI * (1 << k) * p[d]), gamma[2 + 4 * k + d], 12);
                Assert.Equal(Math.Cos(Math.PI * (1 << k) * p[d]), gamma[4 + 4 * k + d], 12);
            }
        }
    }

    [Fact]
    public void OctavesReachTheGridsNyquistFrequency()
    {
        // a grid of n points on [−1, 1] resolves n/4 cycles per unit; the top octave 2^(L−1)π is 2^(L−2) cycles per unit
        foreach (var n in new[] { 32, 128, 256 })
        {
            int L = PositionalEncoding.OctavesFor(n);
            Assert.True(Math.Pow(2, L - 2) >= n / 4.0);
            Assert.True(Math.Pow(2, L - 3) < n / 4.0);
        }
        Assert.Equal(7, PositionalEncoding.OctavesFor(128));
    }
}
