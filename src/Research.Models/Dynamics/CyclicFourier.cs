using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Dynamics;

/// <summary>
/// Fourier analysis over the cyclic group Z_n of tables indexed by the group element (e.g. the embeddings of a
/// <see cref="GroupWordNetwork"/> trained on a + b mod n). The characters of Z_n are a ↦ e^{2πi k a / n}; frequency k and
/// n − k carry the same real sinusoid, so the power is folded onto k = 0 … ⌊n/2⌋:
/// <code>
///   X_k = Σ_a x_a e^{−2πi k a / n},   P_k = c_k |X_k|²,   c_k = 1 for k = 0 and k = n/2, else 2,   Σ_k P_k = n Σ_a x_a²
/// </code>
/// A unit whose column is one sinusoid cos(2πk a / n + φ) has all its non-constant power at k.
/// </summary>
public static class CyclicFourier
{
    /// <summary>
    /// P_k of every column of <paramref name="table"/> [n, …] along dimension 0 (the group index), float64
    /// [⌊n/2⌋ + 1, …]: row k is the power at frequency k (k and n − k folded together).
    /// </summary>
    public static Tensor Power(Tensor table)
    {
        if (table.Dim < 1 || table.Size(0) < 1) throw new ArgumentException($"expected a table indexed by the group element along dimension 0, got shape [{string.Join(", ", table.Shape)}]", nameof(table));
        if (!table.DType.IsFloatingPoint()) throw new ArgumentException($"expected a floating-point table, got {table.DType}", nameof(table));
        using var scope = NewScope();
        using var noGrad = NoGrad();
        long n = table.Size(0), frequencies = n / 2 + 1;
        var spectrum = Fft.RFFT(table.Detach().Double(), dim: 0);
        var power = spectrum.Abs().Square();
        var fold = new double[frequencies];
        for (long k = 0; k < frequencies; k++) fold[k] = k == 0 || 2 * k == n ? 1 : 2;
        var shape = new long[table.Dim];
        Array.Fill(shape, 1L);
        shape[0] = frequencies;
        return scope.Keep(power * Tensor.From(fold).To(table.Device).View(shape));
    }

    /// <summary>The power of each hidden unit's two input columns, P(E_L) + P(E_R): float64 [⌊n/2⌋ + 1, width].</summary>
    public static Tensor NeuronPower(GroupWordNetwork model)
    {
        using var scope = NewScope();
        return scope.Keep(Power(model.Left) + Power(model.Right));
    }

    /// <summary>
    /// How much of the non-constant power lies in each unit's strongest frequency: Σ_units max_{k≥1} P_k / Σ_units Σ_{k≥1} P_k,
    /// for a power table [⌊n/2⌋ + 1, units]. 1 when every unit is a single sinusoid; for random columns about
    /// (ln m + 0.6)/m with m = ⌊n/2⌋ frequencies (≈ 0.1 for n = 97).
    /// </summary>
    public static double Concentration(Tensor power)
    {
        using var scope = NewScope();
        var nonConstant = NonConstant(power);
        var (strongest, _) = nonConstant.Max(0);
        double total = nonConstant.Sum().Item<double>();
        return total > 0 ? strongest.Sum().Item<double>() / total : 0;
    }

    /// <summary>The strongest non-constant frequency k ≥ 1 of every unit of a power table [⌊n/2⌋ + 1, units].</summary>
    public static long[] DominantFrequencies(Tensor power)
    {
        using var scope = NewScope();
        return (NonConstant(power).ArgMax(0) + 1L).ToArray<long>();
    }

    /// <summary>The share of all non-constant power at each frequency k = 1 … ⌊n/2⌋ (sums to 1), for a power table [⌊n/2⌋ + 1, units].</summary>
    public static double[] FrequencyShares(Tensor power)
    {
        using var scope = NewScope();
        var perFrequency = NonConstant(power).Sum(1);
        return (perFrequency / perFrequency.Sum()).ToArray<double>();
    }

    private static Tensor NonConstant(Tensor power)
    {
        if (power.Dim != 2 || power.Size(0) < 2) throw new ArgumentException($"expected a power table [frequencies ≥ 2, units], got [{string.Join(", ", power.Shape)}]", nameof(power));
        return power.Narrow(0, 1, power.Size(0) - 1).Double();
    }
}
