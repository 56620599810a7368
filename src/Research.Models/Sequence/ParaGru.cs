using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// ParaGRU (Danieli et al., 2025, "ParaRNN"): a GRU whose hidden-to-hidden matrices are diagonal, so its per-step Jacobian
/// is diagonal and every Newton step of <see cref="ParallelNewton"/> is one element-wise (diagonal) scan — O(T·d) instead of
/// the dense GRU's O(T·d³). The gates still depend nonlinearly on h:
/// <code>
///   r = σ(W_r x + b_r + u_r ⊙ h),  z = σ(W_z x + b_z + u_z ⊙ h),  n = tanh(W_n x + b_n + r ⊙ (u_n ⊙ h + c_n))
///   h' = (1 − z) ⊙ n + z ⊙ h
///   ∂h'/∂h = z + (h − n) z(1 − z) u_z + (1 − z)(1 − n²) [r u_n + (u_n ⊙ h + c_n) r(1 − r) u_r]     (diagonal, [batch, time, d])
/// </code>
/// Initialisation: W, b as torch's GRU (U(±1/√d)); u ~ U(−1, 1) (a diagonal entry plays the role of a whole row of W_h).
/// </summary>
public sealed class ParaGru : Module, INewtonRecurrence
{
    /// <summary>Creates the layer.</summary>
    public ParaGru(long inputSize, long hiddenSize, DType? dtype = null, Device? device = null)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        double bound = 1 / Math.Sqrt(hiddenSize);
        Input = RegisterModule("input", new Linear(inputSize, 3 * hiddenSize, dtype: dtype, device: device));
        Init.Uniform_(Input.Weight, -bound, bound);
        Init.Uniform_(Input.Bias!, -bound, bound);
        Init.Uniform_(RegisterParameter("recurrent", NewParameter([3 * hiddenSize], dtype, device)), -1, 1);
        Init.Uniform_(RegisterParameter("candidate_bias", NewParameter([hiddenSize], dtype, device)), -bound, bound);
    }

    /// <summary>Size of each input step.</summary>
    public long InputSize { get; }

    /// <inheritdoc />
    public long HiddenSize { get; }

    /// <summary>[W_r; W_z; W_n] x + [b_r; b_z; b_n].</summary>
    public Linear Input { get; }

    /// <summary>The diagonal recurrent weights [u_r; u_z; u_n], [3d].</summary>
    public Parameter Recurrent => Param("recurrent")!;

    /// <summary>c_n, the bias inside the reset gate's product, [d].</summary>
    public Parameter CandidateBias => Param("candidate_bias")!;

    /// <summary>All states by Newton's method with diagonal Jacobians. x [batch, time, in], h0 [batch, d] or null.</summary>
    public NewtonSolution Forward(Tensor x, Tensor? h0 = null, NewtonOptions? options = null) => ParallelNewton.Solve(this, x, h0, options);

    /// <summary>All states by the sequential loop (the definition): x [batch, time, in] → [batch, time, d].</summary>
    public Tensor ForwardSequential(Tensor x, Tensor? h0 = null)
    {
        using var scope = NewScope();
        var drive = Drive(x).Unbind(1);                                      // T × [batch, 3d], computed once
        var h = h0 ?? Tensor.Zeros([x.Size(0), HiddenSize], x.DType, x.Device);
        var states = new Tensor[drive.Length];
        for (int t = 0; t < drive.Length; t++)
        {
            h = Cell(h, drive[t]);
            states[t] = h;
        }
        return scope.Keep(Tensor.Stack(states, 1));
    }

    /// <inheritdoc />
    public Tensor Drive(Tensor x) => Input.Forward(x);

    /// <inheritdoc />
    public (Tensor Next, Tensor? Jacobian) Step(Tensor previous, Tensor drive, bool withJacobian)
    {
        using var scope = NewScope();
        var (next, r, z, n, hn) = Gates(previous, drive);
        if (!withJacobian) return (scope.Keep(next), null);
        long d = HiddenSize;
        var u = Recurrent;
        var dn = (1.0 - z) * (1.0 - n.Square());
        var jacobian = z + (previous - n) * z * (1.0 - z) * u.Narrow(0, d, d)
            + dn * (r * u.Narrow(0, 2 * d, d) + hn * r * (1.0 - r) * u.Narrow(0, 0, d));
        return (scope.Keep(next), scope.Keep(jacobian));
    }

    private Tensor Cell(Tensor h, Tensor drive)
    {
        using var scope = NewScope();
        return scope.Keep(Gates(h, drive).Next);
    }

    private (Tensor Next, Tensor R, Tensor Z, Tensor N, Tensor Hn) Gates(Tensor h, Tensor drive)
    {
        long d = HiddenSize;
        var u = Recurrent;
        var r = (drive.Narrow(-1, 0, d) + u.Narrow(0, 0, d) * h).Sigmoid();
        var z = (drive.Narrow(-1, d, d) + u.Narrow(0, d, d) * h).Sigmoid();
        var hn = u.Narrow(0, 2 * d, d) * h + CandidateBias;                // u_n ⊙ h + c_n
        var n = (drive.Narrow(-1, 2 * d, d) + r * hn).Tanh();
        return ((1.0 - z) * n + z * h, r, z, n, hn);
    }
}
