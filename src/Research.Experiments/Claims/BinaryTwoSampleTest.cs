using Research.Torch;

namespace Research.Experiments;

/// <summary>The outcome of <see cref="BinaryTwoSampleTest.Run"/>.</summary>
/// <param name="Statistic">max_k |m_a,k − m_b,k| / SE_k over the features that vary in the pooled sample.</param>
/// <param name="PValue">(1 + permutations whose statistic ≥ the observed one) / (1 + permutations).</param>
/// <param name="Features">Features compared (pixels and pixel pairs).</param>
/// <param name="Permutations">Random relabellings of the pooled sample.</param>
public sealed record TwoSampleOutcome(double Statistic, double PValue, int Features, int Permutations);

/// <summary>
/// Are two samples of binary sequences drawn from the same distribution? Each sequence x [T] in {0, 1} becomes the binary
/// features f(x) = (x_t for every t, x_t x_{t+ℓ} for every lag ℓ and t + ℓ &lt; T): the marginals and the joint frequencies
/// of pairs. The statistic is the largest standardised difference of feature means,
/// <code>
///   S = max_k |m_a,k − m_b,k| / SE_k,     SE_k = √(p̄_k (1 − p̄_k) (1/n_a + 1/n_b)),   p̄_k the pooled mean,
/// </code>
/// over the features with 0 &lt; p̄_k &lt; 1, and its p-value comes from random relabellings of the pooled sample (a
/// permutation test: exact in level whatever the features' correlations or rarity, as the normal tail would not be).
/// </summary>
public static class BinaryTwoSampleTest
{
    /// <summary>The binary features of every row of <paramref name="x"/> [n, T] ({0, 1}): T pixels, then T − ℓ pairs per lag.</summary>
    public static byte[][] Features(Tensor x, IReadOnlyList<int> lags)
    {
        if (x.Dim != 2) throw new ArgumentException($"sequences must be [n, T], got [{string.Join(", ", x.Shape)}]", nameof(x));
        int n = (int)x.Size(0), length = (int)x.Size(1);
        if (lags.Any(l => l < 1 || l >= length)) throw new ArgumentOutOfRangeException(nameof(lags), $"lags must lie in 1 … {length - 1}");
        using var cpu = x.Double().Contiguous();
        var values = cpu.ToArray<double>();
        var features = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            var row = new byte[length + lags.Sum(l => length - l)];
            for (int t = 0; t < length; t++) row[t] = values[i * length + t] > 0.5 ? (byte)1 : (byte)0;
            int k = length;
            foreach (var lag in lags)
                for (int t = 0; t + lag < length; t++) row[k++] = (byte)(row[t] & row[t + lag]);
            features[i] = row;
        }
        return features;
    }

    /// <summary>S for the split of <paramref name="pooled"/> into its first <paramref name="firstCount"/> rows and the rest.</summary>
    public static double Statistic(byte[][] pooled, int firstCount) => Statistic(Sums(pooled, Enumerable.Range(0, firstCount)), Totals(pooled), firstCount, pooled.Length - firstCount);

    /// <summary>
    /// Compares <paramref name="a"/> [n_a, T] with <paramref name="b"/> [n_b, T] on the features of <paramref name="lags"/>:
    /// S and its p-value from <paramref name="permutations"/> relabellings (seeded by <paramref name="seed"/>).
    /// </summary>
    public static TwoSampleOutcome Run(Tensor a, Tensor b, IReadOnlyList<int> lags, int permutations, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permutations, 1);
        var pooled = Features(a, lags).Concat(Features(b, lags)).ToArray();
        int na = (int)a.Size(0), nb = (int)b.Size(0);
        if (na < 1 || nb < 1) throw new ArgumentException($"both samples need rows (got {na} and {nb})");
        var totals = Totals(pooled);
        double observed = Statistic(Sums(pooled, Enumerable.Range(0, na)), totals, na, nb);
        var random = new Random(seed);
        var order = Enumerable.Range(0, pooled.Length).ToArray();
        int atLeast = 0;
        for (int p = 0; p < permutations; p++)
        {
            for (int i = 0; i < na; i++)                                                              // a uniform random first n_a (partial Fisher–Yates)
            {
                int j = random.Next(i, order.Length);
                (order[i], order[j]) = (order[j], order[i]);
            }
            if (Statistic(Sums(pooled, order.Take(na)), totals, na, nb) >= observed - 1e-12) atLeast++;
        }
        return new TwoSampleOutcome(observed, (1.0 + atLeast) / (1.0 + permutations), totals.Length, permutations);
    }

    private static long[] Totals(byte[][] pooled) => Sums(pooled, Enumerable.Range(0, pooled.Length));

    private static long[] Sums(byte[][] pooled, IEnumerable<int> rows)
    {
        var sums = new long[pooled[0].Length];
        foreach (var r in rows)
        {
            var row = pooled[r];
            for (int k = 0; k < sums.Length; k++) sums[k] += row[k];
        }
        return sums;
    }

    private static double Statistic(long[] sumsA, long[] totals, int na, int nb)
    {
        double n = na + nb, worst = 0;
        for (int k = 0; k < totals.Length; k++)
        {
            double pooledMean = totals[k] / n;
            if (pooledMean <= 0 || pooledMean >= 1) continue;
            double se = Math.Sqrt(pooledMean * (1 - pooledMean) * (1.0 / na + 1.0 / nb));
            worst = Math.Max(worst, Math.Abs(sumsA[k] / (double)na - (totals[k] - sumsA[k]) / (double)nb) / se);
        }
        return worst;
    }
}
