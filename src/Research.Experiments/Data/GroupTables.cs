using System.Globalization;

namespace Research.Experiments.Data;

/// <summary>
/// The multiplication table of a finite group with elements numbered 0 … Order − 1: <c>Multiply(a, b)</c> = a∘b.
/// Made by <see cref="GroupTables"/> (cyclic groups, the multiplicative group mod p, symmetric groups) or from any table
/// that satisfies the group axioms (checked on construction).
/// </summary>
public sealed class GroupTable
{
    private readonly int[,] _product;
    private readonly int[] _inverse;

    /// <summary>
    /// A group from its Cayley table <paramref name="product"/>[a, b] = a∘b. Throws <see cref="ArgumentException"/> naming
    /// the first violated axiom (closure, associativity, identity, inverses).
    /// </summary>
    public GroupTable(string name, int[,] product, string[]? elementNames = null)
    {
        int n = product.GetLength(0);
        if (n == 0 || product.GetLength(1) != n) throw new ArgumentException($"a group table must be square and non-empty, got {product.GetLength(0)}×{product.GetLength(1)}", nameof(product));
        if (elementNames is not null && elementNames.Length != n) throw new ArgumentException($"{elementNames.Length} names for {n} elements", nameof(elementNames));
        Name = name;
        _product = (int[,])product.Clone();
        ElementNames = elementNames ?? Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (AxiomViolation(_product) is { } violation) throw new ArgumentException($"{name} is not a group: {violation}", nameof(product));
        Identity = Enumerable.Range(0, n).First(e => Enumerable.Range(0, n).All(a => _product[e, a] == a && _product[a, e] == a));
        _inverse = new int[n];
        for (int a = 0; a < n; a++) _inverse[a] = Enumerable.Range(0, n).First(b => _product[a, b] == Identity);
    }

    /// <summary>A short name, e.g. "Z_97 (+)" or "S_4".</summary>
    public string Name { get; }

    /// <summary>Number of elements |G|.</summary>
    public int Order => _product.GetLength(0);

    /// <summary>Printable names of the elements (numbers, residues, or permutations in one-line notation).</summary>
    public IReadOnlyList<string> ElementNames { get; }

    /// <summary>The index of the identity element.</summary>
    public int Identity { get; }

    /// <summary>a∘b.</summary>
    public int Multiply(int a, int b) => _product[a, b];

    /// <summary>The inverse a⁻¹ (a∘a⁻¹ = a⁻¹∘a = identity).</summary>
    public int Inverse(int a) => _inverse[a];

    /// <summary>True when a∘b = b∘a for all a, b.</summary>
    public bool IsAbelian
    {
        get
        {
            for (int a = 0; a < Order; a++)
                for (int b = a + 1; b < Order; b++)
                    if (_product[a, b] != _product[b, a]) return false;
            return true;
        }
    }

    /// <summary>All |G|² pairs in row-major order (a slow, b fast): left factors, right factors and products a∘b.</summary>
    public (long[] Left, long[] Right, long[] Product) AllPairs()
    {
        int n = Order;
        var left = new long[n * n];
        var right = new long[n * n];
        var product = new long[n * n];
        for (int a = 0, i = 0; a < n; a++)
            for (int b = 0; b < n; b++, i++)
            {
                left[i] = a;
                right[i] = b;
                product[i] = _product[a, b];
            }
        return (left, right, product);
    }

    /// <summary>
    /// The first group axiom that <paramref name="product"/> violates, as a sentence, or null if it is a group: closure
    /// (entries in range), associativity ((a∘b)∘c = a∘(b∘c) for all triples), a two-sided identity, two-sided inverses.
    /// </summary>
    public static string? AxiomViolation(int[,] product)
    {
        int n = product.GetLength(0);
        if (product.GetLength(1) != n) return "the table is not square";
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                if (product[a, b] < 0 || product[a, b] >= n) return $"not closed: {a}∘{b} = {product[a, b]} is not an element";
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                for (int c = 0; c < n; c++)
                    if (product[product[a, b], c] != product[a, product[b, c]]) return $"not associative: ({a}∘{b})∘{c} ≠ {a}∘({b}∘{c})";
        int identity = -1;
        for (int e = 0; e < n && identity < 0; e++)
        {
            bool isIdentity = true;
            for (int a = 0; a < n && isIdentity; a++) isIdentity = product[e, a] == a && product[a, e] == a;
            if (isIdentity) identity = e;
        }
        if (identity < 0) return "no identity element";
        for (int a = 0; a < n; a++)
        {
            bool hasInverse = false;
            for (int b = 0; b < n && !hasInverse; b++) hasInverse = product[a, b] == identity && product[b, a] == identity;
            if (!hasInverse) return $"{a} has no inverse";
        }
        return null;
    }
}

/// <summary>Cayley tables of small finite groups, built from their definitions.</summary>
public static class GroupTables
{
    /// <summary>The cyclic group Z_n under addition mod n: element k is the residue k, a∘b = (a + b) mod n.</summary>
    public static GroupTable CyclicAddition(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var t = new int[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) t[a, b] = (a + b) % n;
        return new GroupTable($"Z_{n} (+)", t);
    }

    /// <summary>
    /// The multiplicative group (Z/pZ)* of the non-zero residues mod a prime p: element k is the residue k + 1,
    /// a∘b = ((a + 1)(b + 1) mod p) − 1. It is cyclic of order p − 1. Throws if <paramref name="p"/> is not prime.
    /// </summary>
    public static GroupTable MultiplicativeModPrime(int p)
    {
        if (p < 2 || Enumerable.Range(2, Math.Max(0, (int)Math.Sqrt(p) - 1)).Any(d => p % d == 0))
            throw new ArgumentException($"{p} is not prime: the non-zero residues mod {p} are not a group under multiplication", nameof(p));
        int n = p - 1;
        var t = new int[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) t[a, b] = (int)((long)(a + 1) * (b + 1) % p) - 1;
        return new GroupTable($"Z_{p}* (×)", t, Enumerable.Range(1, n).Select(r => r.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>
    /// The symmetric group S_n of all permutations of {0, …, n−1}, numbered in lexicographic order of their one-line
    /// notation (0 is the identity); (σ∘τ)(i) = σ(τ(i)) (apply τ first). S_3 has 6 elements, S_4 24, S_5 120; n ≤ 5.
    /// </summary>
    public static GroupTable Symmetric(int n)
    {
        if (n is < 1 or > 5) throw new ArgumentOutOfRangeException(nameof(n), n, "S_n is built for 1 ≤ n ≤ 5 (120 elements)");
        var perms = Permutations(n);
        var index = new Dictionary<string, int>();
        for (int i = 0; i < perms.Count; i++) index[Key(perms[i])] = i;
        var t = new int[perms.Count, perms.Count];
        var composed = new int[n];
        for (int s = 0; s < perms.Count; s++)
            for (int u = 0; u < perms.Count; u++)
            {
                for (int i = 0; i < n; i++) composed[i] = perms[s][perms[u][i]];
                t[s, u] = index[Key(composed)];
            }
        return new GroupTable($"S_{n}", t, perms.Select(Key).ToArray());
    }

    /// <summary>The permutation of {0, …, n−1} that <see cref="Symmetric"/> numbers <paramref name="index"/>, in one-line notation.</summary>
    public static int[] Permutation(int n, int index) => Permutations(n)[index];

    private static string Key(int[] perm) => "(" + string.Join(" ", perm) + ")";

    private static List<int[]> Permutations(int n)
    {
        var all = new List<int[]>();
        void Extend(List<int> prefix, bool[] used)
        {
            if (prefix.Count == n) { all.Add(prefix.ToArray()); return; }
            for (int i = 0; i < n; i++)
            {
                if (used[i]) continue;
                used[i] = true;
                prefix.Add(i);
                Extend(prefix, used);
                prefix.RemoveAt(prefix.Count - 1);
                used[i] = false;
            }
        }
        Extend(new List<int>(), new bool[n]);
        return all;
    }
}
