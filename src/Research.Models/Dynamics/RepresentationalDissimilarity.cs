using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Dynamics;

/// <summary>
/// Representational similarity analysis (Kriegeskorte, Mur &amp; Bandettini, 2008): a representation of n conditions is
/// summarised by its representational dissimilarity matrix (RDM), the pairwise distances between the conditions'
/// representations, and two representations — inputs, hidden units, labels — are compared by correlating their RDMs:
/// <code>
///   RDM(R)[i, j] = ‖R[i] − R[j]‖₂                      R: [conditions, features]
///   RSA(A, B) = Pearson( {A[i, j] : i &lt; j}, {B[i, j] : i &lt; j} )
/// </code>
/// RSA ignores the scale of either RDM and any offset, so a hidden layer is compared with the input or the label geometry
/// regardless of its units. Distances are computed in float64 without the matrix-product shortcut (exact for n = 1).
/// </summary>
public static class RepresentationalDissimilarity
{
    private static readonly Op s_cdist = new("aten::cdist");

    // compute_mode 2 of aten::cdist: never the ‖a‖² + ‖b‖² − 2a·b shortcut, which loses digits for close points.
    private const long ExactEuclidean = 2;

    /// <summary>The RDM of <paramref name="representations"/> [conditions, features]: float64 [conditions, conditions].</summary>
    /// <exception cref="ArgumentException">Not a 2-D tensor.</exception>
    public static Tensor Matrix(Tensor representations)
    {
        ArgumentNullException.ThrowIfNull(representations);
        if (representations.Dim != 2)
            throw new ArgumentException($"representations must be [conditions, features], got shape [{string.Join(", ", representations.Shape)}]", nameof(representations));
        using var scope = NewScope();
        var r = representations.Detach().Double();
        return scope.Keep(s_cdist.Call(r, r, 2.0, ExactEuclidean));
    }

    /// <summary>
    /// RSA: the Pearson correlation between the strict upper triangles (i &lt; j) of two RDMs of the same conditions.
    /// </summary>
    /// <exception cref="ArgumentException">The RDMs are not square, differ in size, have fewer than 3 conditions, or one is constant above the diagonal (the correlation is undefined).</exception>
    public static double Correlation(Tensor rdmA, Tensor rdmB)
    {
        ArgumentNullException.ThrowIfNull(rdmA);
        ArgumentNullException.ThrowIfNull(rdmB);
        CheckSquare(rdmA, nameof(rdmA));
        CheckSquare(rdmB, nameof(rdmB));
        if (rdmA.Size(0) != rdmB.Size(0))
            throw new ArgumentException($"the RDMs must describe the same conditions, got {rdmA.Size(0)} and {rdmB.Size(0)}", nameof(rdmB));
        if (rdmA.Size(0) < 3) throw new ArgumentException($"RSA needs at least 3 conditions (2 distances), got {rdmA.Size(0)}", nameof(rdmA));
        using var scope = NewScope();
        var a = UpperTriangle(rdmA);
        var b = UpperTriangle(rdmB);
        a -= a.Mean();
        b -= b.Mean();
        double na = a.Square().Sum().Sqrt().Item<double>(), nb = b.Square().Sum().Sqrt().Item<double>();
        if (!(na > 0)) throw new ArgumentException("the first RDM is constant above its diagonal: its correlation with another RDM is undefined", nameof(rdmA));
        if (!(nb > 0)) throw new ArgumentException("the second RDM is constant above its diagonal: its correlation with another RDM is undefined", nameof(rdmB));
        return (a * b).Sum().Item<double>() / (na * nb);
    }

    /// <summary>An RDM as rows of doubles, for drawing.</summary>
    public static double[][] Rows(Tensor rdm)
    {
        ArgumentNullException.ThrowIfNull(rdm);
        CheckSquare(rdm, nameof(rdm));
        var m = rdm.Detach().Double().Cpu().Contiguous().ToArray2D<double>();
        return Enumerable.Range(0, m.GetLength(0)).Select(i => Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToArray();
    }

    // {rdm[i, j] : i < j} in row-major order, float64.
    private static Tensor UpperTriangle(Tensor rdm)
    {
        long n = rdm.Size(0);
        using var mask = Tensor.Ones([n, n], DType.Bool, rdm.Device).Triu(1);
        return rdm.Detach().Double().MaskedSelect(mask);
    }

    private static void CheckSquare(Tensor rdm, string name)
    {
        if (rdm.Dim != 2 || rdm.Size(0) != rdm.Size(1))
            throw new ArgumentException($"an RDM must be square [conditions, conditions], got shape [{string.Join(", ", rdm.Shape)}]", name);
    }
}
