using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>
/// A diagonal linear state-space layer with a time-invariant transition, evaluated by <see cref="LinearRecurrence.Chunked"/>:
/// <code>
///   h_t = a ⊙ h_{t−1} + B u_t          a = σ(ν) ∈ (0, 1) per state channel, h_0 = 0
///   y_t = u_t + C GELU(h_t)             residual read-out
/// </code>
/// <see cref="Step"/> advances one time step (the recurrence, for generation that resumes or for checking the scan).
/// </summary>
public sealed class DiagonalSsmLayer : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer on <paramref name="width"/> channels with <paramref name="state"/> state channels; a starts in (0.5, 0.99).</summary>
    public DiagonalSsmLayer(int width, int state, int chunk = 32, DType? dtype = null, Device? device = null)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "must be ≥ 1");
        Chunk = chunk;
        Input = new Linear(width, state, bias: false, dtype: dtype, device: device);
        Output = new Linear(state, width, dtype: dtype, device: device);
        using var scope = NewScope();
        var a = Tensor.Rand([state], dtype, device) * 0.49 + 0.5;                                    // a ∈ (0.5, 0.99): memories of 2 … 100 steps
        Nu = new Parameter((a / (1.0 - a)).Log());                                                  // σ(ν) = a
    }

    /// <summary>Chunk length of the parallel scan.</summary>
    public int Chunk { get; }

    /// <summary>B: input → state.</summary>
    public Linear Input { get; }

    /// <summary>C: state → output.</summary>
    public Linear Output { get; }

    /// <summary>ν: the transition a = σ(ν), [state].</summary>
    public Parameter Nu { get; }

    /// <summary>u [batch, time, width] → y [batch, time, width], all steps at once (parallel scan).</summary>
    public override Tensor Forward(Tensor u)
    {
        using var scope = NewScope();
        var b = Input.Forward(u);                                                                     // [batch, time, state]
        var a = Nu.Sigmoid().Expand(b.Shape);
        var h = LinearRecurrence.Chunked(a, b, chunk: Chunk);
        return scope.Keep(u + Output.Forward(F.Gelu(h)));
    }

    /// <summary>One step: u_t [batch, width] and h_{t−1} [batch, state] (null: zeros) → (y_t, h_t).</summary>
    public (Tensor Y, Tensor H) Step(Tensor u, Tensor? h)
    {
        using var scope = NewScope();
        var b = Input.Forward(u);
        var next = h is null ? b : Nu.Sigmoid() * h + b;
        return (scope.Keep(u + Output.Forward(F.Gelu(next))), scope.Keep(next.Alias()));
    }
}

/// <summary>
/// A causal stack of <see cref="DiagonalSsmLayer"/>s between a linear input and output map:
/// in → width → SSM layers → GELU → out, [batch, time, in] → [batch, time, out]; output t sees inputs ≤ t.
/// </summary>
public sealed class SsmStack : Module<Tensor, Tensor>
{
    /// <summary>Creates the stack.</summary>
    public SsmStack(int inputs, int width, int state, int layers, int outputs, int chunk = 32, DType? dtype = null, Device? device = null)
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "must be ≥ 1");
        In = new Linear(inputs, width, dtype: dtype, device: device);
        Layers = Enumerable.Range(0, layers).Select(_ => new DiagonalSsmLayer(width, state, chunk, dtype, device)).ToArray();
        Out = new Linear(width, outputs, dtype: dtype, device: device);
    }

    /// <summary>Input map.</summary>
    public Linear In { get; }

    /// <summary>The SSM layers.</summary>
    public DiagonalSsmLayer[] Layers { get; }

    /// <summary>Output map.</summary>
    public Linear Out { get; }

    /// <summary>[batch, time, in] → [batch, time, out], all steps in parallel.</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = In.Forward(x);
        foreach (var layer in Layers) h = layer.Forward(h);
        return scope.Keep(Out.Forward(F.Gelu(h)));
    }

    /// <summary>One step: x_t [batch, in] and the layers' states (null entries: zeros) → (output_t, the new states).</summary>
    public (Tensor Y, Tensor[] States) Step(Tensor x, Tensor?[] states)
    {
        using var scope = NewScope();
        var h = In.Forward(x);
        var next = new Tensor[Layers.Length];
        for (int l = 0; l < Layers.Length; l++) (h, next[l]) = Layers[l].Step(h, states[l]);
        return (scope.Keep(Out.Forward(F.Gelu(h))), next.Select(scope.Keep).ToArray());
    }
}

/// <summary>
/// The variational state-space model (VSSM) of "Parallelizing Autoregressive Generation with Variational State Space Models":
/// a VAE over sequences whose encoder and decoder are SSMs, with one latent z_t per step and a prior that is i.i.d. over time:
/// <code>
///   q(z_t | x_{≤t}) = N(μ_t, σ_t²)            (μ, log σ²) = Encoder(x)          causal SSM stack
///   p(z_t)          = N(0, I)                  independent over t: all latents are sampled at once
///   p(x_t | z_{≤t}) = Bernoulli(σ(ℓ_t))        ℓ = Decoder(z)                   causal SSM stack
///   ELBO = Σ_t E_q[log p(x_t | z_{≤t})] − Σ_t KL(q(z_t | x_{≤t}) ‖ N(0, I))
/// </code>
/// Generation samples z_{1:T} from the prior in one call and decodes all steps with the parallel scan, then samples every
/// x_t at once: no loop over tokens (<see cref="Generate"/>). <see cref="GenerateStepwise"/> samples the same model with a
/// token loop through the decoder's recurrence, the way a recurrent sampler would. Binary sequences [batch, time] in {0, 1}
/// (float).
/// Without an encoder q(z | x) is the prior itself (μ = 0, log σ² = 0, KL = 0): the decoder's latents carry no information
/// about x and the ELBO is E_{z∼N(0, I)} log p(x | z) — the control that shows what the inferred latents are worth.
/// </summary>
public sealed class VariationalSsm : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates encoder and decoder: <paramref name="layers"/> SSM layers of <paramref name="width"/> channels and
    /// <paramref name="state"/> states each; with <paramref name="encoder"/> false, the decoder alone (q(z | x) = p(z)).
    /// </summary>
    public VariationalSsm(int latent, int width, int state, int layers, int chunk = 32, bool encoder = true, DType? dtype = null, Device? device = null)
    {
        Latent = latent;
        if (encoder) Encoder = new SsmStack(1, width, state, layers, 2 * latent, chunk, dtype, device);
        Decoder = new SsmStack(latent, width, state, layers, 1, chunk, dtype, device);
    }

    /// <summary>The parameters of a model of this shape, without building it.</summary>
    public static long ParameterCountOf(int latent, int width, int state, int layers, bool encoder = true)
    {
        long w = width, n = state;
        long Stack(long inputs, long outputs) => inputs * w + w + layers * (2 * w * n + w + n) + w * outputs + outputs;
        return (encoder ? Stack(1, 2 * latent) : 0) + Stack(latent, 1);
    }

    /// <summary>Latent channels per step.</summary>
    public int Latent { get; }

    /// <summary>x → (μ, log σ²) per step; null when q(z | x) is the prior (the latents carry no information).</summary>
    public SsmStack? Encoder { get; }

    /// <summary>z → Bernoulli logits per step.</summary>
    public SsmStack Decoder { get; }

    /// <summary>KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²), elementwise.</summary>
    public static Tensor GaussianKl(Tensor mu, Tensor logVar)
    {
        using var scope = NewScope();
        return scope.Keep(0.5 * (mu.Square() + logVar.Exp() - 1.0 - logVar));
    }

    /// <summary>The reparameterised sample z = μ + σ ⊙ ε with ε ~ N(0, I) (differentiable in μ and log σ²).</summary>
    public static Tensor Reparameterise(Tensor mu, Tensor logVar, Tensor epsilon)
    {
        using var scope = NewScope();
        return scope.Keep(mu + (0.5 * logVar).Exp() * epsilon);
    }

    /// <summary>The posterior's (μ, log σ²), each [batch, time, latent], for x [batch, time] (zeros without an encoder).</summary>
    public (Tensor Mu, Tensor LogVar) Posterior(Tensor x)
    {
        using var scope = NewScope();
        if (Encoder is null)
        {
            var p = Decoder.In.Weight;
            return (scope.Keep(Tensor.Zeros([x.Size(0), x.Size(1), Latent], p.DType, p.Device)),
                scope.Keep(Tensor.Zeros([x.Size(0), x.Size(1), Latent], p.DType, p.Device)));
        }
        var stats = Encoder.Forward(x.Unsqueeze(-1));
        return (scope.Keep(stats.Narrow(2, 0, Latent)), scope.Keep(stats.Narrow(2, Latent, Latent).Clamp(-8, 8)));
    }

    /// <summary>Bernoulli logits [batch, time] of x_t given z_{≤t} (z [batch, time, latent]).</summary>
    public Tensor Decode(Tensor z)
    {
        using var scope = NewScope();
        return scope.Keep(Decoder.Forward(z).Squeeze(-1));
    }

    /// <summary>One sample's ELBO per sequence [batch] (nats): Σ_t log p(x_t | z_{≤t}) − Σ_t KL_t, with z = μ + σ ε.</summary>
    public Tensor Elbo(Tensor x)
    {
        using var scope = NewScope();
        var (mu, logVar) = Posterior(x);
        var z = Reparameterise(mu, logVar, mu.RandNLike());
        var logLikelihood = -F.BinaryCrossEntropyWithLogits(Decode(z), x, reduction: Reduction.None).Sum(1);
        return scope.Keep(logLikelihood - GaussianKl(mu, logVar).Sum(2).Sum(1));
    }

    /// <summary>
    /// The importance-weighted bound log (1/K) Σ_k p(x, z_k)/q(z_k | x) per sequence [batch] (nats; K = 1 is the ELBO's estimate,
    /// larger K is tighter, still ≤ log p(x)).
    /// </summary>
    public Tensor ImportanceWeightedBound(Tensor x, int samples)
    {
        using var scope = NewScope();
        var (mu, logVar) = Posterior(x);
        var terms = new Tensor[samples];
        for (int k = 0; k < samples; k++)
        {
            var eps = mu.RandNLike();
            var z = Reparameterise(mu, logVar, eps);
            var logLikelihood = -F.BinaryCrossEntropyWithLogits(Decode(z), x, reduction: Reduction.None).Sum(1);
            var logPrior = (-0.5 * (z.Square() + Math.Log(2 * Math.PI))).Sum(2).Sum(1);
            var logQ = (-0.5 * (eps.Square() + logVar + Math.Log(2 * Math.PI))).Sum(2).Sum(1);
            terms[k] = logLikelihood + logPrior - logQ;
        }
        return scope.Keep(Tensor.Stack(terms, 0).LogSumExp(0) - Math.Log(samples));
    }

    /// <summary>Negative ELBO per sequence, averaged over the batch (the training loss).</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        return scope.Keep(-Elbo(x).Mean());
    }

    /// <summary>
    /// The parallel sampler: <paramref name="batch"/> sequences of <paramref name="length"/> steps, all latents drawn at once,
    /// one parallel decode, all pixels at once (<see cref="Sample"/> with fresh draws).
    /// </summary>
    public Tensor Generate(int batch, int length)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var p = Decoder.In.Weight;
        var z = Tensor.RandN([batch, length, Latent], p.DType, p.Device);
        var u = Tensor.Rand([batch, length], p.DType, p.Device);
        return scope.Keep(Sample(z, u).Samples);
    }

    /// <summary>
    /// The parallel sampler with its draws given: z [batch, time, latent] ~ N(0, I) and u [batch, time] ~ U[0, 1) give
    /// x_t = 1[u_t &lt; σ(ℓ_t)], ℓ = Decode(z) by the scan. Returns the samples and σ(ℓ), [batch, time] each.
    /// </summary>
    public (Tensor Samples, Tensor Probabilities) Sample(Tensor z, Tensor u)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var probabilities = Decode(z).Sigmoid();
        return (scope.Keep((u < probabilities).To(probabilities.DType)), scope.Keep(probabilities));
    }

    /// <summary>
    /// The token-loop sampler: the same generative model stepped one time step at a time through the decoder's recurrence
    /// (<see cref="SsmStack.Step"/>), with z_t and u_t drawn in step order as a recurrent sampler would; [batch, length].
    /// With <paramref name="resetEvery"/> the decoder's state is set back to zero at every multiple of it: a sampler that
    /// forgets across blocks (a wrong recurrence, the control a sampler comparison must detect).
    /// </summary>
    public Tensor GenerateStepwise(int batch, int length, int? resetEvery = null)
    {
        using var scope = NewScope();
        var p = Decoder.In.Weight;
        var (samples, _) = StepLoop(length, _ => (Tensor.RandN([batch, Latent], p.DType, p.Device), Tensor.Rand([batch], p.DType, p.Device)),
            resetEvery);
        return scope.Keep(samples);
    }

    /// <summary>
    /// The token-loop sampler with its draws given (z [batch, time, latent], u [batch, time]): for t = 1 … T, one decoder
    /// step on z_t, then x_t = 1[u_t &lt; σ(ℓ_t)]. With the draws of <see cref="Sample"/> it gives the same sequences;
    /// <paramref name="resetEvery"/> as in <see cref="GenerateStepwise"/>.
    /// </summary>
    public (Tensor Samples, Tensor Probabilities) SampleStepwise(Tensor z, Tensor u, int? resetEvery = null) =>
        StepLoop((int)z.Size(1), t => (z.Select(1, t), u.Select(1, t)), resetEvery);

    /// <summary>x_t = 1[u_t &lt; σ(ℓ_t)] with ℓ from the recurrence on the draws (z_t, u_t) of t = 0 … length − 1, drawn in that order.</summary>
    private (Tensor Samples, Tensor Probabilities) StepLoop(int length, Func<int, (Tensor Z, Tensor U)> draw, int? resetEvery)
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        var draws = Enumerable.Range(0, length).Select(draw).ToArray();
        var probabilities = StepLogits(length, t => draws[t].Z, resetEvery).Select(l => l.Sigmoid()).ToArray();
        var samples = probabilities.Select((p, t) => (draws[t].U < p).To(p.DType)).ToArray();
        return (scope.Keep(Tensor.Stack(samples, 1)), scope.Keep(Tensor.Stack(probabilities, 1)));
    }

    /// <summary>The decoder's logits by the recurrence, one step at a time (the definition the parallel decode must match).</summary>
    public Tensor DecodeStepwise(Tensor z)
    {
        using var scope = NewScope();
        return scope.Keep(Tensor.Stack(StepLogits((int)z.Size(1), t => z.Select(1, t), resetEvery: null).ToArray(), 1));
    }

    /// <summary>
    /// The decoder stepped through its recurrence: the logits [batch] of t = 0 … length − 1, z_t [batch, latent] asked for in
    /// order; the state starts from zero, and again at every multiple of <paramref name="resetEvery"/> when given.
    /// </summary>
    private IEnumerable<Tensor> StepLogits(int length, Func<int, Tensor> latent, int? resetEvery)
    {
        if (resetEvery < 1) throw new ArgumentOutOfRangeException(nameof(resetEvery), resetEvery, "a reset period must be at least 1 step");
        var states = new Tensor?[Decoder.Layers.Length];
        for (int t = 0; t < length; t++)
        {
            if (t > 0 && t % resetEvery == 0) states = new Tensor?[states.Length];
            (var y, var next) = Decoder.Step(latent(t), states);
            states = next;
            yield return y.Squeeze(-1);
        }
    }
}
