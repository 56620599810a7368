using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// A nonlinear recurrence h_t = f(h_{t−1}, x_t) that <see cref="ParallelNewton"/> can evaluate: f and its per-step
/// Jacobian ∂h_t/∂h_{t−1} at every step at once (analytic: libtorch has no jacrev/vmap). The Jacobian is dense
/// <c>[batch, time, d, d]</c> (a GRU) or diagonal <c>[batch, time, d]</c> (a cell with element-wise recurrence, ParaRNN).
/// </summary>
public interface INewtonRecurrence
{
    /// <summary>Size d of the state.</summary>
    long HiddenSize { get; }

    /// <summary>The part of f that depends on x only (e.g. W x + b), computed once per sequence: x [batch, time, in] → [batch, time, ·].</summary>
    Tensor Drive(Tensor x);

    /// <summary>
    /// f(h_{t−1}, x_t) at every t at once, from the previous states <paramref name="previous"/> [batch, time, d] and the
    /// drive; with <paramref name="withJacobian"/> also ∂f/∂h_{t−1} ([batch, time, d, d] or [batch, time, d]), else null.
    /// </summary>
    (Tensor Next, Tensor? Jacobian) Step(Tensor previous, Tensor drive, bool withJacobian);
}

/// <summary>Which linearisation each iteration of <see cref="ParallelNewton"/> uses.</summary>
public enum NewtonJacobian
{
    /// <summary>The cell's own Jacobian: Newton's method (DEER), quadratic convergence near the solution.</summary>
    Exact,

    /// <summary>Only the diagonal of a dense Jacobian (quasi-Newton: a diagonal scan per step, linear convergence).</summary>
    Diagonal,

    /// <summary>No linearisation, J = 0: the Jacobi fixed-point iteration h_t ← f(h_{t−1}) (exact after at most T sweeps).</summary>
    Zero,
}

/// <summary>Settings of <see cref="ParallelNewton.Solve"/>.</summary>
/// <param name="Tolerance">Stop when the residual max_t |f(h_{t−1}, x_t) − h_t| is at most this.</param>
/// <param name="MaxIterations">At most this many linear solves (Newton is exact after T of them in exact arithmetic).</param>
/// <param name="Method">The scan that solves each linear recurrence.</param>
/// <param name="Jacobian">The linearisation (the control variants drop all or part of it).</param>
/// <param name="Observe">Called with k and every iterate h⁽ᵏ⁾ (k ≥ 1, [batch, time, d], no graph; valid during the call only), e.g. to measure its error.</param>
/// <param name="StateBound">
/// When set, every iterate is projected onto the box [−bound, bound]^d that the true states are known to lie in (a GRU's states
/// stay in (−1, 1) when h_0 does). Not in the DEER paper: plain Newton's intermediate linear recurrences can be unstable (J_t
/// with spectral radius &gt; 1 away from the trajectory) and overflow on a trained network; the projection keeps every
/// linearisation point valid, and the solution, a fixed point inside the box, is unchanged. Entries the scan overflowed to
/// NaN (∞ − ∞, in float32) are set to 0 before the projection.
/// </param>
public sealed record NewtonOptions(double Tolerance = 1e-10, int MaxIterations = 100, AffineScanMethod Method = AffineScanMethod.Chunked,
    NewtonJacobian Jacobian = NewtonJacobian.Exact, Action<int, Tensor>? Observe = null, double? StateBound = null);

/// <summary>The states found, and the residual max_t |f(h_{t−1}, x_t) − h_t| of every iterate (the first is the initial guess's).</summary>
public sealed record NewtonSolution(Tensor States, IReadOnlyList<double> Residuals, int Iterations, bool Converged);

/// <summary>
/// DEER (Lim et al., 2024, "Parallelizing non-linear sequential models over the sequence length") and ParaRNN's Newton solver:
/// all states of h_t = f(h_{t−1}, x_t) at once by Newton's method on the system F(h)_t = h_t − f(h_{t−1}, x_t) = 0.
/// Linearising at the iterate h⁽ᵏ⁾ with J_t = ∂f/∂h_{t−1} gives a linear recurrence, solved over the whole sequence by
/// one parallel <see cref="AffineScan"/>:
/// <code>
///   h⁽ᵏ⁺¹⁾_t = J_t h⁽ᵏ⁺¹⁾_{t−1} + [f(h⁽ᵏ⁾_{t−1}, x_t) − J_t h⁽ᵏ⁾_{t−1}],   h⁽⁰⁾ = 0.
/// </code>
/// Gradients are the paper's: at the solution h*, h = L⁻¹ b with L = I − J·shift, so dh = L⁻¹ ∂f — the gradient of one more
/// Newton step taken with the Jacobian held constant. That step runs with gradients through f only, and its scan's
/// backward is the adjoint recurrence λ_t = ∂ℓ/∂h_t + J_{t+1}ᵀ λ_{t+1} solved by the reversed scan (<see cref="AffineScan"/>);
/// it equals backpropagation through the sequential loop once the iteration has converged.
/// </summary>
public static class ParallelNewton
{
    /// <summary>
    /// All states of the recurrence for x [batch, time, in] from h0 [batch, d] (zeros when null) → states [batch, time, d].
    /// Without gradients the converged iterate is returned; with gradients (any parameter or input requires them) one more
    /// Newton step from it carries the graph. The gradient is the sequential one only with the cell's exact Jacobian
    /// (<see cref="NewtonJacobian.Exact"/>); the control linearisations converge to the same states but their last step's
    /// gradient misses the recurrence.
    /// </summary>
    public static NewtonSolution Solve(INewtonRecurrence cell, Tensor x, Tensor? h0 = null, NewtonOptions? options = null)
    {
        var o = options ?? new NewtonOptions();
        if (x.Dim != 3) throw new ArgumentException($"the input must be [batch, time, features], got {x.ShapeString}", nameof(x));
        if (o.MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(options), o.MaxIterations, "need at least one iteration");
        using var scope = NewScope();
        long batch = x.Size(0), time = x.Size(1), d = cell.HiddenSize;
        var drive = cell.Drive(x);                                                // with its graph, for the last step
        var start = h0?.Detach() ?? Tensor.Zeros([batch, d], x.DType, x.Device);
        var residuals = new List<double>();
        var h = Tensor.Zeros([batch, time, d], x.DType, x.Device);              // the initial guess h⁽⁰⁾ = 0
        bool converged = false;
        int iterations = 0;
        using (NoGrad())
        {
            var constantDrive = drive.Detach();
            while (true)
            {
                using var step = NewScope();
                var previous = Shift(h, start);                                   // h⁽ᵏ⁾_{t−1}
                var (next, jacobian) = cell.Step(previous, constantDrive, withJacobian: o.Jacobian != NewtonJacobian.Zero);
                double residual = (next - h).Abs().Max().Item<double>();
                residuals.Add(residual);
                converged = residual <= o.Tolerance;
                if (converged || iterations == o.MaxIterations || !double.IsFinite(residual)) break;
                var old = h;
                var solved = LinearStep(next, jacobian, previous, start, o);
                h = step.Keep(o.StateBound is { } bound ? solved.NanToNum(0).Clamp(-bound, bound) : solved);
                old.Dispose();
                iterations++;
                o.Observe?.Invoke(iterations, h);
            }
        }
        bool graph = IsGradEnabled && (drive.RequiresGrad || (h0?.RequiresGrad ?? false));
        if (!graph) return new NewtonSolution(scope.Keep(h), residuals, iterations, converged);

        // One more Newton step at the (constant) solution, differentiable through f and the scan.
        var last = Shift(h, start);
        var (value, j) = cell.Step(last, drive, withJacobian: o.Jacobian != NewtonJacobian.Zero);
        var states = LinearStep(value, j?.Detach(), last, h0, o);
        return new NewtonSolution(scope.Keep(states), residuals, iterations + 1, converged);
    }

    /// <summary>The previous states h_{t−1} for t = 1..T: h_0 followed by h_1..h_{T−1}. h [batch, time, d], h0 [batch, d].</summary>
    public static Tensor Shift(Tensor h, Tensor h0)
    {
        using var scope = NewScope();
        return scope.Keep(Tensor.Cat([h0.Unsqueeze(1), h.Narrow(1, 0, h.Size(1) - 1)], 1));
    }

    // h_t = J_t h_{t−1} + (f_t − J_t h⁽ᵏ⁾_{t−1}) by the scan; J = 0 (Jacobi) is just h = f.
    private static Tensor LinearStep(Tensor next, Tensor? jacobian, Tensor previous, Tensor? h0, NewtonOptions o)
    {
        using var scope = NewScope();
        if (jacobian is null) return scope.Keep(next + 0);
        if (o.Jacobian == NewtonJacobian.Diagonal && jacobian.Dim == 4) jacobian = jacobian.Diagonal(0, -2, -1);
        var offset = jacobian.Dim == 4 ? jacobian.Matmul(previous.Unsqueeze(-1)).Squeeze(-1) : jacobian * previous;
        return scope.Keep(AffineScan.Scan(jacobian, next - offset, h0, method: o.Method));
    }
}
