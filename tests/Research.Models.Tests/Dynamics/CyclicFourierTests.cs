using Research.Models.Dynamics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Dynamics;

public class CyclicFourierTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void PowerIsTheFoldedDftOfEveryColumn(int n)
    {
        // P_k = c_k |Σ_a x_a e^{−2πi k a / n}|², c_k = 2 except at k = 0 and k = n/2, computed here by a direct loop.
        using var scope = NewScope();
        ManualSeed(4);
        var table = Tensor.RandN([n, 3], DType.Float64);
        var x = table.ToArray2D<double>();
        var power = CyclicFourier.Power(table);
        Assert.Equal(new long[] { n / 2 + 1, 3 }, power.Shape);
        var p = power.ToArray2D<double>();
        for (int col = 0; col < 3; col++)
        {
            double energy = 0;
            for (int a = 0; a < n; a++) energy += x[a, col] * x[a, col];
            double total = 0;
            for (int k = 0; k <= n / 2; k++)
            {
                double re = 0, im = 0;
                for (int a = 0; a < n; a++)
                {
                    re += x[a, col] * Math.Cos(2 * Math.PI * k * a / n);
                    im -= x[a, col] * Math.Sin(2 * Math.PI * k * a / n);
                }
                double fold = k == 0 || 2 * k == n ? 1 : 2;
                Assert.Equal(fold * (re * re + im * im), p[k, col], 10);
                total += p[k, col];
            }
            Assert.Equal(n * energy, total, 10);                                                     // Parseval
        }
    }

    [Fact]
    public void SinusoidsConcentrateAndNoiseDoesNot()
    {
        using var scope = NewScope();
        const int n = 97;
        var waves = new double[n, 4];
        int[] frequencies = [1, 5, 48, 17];
        for (int a = 0; a < n; a++)
            for (int u = 0; u < 4; u++) waves[a, u] = 3 + (u + 1) * Math.Cos(2 * Math.PI * frequencies[u] * a / n + u);   // + a constant offset
        var power = CyclicFourier.Power(Tensor.From(waves));
        Assert.Equal(1.0, CyclicFourier.Concentration(power), 12);
        Assert.Equal(frequencies.Select(k => (long)k), CyclicFourier.DominantFrequencies(power));
        var shares = CyclicFourier.FrequencyShares(power);
        Assert.Equal(n / 2, shares.Length);
        Assert.Equal(1.0, shares.Sum(), 12);
        Assert.Equal(16.0 / 30, shares[17 - 1], 12);                                                 // unit 4 holds 4² of 1² + 2² + 3² + 4²

        ManualSeed(5);
        double noise = CyclicFourier.Concentration(CyclicFourier.Power(Tensor.RandN([n, 256], DType.Float64)));
        Assert.InRange(noise, 0.05, 0.2);                                                            // ≈ (ln 48 + 0.6)/48 ≈ 0.09
    }

    [Fact]
    public void BadTablesAreRejected()
    {
        using var scope = NewScope();
        Assert.Throws<ArgumentException>(() => CyclicFourier.Power(Tensor.From(new long[] { 1, 2, 3 })));
        Assert.Throws<ArgumentException>(() => CyclicFourier.Concentration(Tensor.Zeros(1, 4)));
    }
}
