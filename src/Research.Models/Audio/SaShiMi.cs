using System.Text;
using Research.Models.Sequence;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The shape of a <see cref="SaShiMi"/>: the widths of its stages, the pooling factors between them and the S4D layers.
/// Stage 0 runs at the sample rate with <see cref="Width"/> channels; stage s+1 at 1/Pools[s] of stage s's rate with
/// <see cref="Expand"/>× its channels.
/// </summary>
/// <param name="Classes">μ-law classes (256 for 8-bit).</param>
/// <param name="Width">Channels H of the outermost stage.</param>
/// <param name="Modes">Complex modes M per channel of every S4D layer (state size 2M).</param>
/// <param name="Pools">Pooling factor between consecutive stages, outermost first (the paper: 4, 4).</param>
/// <param name="Expand">Channel multiplier per pooling (the paper: 2).</param>
/// <param name="Layers">Residual blocks (S4 then feed-forward) per stage.</param>
/// <param name="Parameterisation">Hurwitz (the paper) or unconstrained real parts of the state eigenvalues.</param>
public sealed record SaShiMiConfig(int Classes = 256, int Width = 16, int Modes = 16, int[]? Pools = null, int Expand = 2, int Layers = 2,
    StateParameterisation Parameterisation = StateParameterisation.Hurwitz)
{
    /// <summary>The pooling factors (default 4, 4).</summary>
    public int[] PoolFactors => Pools ?? [4, 4];

    /// <summary>Samples per step of the innermost stage: the product of the pooling factors (inputs are padded to a multiple).</summary>
    public int Stride => PoolFactors.Aggregate(1, (a, p) => a * p);

    /// <summary>Channels of stage s: Width · Expand^s.</summary>
    public int WidthAt(int stage) => Width * (int)Math.Pow(Expand, stage);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Classes = {Classes}, Width = {Width}, Modes = {Modes}, Pools = [{string.Join(", ", PoolFactors)}], ");
        builder.Append($"Expand = {Expand}, Layers = {Layers}, Parameterisation = {Parameterisation}");
        return true;
    }
}

/// <summary>
/// A SaShiMi residual block (Goel et al., 2022, Fig. 1) at width H, on [batch, time, H]:
/// <code>
///   x = x + W_o GELU(S4D(LN(x)))          state-space sub-block
///   x = x + W_2 GELU(W_1 LN(x))           feed-forward sub-block, expansion 2
/// </code>
/// </summary>
public sealed class SaShiMiBlock : Module<Tensor, Tensor>
{
    /// <summary>Creates the block.</summary>
    public SaShiMiBlock(int width, int modes, StateParameterisation parameterisation, DType? dtype = null, Device? device = null)
    {
        Norm1 = new LayerNorm(width, dtype: dtype, device: device);
        Ssm = new DiagonalStateSpace(width, modes, parameterisation, dtype: dtype, device: device);
        Output = new Linear(width, width, dtype: dtype, device: device);
        Norm2 = new LayerNorm(width, dtype: dtype, device: device);
        Up = new Linear(width, 2 * width, dtype: dtype, device: device);
        Down = new Linear(2 * width, width, dtype: dtype, device: device);
    }

    /// <summary>LN before the S4D layer.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The S4D layer.</summary>
    public DiagonalStateSpace Ssm { get; }

    /// <summary>W_o: position-wise output projection of the S4D sub-block.</summary>
    public Linear Output { get; }

    /// <summary>LN before the feed-forward sub-block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>W_1: H → 2H.</summary>
    public Linear Up { get; }

    /// <summary>W_2: 2H → H.</summary>
    public Linear Down { get; }

    /// <summary>x [batch, time, H] → [batch, time, H] (convolution mode).</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = x + Output.Forward(F.Gelu(Ssm.Forward(Norm1.Forward(x))));
        return scope.Keep(h + Down.Forward(F.Gelu(Up.Forward(Norm2.Forward(h)))));
    }

    /// <summary>One position: x [batch, H] → [batch, H], the S4D layer stepped by <paramref name="ssm"/>.</summary>
    public Tensor Step(Tensor x, DiagonalStateSpaceRecurrence ssm)
    {
        using var scope = NewScope();
        var h = x + Output.Forward(F.Gelu(ssm.Step(Norm1.Forward(x))));
        return scope.Keep(h + Down.Forward(F.Gelu(Up.Forward(Norm2.Forward(h)))));
    }
}

/// <summary>
/// SaShiMi (Goel, Gu, Donahue &amp; Ré, 2022, "It's Raw! Audio Generation with State-Space Models"): an autoregressive
/// multi-scale model of μ-law codes, p(x) = Π_t p(x_t | x_&lt;t), built from S4D residual blocks at several rates:
/// <code>
///   h        = Embed(x)                                              [batch, T, H_0]
///   Stage_s(h) = Blocks_s(h + Up_s(Stage_{s+1}(Down_s(h))))          s &lt; S;   Stage_S(h) = Blocks_S(h)
///   Down_s(h)  = W_d · reshape(h, [T/p, p·H_s])                      [batch, T/p, H_{s+1}]
///   Up_s(z)    = reshape(W_u · shift(z), [T, H_s])                   shift: z[j−1] at pooled step j (causal)
///   logits   = W_out LN(Stage_0(h))                                  [batch, classes, T]
/// </code>
/// Pooling is a reshape: pooled step j sees samples jp … jp+p−1, so its output may only reach samples of block j+1 —
/// hence the shift by one pooled step before up-pooling; every logit at t depends on inputs ≤ t only. Training runs every
/// S4D layer as an FFT convolution (<see cref="Forward"/>); generation runs them as recurrences (<see cref="SaShiMiRecurrence"/>),
/// one sample at a time, where the inner stages step once every p samples.
/// </summary>
public sealed class SaShiMi : Module<Tensor, Tensor>
{
    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public SaShiMi(SaShiMiConfig? config = null, DType? dtype = null, Device? device = null)
    {
        Config = config ?? new SaShiMiConfig();
        var c = Config;
        if (c.Classes < 2 || c.Width < 1 || c.Modes < 1 || c.Expand < 1 || c.Layers < 1 || c.PoolFactors.Any(p => p < 1))
            throw new ArgumentException($"invalid SaShiMi configuration {c}", nameof(config));
        int stages = c.PoolFactors.Length + 1;
        Embed = new Embedding(c.Classes, c.Width, dtype: dtype, device: device);
        Stages = Enumerable.Range(0, stages).Select(s => new SaShiMiStage(c, s, dtype, device)).ToArray();
        Norm = new LayerNorm(c.Width, dtype: dtype, device: device);
        Head = new Linear(c.Width, c.Classes, dtype: dtype, device: device);
    }

    /// <summary>The configuration.</summary>
    public SaShiMiConfig Config { get; }

    /// <summary>The code embedding.</summary>
    public Embedding Embed { get; }

    /// <summary>The stages, outermost (sample rate) first.</summary>
    public SaShiMiStage[] Stages { get; }

    /// <summary>Final LN.</summary>
    public LayerNorm Norm { get; }

    /// <summary>W_out: to the class logits.</summary>
    public Linear Head { get; }

    /// <summary>Every S4D layer, outermost stage first.</summary>
    public IEnumerable<DiagonalStateSpace> StateSpaceLayers => Stages.SelectMany(s => s.Blocks.Select(b => b.Ssm));

    /// <summary>
    /// Logits [batch, classes, time] of p(x[t+1] | x[≤t]) from codes [batch, time] (as <see cref="WaveNet.Forward"/>). Time
    /// is padded at the end to a multiple of <see cref="SaShiMiConfig.Stride"/> (causal: the padding reaches no output kept).
    /// </summary>
    public override Tensor Forward(Tensor codes)
    {
        if (codes.Dim != 2 || codes.DType.IsFloatingPoint())
            throw new ArgumentException($"SaShiMi expects integer codes [batch, time], got {codes.ShapeString} {codes.DType}", nameof(codes));
        using var scope = NewScope();
        long time = codes.Size(1);
        long padded = (time + Config.Stride - 1) / Config.Stride * Config.Stride;
        var input = padded == time ? codes : codes.Pad([0, padded - time], value: Config.Classes / 2);
        var h = StageForward(0, Embed.Forward(input));                            // [batch, T, H_0]
        var logits = Head.Forward(Norm.Forward(h)).Narrow(1, 0, time);             // [batch, time, classes]
        return scope.Keep(logits.Transpose(1, 2));                                 // [batch, classes, time]
    }

    private Tensor StageForward(int s, Tensor h)
    {
        var stage = Stages[s];
        if (stage.DownPool is null) return stage.Blocks.Aggregate(h, (x, b) => b.Forward(x));
        int p = Config.PoolFactors[s];
        long batch = h.Size(0), time = h.Size(1), width = h.Size(2);
        var down = stage.DownPool.Forward(h.Reshape(batch, time / p, p * width)); // [batch, T/p, H_{s+1}]
        var inner = StageForward(s + 1, down);
        var shifted = inner.Pad([0, 0, 1, 0]).Narrow(1, 0, time / p);             // z[j−1] at pooled step j, zeros at j = 0
        var up = stage.UpPool!.Forward(shifted).Reshape(batch, time, width);       // [batch, T, H_s]
        return stage.Blocks.Aggregate(h + up, (x, b) => b.Forward(x));
    }

    /// <summary>
    /// Teacher-forced NLL in nats per sample of codes [batch, time] over targets t ≥ <paramref name="conditionOn"/>, exactly
    /// as <see cref="WaveNet.NextSampleNll"/>.
    /// </summary>
    public Tensor NextSampleNll(Tensor codes, long conditionOn = 1)
    {
        long time = codes.Size(1);
        if (conditionOn < 1 || conditionOn >= time)
            throw new ArgumentOutOfRangeException(nameof(conditionOn), conditionOn, $"must be in [1, {time - 1}] for {time} samples");
        using var scope = NewScope();
        var logits = Forward(codes.Narrow(1, 0, time - 1));                       // logits[t] predicts x[t+1]
        var scored = logits.Narrow(2, conditionOn - 1, time - conditionOn);
        return scope.Keep(F.CrossEntropy(scored, codes.Narrow(1, conditionOn, time - conditionOn)));
    }

    /// <summary>
    /// Samples <paramref name="samples"/> codes [batch, samples] in recurrent mode, after stepping through
    /// <paramref name="prime"/> ([batch, n] or [n]; default one silent code per sequence), with WaveNet's sampler (inverse CDF,
    /// private generator from <paramref name="seed"/>, logits / <paramref name="temperature"/>, 0: argmax). When
    /// <paramref name="stateMagnitudes"/> is given, the largest |x| over every S4D state is appended after each step (prime included).
    /// </summary>
    public Tensor Generate(long samples, int seed = 0, double temperature = 1.0, Tensor? prime = null, long batch = 1,
        List<double>? stateMagnitudes = null) =>
        CodeSampler.Generate(samples, seed, temperature, prime, batch, Config.Classes, Head.Weight.Device, n => new SaShiMiRecurrence(this, n),
            stateMagnitudes is null ? null : stepper => stateMagnitudes.Add(((SaShiMiRecurrence)stepper).MaxStateMagnitude()));

    protected override string ExtraRepr() => $"stride={Config.Stride}, parameterisation={Config.Parameterisation}";
}

/// <summary>
/// One stage of a <see cref="SaShiMi"/>: its residual blocks and, except in the innermost stage, the pooling layers to and
/// from the next stage (W_d: p·H_s → H_{s+1}, W_u: H_{s+1} → p·H_s).
/// </summary>
public sealed class SaShiMiStage : Module
{
    /// <summary>Creates stage <paramref name="stage"/> of <paramref name="config"/>.</summary>
    public SaShiMiStage(SaShiMiConfig config, int stage, DType? dtype = null, Device? device = null)
    {
        int width = config.WidthAt(stage);
        Blocks = Enumerable.Range(0, config.Layers)
            .Select(_ => new SaShiMiBlock(width, config.Modes, config.Parameterisation, dtype, device)).ToArray();
        if (stage < config.PoolFactors.Length)
        {
            int p = config.PoolFactors[stage], next = config.WidthAt(stage + 1);
            DownPool = new Linear(p * width, next, dtype: dtype, device: device);
            UpPool = new Linear(next, p * width, dtype: dtype, device: device);
        }
    }

    /// <summary>The residual blocks, applied after the up-pooled inner stage is added.</summary>
    public SaShiMiBlock[] Blocks { get; }

    /// <summary>W_d (null in the innermost stage).</summary>
    public Linear? DownPool { get; }

    /// <summary>W_u (null in the innermost stage).</summary>
    public Linear? UpPool { get; }
}

/// <summary>
/// The recurrent mode of a <see cref="SaShiMi"/>: one sample per <see cref="Step"/>, every S4D layer a
/// <see cref="DiagonalStateSpaceRecurrence"/>. Stage s buffers its last p inputs; when a block of p is complete it
/// down-pools them and steps stage s+1 once, whose up-pooled output then serves the next p samples (before the first block
/// completes: W_u·0, the zeros of the convolution mode's shift). From zero states, <see cref="Step"/> at time t returns
/// <see cref="SaShiMi.Forward"/>'s logits[:, :, t].
/// </summary>
public sealed class SaShiMiRecurrence : ICodeStepper
{
    private readonly SaShiMi _model;
    private readonly DiagonalStateSpaceRecurrence[][] _ssms;                       // per stage, per block
    private readonly List<Tensor>[] _pending;                                      // per stage: inputs of the open block
    private readonly Tensor?[] _upcoming;                                          // per stage: [batch, p, H_s] for the open block

    /// <summary>Creates zero states for <paramref name="batch"/> sequences (weights of the S4D layers snapshotted).</summary>
    public SaShiMiRecurrence(SaShiMi model, long batch)
    {
        _model = model;
        var stages = model.Stages;
        _ssms = stages.Select(s => s.Blocks.Select(b => b.Ssm.Recurrence(batch)).ToArray()).ToArray();
        _pending = stages.Select(_ => new List<Tensor>()).ToArray();
        _upcoming = new Tensor?[stages.Length];
        using var noGrad = NoGrad();
        for (int s = 0; s < stages.Length - 1; s++)
        {
            using var scope = NewScope();
            var zero = Tensor.Zeros([batch, model.Config.WidthAt(s + 1)], model.Head.Weight.DType, model.Head.Weight.Device);
            _upcoming[s] = scope.Keep(UpPool(s, zero)).DetachFromScope();
        }
    }

    /// <summary>Feeds codes x[t] [batch] and returns the logits [batch, classes] of p(x[t+1] | x[≤t]).</summary>
    public Tensor Step(Tensor codes)
    {
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var h = StageStep(0, _model.Embed.Forward(codes));                          // [batch, H_0]
        return scope.Keep(_model.Head.Forward(_model.Norm.Forward(h)));
    }

    /// <summary>max |x| over every S4D state of every stage (+∞ once any is not finite).</summary>
    public double MaxStateMagnitude() => _ssms.SelectMany(s => s).Max(r => r.MaxStateMagnitude());

    private Tensor StageStep(int s, Tensor x)
    {
        var stage = _model.Stages[s];
        if (stage.DownPool is null) return Blocks(s, x);
        var pending = _pending[s];
        var y = Blocks(s, x + _upcoming[s]!.Select(1, pending.Count));
        pending.Add(x.Alias().DetachFromScope());
        if (pending.Count == _model.Config.PoolFactors[s])
        {
            using var scope = NewScope();
            var down = stage.DownPool.Forward(Tensor.Cat([.. pending], 1));         // [batch, p·H_s] → [batch, H_{s+1}]
            foreach (var t in pending) t.Dispose();
            pending.Clear();
            var inner = StageStep(s + 1, down);
            _upcoming[s]!.Dispose();
            _upcoming[s] = scope.Keep(UpPool(s, inner)).DetachFromScope();
        }
        return y;
    }

    private Tensor Blocks(int s, Tensor x)
    {
        var blocks = _model.Stages[s].Blocks;
        for (int i = 0; i < blocks.Length; i++) x = blocks[i].Step(x, _ssms[s][i]);
        return x;
    }

    private Tensor UpPool(int s, Tensor inner) =>
        _model.Stages[s].UpPool!.Forward(inner).Reshape(inner.Size(0), _model.Config.PoolFactors[s], _model.Config.WidthAt(s));

    /// <summary>Frees the states and buffers.</summary>
    public void Dispose()
    {
        foreach (var r in _ssms.SelectMany(s => s)) r.Dispose();
        foreach (var t in _pending.SelectMany(p => p)) t.Dispose();
        foreach (var t in _upcoming) t?.Dispose();
    }
}
