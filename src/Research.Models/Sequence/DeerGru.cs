using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// A GRU layer (torch.nn.GRU's equations and its <see cref="GRUCell"/> parameters) that runs either sequentially or by
/// DEER's parallel Newton iteration (<see cref="ParallelNewton"/>), with the per-step Jacobian written out by hand:
/// <code>
///   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
///   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h
///   ∂h'/∂h = diag(z) + diag((h − n) z(1 − z)) W_hz + diag((1 − z)(1 − n²) r) W_hn
///            + diag((1 − z)(1 − n²) (W_hn h + b_hn) r(1 − r)) W_hr
/// </code>
/// The Jacobian is dense, [batch, time, d, d] (d² memory and d³ work per step in the scan).
/// </summary>
public sealed class DeerGru : Module, INewtonRecurrence
{
    /// <summary>Creates the layer (the cell's U(±1/√d) initialisation).</summary>
    public DeerGru(long inputSize, long hiddenSize, DType? dtype = null, Device? device = null)
    {
        Cell = RegisterModule("cell", new GRUCell(inputSize, hiddenSize, dtype: dtype, device: device));
    }

    /// <summary>The parameters, shared by both evaluations.</summary>
    public GRUCell Cell { get; }

    /// <inheritdoc />
    public long HiddenSize => Cell.HiddenSize;

    /// <summary>All states by Newton's method. x [batch, time, in], h0 [batch, d] or null → the solution (states [batch, time, d]).</summary>
    public NewtonSolution Forward(Tensor x, Tensor? h0 = null, NewtonOptions? options = null) => ParallelNewton.Solve(this, x, h0, options);

    /// <summary>All states by the sequential loop of libtorch's GRU cell (the definition). x [batch, time, in] → [batch, time, d].</summary>
    public Tensor ForwardSequential(Tensor x, Tensor? h0 = null)
    {
        using var scope = NewScope();
        return scope.Keep(Cell.ForwardSequence(x, batchFirst: true, h: h0).Output);
    }

    /// <inheritdoc />
    public Tensor Drive(Tensor x)
    {
        using var scope = NewScope();
        var drive = x.Matmul(Cell.WeightIh.Transpose(0, 1));                  // [batch, time, 3d]: (r, z, n) blocks
        return scope.Keep(Cell.BiasIh is { } bias ? drive + bias : drive);
    }

    /// <inheritdoc />
    public (Tensor Next, Tensor? Jacobian) Step(Tensor previous, Tensor drive, bool withJacobian)
    {
        using var scope = NewScope();
        long d = HiddenSize;
        var recurrent = previous.Matmul(Cell.WeightHh.Transpose(0, 1));     // [batch, time, 3d]
        if (Cell.BiasHh is { } bias) recurrent = recurrent + bias;
        var r = (drive.Narrow(-1, 0, d) + recurrent.Narrow(-1, 0, d)).Sigmoid();
        var z = (drive.Narrow(-1, d, d) + recurrent.Narrow(-1, d, d)).Sigmoid();
        var hn = recurrent.Narrow(-1, 2 * d, d);                              // W_hn h + b_hn
        var n = (drive.Narrow(-1, 2 * d, d) + r * hn).Tanh();
        var next = (1.0 - z) * n + z * previous;
        if (!withJacobian) return (scope.Keep(next), null);

        var w = Cell.WeightHh;
        var dn = (1.0 - z) * (1.0 - n.Square());                              // ∂h'/∂n ⊙ tanh'
        var alpha = (previous - n) * z * (1.0 - z);                           // rows of W_hz
        var beta = dn * r;                                                    // rows of W_hn
        var gamma = dn * hn * r * (1.0 - r);                                  // rows of W_hr
        var jacobian = alpha.Unsqueeze(-1) * w.Narrow(0, d, d) + beta.Unsqueeze(-1) * w.Narrow(0, 2 * d, d)
            + gamma.Unsqueeze(-1) * w.Narrow(0, 0, d) + z.DiagEmbed();       // [batch, time, d, d]
        return (scope.Keep(next), scope.Keep(jacobian));
    }
}
