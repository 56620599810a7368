using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.WeightSpace;

/// <summary>What the neurons of two networks are compared by when they are aligned.</summary>
public enum AlignmentSignal
{
    /// <summary>Their post-ReLU activations on the same batch of inputs (each unit a vector over the batch).</summary>
    Activations,

    /// <summary>Their incoming weights and bias, with the inputs already aligned by the previous layer's transport.</summary>
    Weights,
}

/// <summary>
/// Model fusion via optimal transport (Singh &amp; Jaggi, NeurIPS 2020), for two <see cref="ReluMlp"/>s of equal sizes:
/// layer by layer, the hidden units of B are transported onto those of A, then the parameters are averaged.
/// <code>
///   ground cost  C_l[i, j] = ‖z_A,i − z_B,j‖²         z = a unit's activations over a batch, or its incoming [weights, bias]
///                                                     (for weights, B's incoming columns first permuted by layer l−1's plan)
///   transport    T_l = argmin_{T ∈ Π(1/n, 1/n)} ⟨T, C_l⟩     uniform marginals, n units each side
///                    = P_π / n  with  π = argmin_σ Σ_i C_l[i, σ(i)]   (an optimal vertex is a permutation: the assignment problem)
///   align        W_B,l ← (nT_l)ᵀ W_B,l (nT_{l−1}),  b_B,l ← (nT_l)ᵀ b_B,l    i.e. B's units permuted by π (<see cref="ReluMlp.Permuted"/>)
///   fuse         θ_fused = ½(θ_A + θ_B,aligned)      (or any point (1 − t)θ_A + tθ_B,aligned of the path)
/// </code>
/// With equal widths and uniform measures exact OT is a hard permutation, solved exactly by <see cref="LinearAssignment"/>;
/// the squared Euclidean cost makes the alignment the one that maximises Σ_i ⟨z_A,i, z_B,π(i)⟩, because Σ‖z_A,i‖² + Σ‖z_B,j‖²
/// does not depend on π. Aligned B computes exactly the function B computed; only the averaging changes.
/// </summary>
public static class OptimalTransportFusion
{
    /// <summary>
    /// The permutations that align B's hidden units to A's, one per hidden layer: result[l][i] is the unit of B's layer l
    /// matched to unit i of A's. Pass them to <c>b.Permuted(result)</c>. <paramref name="x"/> [batch, inputs] is needed
    /// for <see cref="AlignmentSignal.Activations"/> and ignored for <see cref="AlignmentSignal.Weights"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The networks differ in sizes, or activations are asked for without inputs.</exception>
    public static int[][] Align(ReluMlp a, ReluMlp b, AlignmentSignal signal, Tensor? x = null) => signal switch
    {
        AlignmentSignal.Activations => AlignByActivations(a, b, x ?? throw new ArgumentException("aligning by activations needs a batch of inputs", nameof(x))),
        AlignmentSignal.Weights => AlignByWeights(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "unknown alignment signal"),
    };

    /// <summary>Alignment by activations on the batch <paramref name="x"/> [batch, inputs]: per hidden layer, the assignment minimising Σ_i ‖h_A,i − h_B,π(i)‖² over the batch.</summary>
    /// <exception cref="ArgumentException">The networks differ in sizes.</exception>
    public static int[][] AlignByActivations(ReluMlp a, ReluMlp b, Tensor x)
    {
        CheckSameSizes(a, b);
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var ha = a.HiddenActivations(x);
        var hb = b.HiddenActivations(x);
        // Permuting B's earlier layers does not change the activations of a later layer (only their order), so every layer's plan is independent.
        return ha.Zip(hb).Select(p => LinearAssignment.Minimize(SquaredDistances(p.First.T, p.Second.T))).ToArray();
    }

    /// <summary>
    /// Alignment by weights: layer by layer from the input, the assignment minimising Σ_i ‖[W_A, b_A]_i − [W_B Pᵀ_{l−1}, b_B]_π(i)‖²,
    /// where B's incoming columns are first reordered by the previous layer's permutation.
    /// </summary>
    /// <exception cref="ArgumentException">The networks differ in sizes.</exception>
    public static int[][] AlignByWeights(ReluMlp a, ReluMlp b)
    {
        CheckSameSizes(a, b);
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var result = new int[a.HiddenLayers][];
        for (int l = 0; l < a.HiddenLayers; l++)
        {
            var wb = b.Layers[l].Weight.Detach();
            if (l > 0) wb = wb.IndexSelect(1, Index(result[l - 1], wb.Device));
            var za = Tensor.Cat([a.Layers[l].Weight.Detach(), a.Layers[l].Bias!.Detach().Unsqueeze(1)], 1);
            var zb = Tensor.Cat([wb, b.Layers[l].Bias!.Detach().Unsqueeze(1)], 1);
            result[l] = LinearAssignment.Minimize(SquaredDistances(za, zb));
        }
        return result;
    }

    /// <summary>
    /// The fused network (1 − t)·θ_A + t·θ_B,aligned with B's hidden units permuted by <paramref name="permutations"/>
    /// (from <see cref="Align"/>); t = ½ is OT fusion's average, t = 0 is A and t = 1 is aligned B.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes differ, the permutations are invalid, or t is not finite.</exception>
    public static ReluMlp Fuse(ReluMlp a, ReluMlp b, IReadOnlyList<int[]> permutations, double t = 0.5)
    {
        ArgumentNullException.ThrowIfNull(b);
        using var aligned = b.Permuted(permutations);
        return ReluMlp.Interpolate(a, aligned, t);
    }

    /// <summary>
    /// The squared Euclidean distances C[i, j] = ‖z_a,i − z_b,j‖² between the rows of <paramref name="za"/> [n, d] and of
    /// <paramref name="zb"/> [m, d], computed in float64: the ground cost of the transport.
    /// </summary>
    /// <exception cref="ArgumentException">Not two matrices with the same number of columns.</exception>
    public static double[,] SquaredDistances(Tensor za, Tensor zb)
    {
        ArgumentNullException.ThrowIfNull(za);
        ArgumentNullException.ThrowIfNull(zb);
        if (za.Dim != 2 || zb.Dim != 2 || za.Size(1) != zb.Size(1))
            throw new ArgumentException($"expected [n, d] and [m, d], got {za.ShapeString} and {zb.ShapeString}", nameof(zb));
        using var scope = NewScope();
        var a = za.Detach().Double();
        var b = zb.To(a.Device).Detach().Double();
        var d = a.Square().Sum(1).Unsqueeze(1) + b.Square().Sum(1).Unsqueeze(0) - 2.0 * a.Matmul(b.T);
        return d.Clamp(min: 0.0).Cpu().Contiguous().ToArray2D<double>();
    }

    /// <summary>The optimal transport plan of an assignment between two uniform measures of n points: T[i, π(i)] = 1/n, 0 elsewhere (rows and columns sum to 1/n).</summary>
    /// <exception cref="ArgumentException"><paramref name="permutation"/> is not a permutation.</exception>
    public static double[,] TransportPlan(int[] permutation)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        if (!LinearAssignment.IsPermutation(permutation))
            throw new ArgumentException($"[{LinearAssignment.Preview(permutation)}] is not a permutation of 0 … {permutation.Length - 1}", nameof(permutation));
        int n = permutation.Length;
        var plan = new double[n, n];
        for (int i = 0; i < n; i++) plan[i, permutation[i]] = 1.0 / n;
        return plan;
    }

    /// <summary>The fraction of units mapped to the same place by two alignments of one hidden layer (1 = identical).</summary>
    /// <exception cref="ArgumentException">The alignments have different lengths.</exception>
    public static double Agreement(int[] first, int[] second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Length != second.Length) throw new ArgumentException($"alignments of {first.Length} and {second.Length} units", nameof(second));
        return first.Length == 0 ? 1 : first.Zip(second).Count(p => p.First == p.Second) / (double)first.Length;
    }

    private static Tensor Index(int[] permutation, Device device) => Tensor.From(permutation.Select(i => (long)i).ToArray()).To(device);

    private static void CheckSameSizes(ReluMlp a, ReluMlp b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Sizes.SequenceEqual(b.Sizes))
            throw new ArgumentException($"OT fusion here needs networks of equal sizes, got [{string.Join(", ", a.Sizes)}] and [{string.Join(", ", b.Sizes)}]", nameof(b));
    }
}
