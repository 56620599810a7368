namespace Research.Torch;

/// <summary>torch.linalg: decompositions, solves, determinants and norms (batched over leading dimensions).</summary>
public static class Linalg
{
    private static readonly Op s_svd = new("linalg_svd"), s_svdvals = new("linalg_svdvals"), s_qr = new("linalg_qr"),
        s_eigh = new("linalg_eigh"), s_eigvalsh = new("linalg_eigvalsh"), s_eig = new("linalg_eig"), s_solve = new("linalg_solve"),
        s_det = new("linalg_det"), s_slogdet = new("linalg_slogdet"), s_inv = new("linalg_inv"), s_pinv = new("linalg_pinv", "atol_rtol_float"),
        s_cholesky = new("linalg_cholesky"), s_vectorNorm = new("linalg_vector_norm"), s_matrixNorm = new("linalg_matrix_norm", "str_ord"),
        s_matrixNormP = new("linalg_matrix_norm"), s_lstsq = new("linalg_lstsq"), s_matrixExp = new("linalg_matrix_exp"),
        s_matrixRank = new("linalg_matrix_rank", "atol_rtol_float"), s_cross = new("linalg_cross"), s_solveTriangular = new("linalg_solve_triangular");

    /// <summary>A = U diag(S) Vh.</summary>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a, bool fullMatrices = true)
    {
        var r = s_svd.Invoke(a, fullMatrices, OpArg.None);
        return ((Tensor)r[0]!, (Tensor)r[1]!, (Tensor)r[2]!);
    }

    /// <summary>Singular values, descending.</summary>
    public static Tensor SvdVals(Tensor a) => s_svdvals.Call(a, OpArg.None);

    /// <summary>A = QR; <paramref name="mode"/> is "reduced", "complete" or "r".</summary>
    public static (Tensor Q, Tensor R) Qr(Tensor a, string mode = "reduced")
    {
        var r = s_qr.Invoke(a, mode);
        return ((Tensor)r[0]!, (Tensor)r[1]!);
    }

    /// <summary>Eigenvalues (ascending) and eigenvectors of a symmetric/Hermitian matrix.</summary>
    public static (Tensor Values, Tensor Vectors) Eigh(Tensor a, string uplo = "L")
    {
        var r = s_eigh.Invoke(a, uplo);
        return ((Tensor)r[0]!, (Tensor)r[1]!);
    }

    /// <summary>Eigenvalues of a symmetric/Hermitian matrix, ascending.</summary>
    public static Tensor EigvalsH(Tensor a, string uplo = "L") => s_eigvalsh.Call(a, uplo);

    /// <summary>Eigenvalues and eigenvectors of a general matrix (complex).</summary>
    public static (Tensor Values, Tensor Vectors) Eig(Tensor a)
    {
        var r = s_eig.Invoke(a);
        return ((Tensor)r[0]!, (Tensor)r[1]!);
    }

    /// <summary>Solves A X = B.</summary>
    public static Tensor Solve(Tensor a, Tensor b, bool left = true) => s_solve.Call(a, b, left);

    /// <summary>Solves a triangular system.</summary>
    public static Tensor SolveTriangular(Tensor a, Tensor b, bool upper, bool left = true, bool unitriangular = false) =>
        s_solveTriangular.Call(a, b, upper, left, unitriangular);

    /// <summary>Least-squares solution of A X ≈ B.</summary>
    public static Tensor Lstsq(Tensor a, Tensor b)
    {
        var r = s_lstsq.Invoke(a, b, OpArg.None, OpArg.None);
        for (int k = 1; k < r.Length; k++) (r[k] as Tensor)?.Dispose();
        return (Tensor)r[0]!;
    }

    /// <summary>Determinant.</summary>
    public static Tensor Det(Tensor a) => s_det.Call(a);

    /// <summary>Sign and log of the absolute determinant.</summary>
    public static (Tensor Sign, Tensor LogAbsDet) SlogDet(Tensor a)
    {
        var r = s_slogdet.Invoke(a);
        return ((Tensor)r[0]!, (Tensor)r[1]!);
    }

    /// <summary>Matrix inverse.</summary>
    public static Tensor Inv(Tensor a) => s_inv.Call(a);

    /// <summary>Moore–Penrose pseudo-inverse.</summary>
    public static Tensor Pinv(Tensor a) => s_pinv.Call(a, OpArg.None, OpArg.None, false);

    /// <summary>Cholesky factor L with A = L Lᴴ.</summary>
    public static Tensor Cholesky(Tensor a, bool upper = false) => s_cholesky.Call(a, upper);

    /// <summary>Matrix exponential.</summary>
    public static Tensor MatrixExp(Tensor a) => s_matrixExp.Call(a);

    /// <summary>Numerical rank.</summary>
    public static Tensor MatrixRank(Tensor a) => s_matrixRank.Call(a, OpArg.None, OpArg.None, false);

    /// <summary>Cross product along <paramref name="dim"/>.</summary>
    public static Tensor Cross(Tensor a, Tensor b, long dim = -1) => s_cross.Call(a, b, dim);

    /// <summary>Vector p-norm over dimensions (all when null).</summary>
    public static Tensor VectorNorm(Tensor x, double ord = 2, long[]? dims = null, bool keepDim = false) =>
        s_vectorNorm.Call(x, ord, dims is null ? OpArg.None : dims, keepDim, OpArg.None);

    /// <summary>Matrix norm: "fro" or "nuc".</summary>
    public static Tensor MatrixNorm(Tensor a, string ord = "fro", bool keepDim = false) => s_matrixNorm.Call(a, ord, new long[] { -2, -1 }, keepDim, OpArg.None);

    /// <summary>Matrix norm of numeric order (1, -1, 2, -2, ±inf).</summary>
    public static Tensor MatrixNorm(Tensor a, double ord, bool keepDim = false) => s_matrixNormP.Call(a, ord, new long[] { -2, -1 }, keepDim, OpArg.None);

    /// <summary>torch.linalg.norm: Frobenius for matrices, 2-norm for vectors (over the whole tensor when 1-D/2-D).</summary>
    public static Tensor Norm(Tensor a) => a.Dim == 2 ? MatrixNorm(a) : VectorNorm(a);
}
