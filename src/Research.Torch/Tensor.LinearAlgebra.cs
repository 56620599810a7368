namespace Research.Torch;

// Matrix products and einsum.
public partial class Tensor
{
    private static readonly Op s_mm = new("mm"), s_bmm = new("bmm"), s_mv = new("mv"),
        s_dot = new("dot"), s_outer = new("outer"), s_einsum = new("einsum"), s_addmm = new("addmm"),
        s_baddbmm = new("baddbmm"), s_kron = new("kron"), s_tensordot = new("tensordot");

    /// <summary>Matrix product with broadcasting (Python's <c>@</c>).</summary>
    public Tensor Matmul(Tensor other) => Native.FastOps.Call(Native.FastOps.Binary.Matmul, this, other);

    /// <summary>Matrix × matrix (2-D only).</summary>
    public Tensor Mm(Tensor other) => s_mm.CallTensor(this, other);

    /// <summary>Batched matrix × matrix (3-D only).</summary>
    public Tensor Bmm(Tensor other) => s_bmm.CallTensor(this, other);

    /// <summary>Matrix × vector.</summary>
    public Tensor Mv(Tensor vector) => s_mv.CallTensor(this, vector);

    /// <summary>Dot product of two vectors.</summary>
    public Tensor Dot(Tensor other) => s_dot.CallTensor(this, other);

    /// <summary>Outer product of two vectors.</summary>
    public Tensor Outer(Tensor other) => s_outer.CallTensor(this, other);

    /// <summary>Kronecker product.</summary>
    public Tensor Kron(Tensor other) => s_kron.CallTensor(this, other);

    /// <summary>beta·self + alpha·(m1 @ m2).</summary>
    public Tensor AddMm(Tensor m1, Tensor m2, Scalar? beta = null, Scalar? alpha = null) =>
        s_addmm.Call(this, m1, m2, beta is { } b ? b : (Scalar)1, alpha is { } a ? a : (Scalar)1);

    /// <summary>beta·self + alpha·(b1 @ b2), batched.</summary>
    public Tensor BAddBmm(Tensor b1, Tensor b2, Scalar? beta = null, Scalar? alpha = null) =>
        s_baddbmm.Call(this, b1, b2, beta is { } b ? b : (Scalar)1, alpha is { } a ? a : (Scalar)1);

    /// <summary>Contracts the given dimensions of two tensors.</summary>
    public static Tensor TensorDot(Tensor a, Tensor b, long[] dimsA, long[] dimsB) => s_tensordot.Call(a, b, dimsA, dimsB);

    /// <summary>Einstein summation, e.g. <c>Einsum("bij,bjk->bik", a, b)</c>.</summary>
    public static Tensor Einsum(string equation, params Tensor[] operands) => s_einsum.Call(equation, operands, OpArg.None);
}
