using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// One ConvS5 layer (Smith et al., 2023, "Convolutional State Space Models for Long-Range Spatiotemporal Modeling"): a
/// convolutional state space model whose state is a tensor X_t [P, h, w] and whose state operator is pointwise, so after
/// diagonalisation it is one number per state channel, the same at every pixel:
/// <code>
///   X_t = Ā ⊙ X_{t−1} + B̄ ⊙ (B ∗ U_t)        Ā = exp(ΛΔ), B̄ = (Ā − 1)/Λ   (zero-order hold, per channel)
///   Y_t = GELU(C ∗ X_t + D ⊙ U_t)            B: k×k conv U → P channels, C: k×k conv P → U channels
/// </code>
/// Λ = −exp(ν) &lt; 0 is real (the S4D-Real spectrum λ_n = −(n + 1) at initialisation, where S5 uses the complex
/// eigenvalues of the diagonalised HiPPO-N matrix), Δ = exp(log Δ) is drawn per channel log-uniformly in [Δ_min, Δ_max]
/// as in S5. Because the recurrence is linear with a time-invariant diagonal transition, <see cref="Forward(Tensor, Tensor?)"/>
/// computes B ∗ U_t for all frames in one convolution, every state X_1..X_T by one parallel scan
/// (<see cref="AffineScan.Diagonal"/>, chunked, with its adjoint backward) and C ∗ X_t again for all frames at once;
/// <see cref="Step"/> is the recurrence, one frame at a time (generation).
/// </summary>
public sealed class ConvS5 : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer on <paramref name="channels"/> input/output channels with <paramref name="state"/> state channels.</summary>
    public ConvS5(long channels, long state, long kernelSize = 3, double dtMin = 1e-3, double dtMax = 1e-1,
        DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(state, 1);
        if (kernelSize % 2 != 1) throw new ArgumentException($"the kernel size must be odd (same padding), got {kernelSize}", nameof(kernelSize));
        if (!(dtMin > 0 && dtMax >= dtMin)) throw new ArgumentException($"need 0 < Δ_min ≤ Δ_max, got {dtMin}, {dtMax}");
        (Channels, StateChannels) = (channels, state);
        B = new Conv2d(channels, state, kernelSize, padding: kernelSize / 2, bias: false, dtype: dtype, device: device);
        C = new Conv2d(state, channels, kernelSize, padding: kernelSize / 2, dtype: dtype, device: device);
        using var scope = NewScope();
        Nu = new Parameter(Tensor.Arange(1, state + 1, 1, dtype ?? DType.Float32, device).Log());   // Λ_n = −(n + 1)
        var u = Tensor.Rand([state], dtype, device);
        LogDt = new Parameter(u * (Math.Log(dtMax) - Math.Log(dtMin)) + Math.Log(dtMin));
        D = new Parameter(Tensor.RandN([channels], dtype, device));
    }

    /// <summary>Input and output channels U.</summary>
    public long Channels { get; }

    /// <summary>State channels P.</summary>
    public long StateChannels { get; }

    /// <summary>B: the input convolution U → P channels (no bias).</summary>
    public Conv2d B { get; }

    /// <summary>C: the output convolution P → U channels.</summary>
    public Conv2d C { get; }

    /// <summary>ν [P]: the continuous-time eigenvalues Λ = −exp(ν).</summary>
    public Parameter Nu { get; }

    /// <summary>log Δ [P]: the timescale of each state channel.</summary>
    public Parameter LogDt { get; }

    /// <summary>D [U]: the pointwise feed-through.</summary>
    public Parameter D { get; }

    /// <summary>The discretised operators (Ā, B̄), each [P]: Ā = exp(ΛΔ), B̄ = (Ā − 1)/Λ.</summary>
    public (Tensor ABar, Tensor BBar) Discretised()
    {
        using var scope = NewScope();
        var lambda = -Nu.Exp();
        var aBar = (lambda * LogDt.Exp()).Exp();
        return (scope.Keep(aBar), scope.Keep((aBar - 1.0) / lambda));
    }

    /// <summary>u [batch, time, U, h, w] → y [batch, time, U, h, w] from a zero state, all frames at once.</summary>
    public override Tensor Forward(Tensor u) => Forward(u, null).Y;

    /// <summary>
    /// All frames at once from state <paramref name="x0"/> [batch, P, h, w] (null: zeros): returns y [batch, time, U, h, w]
    /// and the last state X_T [batch, P, h, w].
    /// </summary>
    public (Tensor Y, Tensor State) Forward(Tensor u, Tensor? x0)
    {
        CheckInput(u);
        using var scope = NewScope();
        long batch = u.Size(0), time = u.Size(1), h = u.Size(3), w = u.Size(4);
        var (aBar, bBar) = Discretised();
        var frames = u.Flatten(0, 1);                                                             // [batch·time, U, h, w]
        var input = B.Forward(frames) * bBar.View(1, StateChannels, 1, 1);                         // B̄ ⊙ (B ∗ U_t)
        long d = StateChannels * h * w;
        var a = aBar.View(1, 1, StateChannels, 1).Expand(batch, time, StateChannels, h * w).Reshape(batch, time, d);
        var states = AffineScan.Diagonal(a, input.View(batch, time, d), x0?.Reshape(batch, d));    // X_1..X_T [batch, time, P·h·w]
        var x = states.Reshape(batch * time, StateChannels, h, w);
        var y = Output(x, frames).View(batch, time, Channels, h, w);
        var last = states.Select(1, time - 1).Reshape(batch, StateChannels, h, w);
        return (scope.Keep(y), scope.Keep(last));
    }

    /// <summary>One frame: u_t [batch, U, h, w] and X_{t−1} [batch, P, h, w] (null: zeros) → (y_t, X_t).</summary>
    public (Tensor Y, Tensor State) Step(Tensor u, Tensor? x)
    {
        if (u.Dim != 4 || u.Size(1) != Channels)
            throw new ArgumentException($"ConvS5 ({Channels} channels) steps on [batch, {Channels}, h, w], got {u.ShapeString}", nameof(u));
        using var scope = NewScope();
        var (aBar, bBar) = Discretised();
        var input = B.Forward(u) * bBar.View(1, StateChannels, 1, 1);
        var next = x is null ? input : aBar.View(1, StateChannels, 1, 1) * x + input;              // X_t = Ā ⊙ X_{t−1} + B̄ ⊙ (B ∗ U_t)
        return (scope.Keep(Output(next, u)), scope.Keep(next.Alias()));
    }

    // Y_t = GELU(C ∗ X_t + D ⊙ U_t) for frames [n, P, h, w] and [n, U, h, w].
    private Tensor Output(Tensor x, Tensor u) => F.Gelu(C.Forward(x) + D.View(1, Channels, 1, 1) * u);

    private void CheckInput(Tensor u)
    {
        if (u.Dim != 5 || u.Size(2) != Channels)
            throw new ArgumentException($"ConvS5 ({Channels} channels) expects [batch, time, {Channels}, h, w], got {u.ShapeString}", nameof(u));
    }

    protected override string ExtraRepr() => $"{Channels}, state={StateChannels}";
}
