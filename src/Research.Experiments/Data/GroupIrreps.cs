using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Data;

/// <summary>
/// One real irreducible representation ρ of a finite group G, given by the kernel of its isotypic projector in the regular
/// representation: P_ρ[a, b] = Kernel[a ∘ b⁻¹], with Kernel[g] = d_ρ χ_ρ(g) / |G| for an irrep of real type (character
/// χ_ρ, dimension d_ρ). A real irrep that pairs two complex ones (the frequency ±k of Z_n) has Kernel[g] = 2 cos(2πkg/n) / n.
/// The functions on G (e.g. an embedding column E[·, unit]) split orthogonally into these components (Peter–Weyl).
/// </summary>
/// <param name="Name">E.g. "trivial", "sign", "standard", "k = 3".</param>
/// <param name="Dimension">Real dimension of the representation.</param>
/// <param name="Kernel">Kernel[g] for every element g of G.</param>
public sealed record GroupIrrep(string Name, int Dimension, double[] Kernel)
{
    /// <summary>The isotypic projector P[a, b] = Kernel[a ∘ b⁻¹] on functions on <paramref name="group"/> ([|G|, |G|]).</summary>
    public double[,] Projector(GroupTable group)
    {
        int n = group.Order;
        if (Kernel.Length != n) throw new ArgumentException($"{Name}: kernel has {Kernel.Length} values for a group of order {n}");
        var p = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) p[a, b] = Kernel[group.Multiply(a, group.Inverse(b))];
        return p;
    }
}

/// <summary>The real irreducible representations of the groups the grokking experiment learns: Z_n and S_3, S_4.</summary>
public static class GroupIrreps
{
    /// <summary>
    /// Z_n (<see cref="GroupTables.CyclicAddition"/>): the trivial irrep, one 2-dimensional real irrep per frequency
    /// k = 1 … ⌈n/2⌉ − 1 (k and n − k together) and, for even n, the sign-like k = n/2.
    /// </summary>
    public static GroupIrrep[] Cyclic(int n)
    {
        var irreps = new List<GroupIrrep>();
        for (int k = 0; 2 * k <= n; k++)
        {
            bool single = k == 0 || 2 * k == n;
            var kernel = Enumerable.Range(0, n).Select(g => (single ? 1 : 2) * Math.Cos(2 * Math.PI * k * g / n) / n).ToArray();
            irreps.Add(new GroupIrrep(k == 0 ? "trivial" : $"k = {k}", single ? 1 : 2, kernel));
        }
        return [.. irreps];
    }

    /// <summary>
    /// S_3 or S_4 (<see cref="GroupTables.Symmetric"/>), from the character table by cycle type: trivial, sign, the
    /// standard representation (n − 1 dimensions) and its product with the sign, and for S_4 the 2-dimensional irrep.
    /// </summary>
    public static GroupIrrep[] Symmetric(int n)
    {
        // Characters by cycle type (parts sorted descending, joined): e.g. "2,1,1" = a transposition in S_4.
        var table = n switch
        {
            3 => new (string, int, Dictionary<string, int>)[]
            {
                ("trivial", 1, new() { ["1,1,1"] = 1, ["2,1"] = 1, ["3"] = 1 }),
                ("sign", 1, new() { ["1,1,1"] = 1, ["2,1"] = -1, ["3"] = 1 }),
                ("standard", 2, new() { ["1,1,1"] = 2, ["2,1"] = 0, ["3"] = -1 }),
            },
            4 => new (string, int, Dictionary<string, int>)[]
            {
                ("trivial", 1, new() { ["1,1,1,1"] = 1, ["2,1,1"] = 1, ["2,2"] = 1, ["3,1"] = 1, ["4"] = 1 }),
                ("sign", 1, new() { ["1,1,1,1"] = 1, ["2,1,1"] = -1, ["2,2"] = 1, ["3,1"] = 1, ["4"] = -1 }),
                ("2-dim", 2, new() { ["1,1,1,1"] = 2, ["2,1,1"] = 0, ["2,2"] = 2, ["3,1"] = -1, ["4"] = 0 }),
                ("standard", 3, new() { ["1,1,1,1"] = 3, ["2,1,1"] = 1, ["2,2"] = -1, ["3,1"] = 0, ["4"] = -1 }),
                ("standard ⊗ sign", 3, new() { ["1,1,1,1"] = 3, ["2,1,1"] = -1, ["2,2"] = -1, ["3,1"] = 0, ["4"] = 1 }),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(n), n, "irreps are tabulated for S_3 and S_4"),
        };
        int order = n == 3 ? 6 : 24;
        var types = Enumerable.Range(0, order).Select(i => CycleType(GroupTables.Permutation(n, i))).ToArray();
        return [.. table.Select(t => new GroupIrrep(t.Item1, t.Item2, types.Select(c => (double)t.Item2 * t.Item3[c] / order).ToArray()))];
    }

    /// <summary>
    /// The energy of every unit's embedding columns in every irrep: ‖P_ρ E_L[·, u]‖² + ‖P_ρ E_R[·, u]‖², float64
    /// [irreps, units], for embeddings <paramref name="left"/> and <paramref name="right"/> [|G|, units] indexed by the
    /// group element. The rows sum to the columns' total energy, since the projectors are orthogonal and complete.
    /// </summary>
    public static Tensor Energy(GroupIrrep[] irreps, GroupTable group, Tensor left, Tensor right)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        int n = group.Order;
        var p = new double[irreps.Length * n * n];
        for (int r = 0; r < irreps.Length; r++)
        {
            var projector = irreps[r].Projector(group);
            for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) p[(r * n + a) * n + b] = projector[a, b];
        }
        var projectors = Tensor.From(p).View(irreps.Length, n, n).To(left.Device);
        Tensor Part(Tensor e)
        {
            var x = e.Detach().Double();                                       // [n, units]
            return (projectors.Matmul(x) * x.Unsqueeze(0)).Sum(1);             // xᵀ P x per unit: [irreps, units]
        }
        return scope.Keep(Part(left) + Part(right));
    }

    /// <summary>
    /// How much of each unit's non-trivial energy lies in its strongest irrep, Σ_u max_{ρ ≠ trivial} e[ρ, u] /
    /// Σ_u Σ_{ρ ≠ trivial} e[ρ, u], for an energy table [irreps, units] whose row 0 is the trivial irrep: 1 when every
    /// unit lives in one irrep.
    /// </summary>
    public static double Concentration(Tensor energy)
    {
        using var scope = NewScope();
        var nonTrivial = energy.Narrow(0, 1, energy.Size(0) - 1).Double();
        double total = nonTrivial.Sum().Item<double>();
        return total > 0 ? nonTrivial.Max(0).Values.Sum().Item<double>() / total : 0;
    }

    /// <summary>The cycle type of a permutation in one-line notation, parts sorted descending: "2,1,1".</summary>
    public static string CycleType(int[] permutation)
    {
        var seen = new bool[permutation.Length];
        var parts = new List<int>();
        for (int i = 0; i < permutation.Length; i++)
        {
            int length = 0;
            for (int j = i; !seen[j]; j = permutation[j]) { seen[j] = true; length++; }
            if (length > 0) parts.Add(length);
        }
        return string.Join(",", parts.OrderByDescending(p => p));
    }
}
