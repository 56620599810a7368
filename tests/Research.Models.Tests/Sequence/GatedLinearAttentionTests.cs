using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class GatedLinearAttentionTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x.Double() - y.Double()).Abs().Max().Item<double>();
    }

    private static double RelativeDiff(Tensor x, Tensor reference)
    {
        using var scope = NewScope();
        return MaxAbsDiff(x, reference) / reference.Double().Abs().Max().Item<double>();
    }

    // Random per-head inputs; log α = log σ(z) / τ as in the layer, with z spread wide enough for strong and weak gates.
    private static (Tensor Q, Tensor K, Tensor V, Tensor LogAlpha) Inputs(long batch, long heads, long time, long dk, long dv, DType dtype, double spread = 8, double tau = 4)
    {
        var q = Tensor.RandN([batch, heads, time, dk], dtype);
        var k = Tensor.RandN([batch, heads, time, dk], dtype);
        var v = Tensor.RandN([batch, heads, time, dv], dtype);
        var logAlpha = (Tensor.RandN([batch, heads, time, dk], dtype) * spread).LogSigmoid() / tau;
        return (q, k, v, logAlpha);
    }

    [Theory]
    [InlineData(1, false, true)]
    [InlineData(7, false, true)]     // 50 = 7·7 + 1: the last chunk holds one step
    [InlineData(16, true, true)]     // 50 = 3·16 + 2
    [InlineData(25, true, true)]     // divides T
    [InlineData(64, false, true)]    // one chunk longer than the sequence
    [InlineData(16, true, false)]    // ungated (α ≡ 1) from an initial state
    [InlineData(7, false, false)]
    public void RecurrentParallelAndChunkedAgreeInFloat64(int chunk, bool withInitialState, bool gated)
    {
        using var scope = NewScope();
        ManualSeed(1);
        var (q, k, v, gates) = Inputs(2, 3, 50, 4, 5, DType.Float64);
        var logAlpha = gated ? gates : null;
        var s0 = withInitialState ? Tensor.RandN([2, 3, 4, 5], DType.Float64) : null;

        var (loop, loopState) = GatedLinearAttention.Recurrent(q, k, v, logAlpha, s0);
        var (parallel, parallelState) = GatedLinearAttention.Parallel(q, k, v, logAlpha, s0);
        var (chunked, chunkedState) = GatedLinearAttention.Chunked(q, k, v, logAlpha, s0, chunk);

        Assert.Equal([2L, 3, 50, 5], loop.Shape);
        Assert.Equal(loop.Shape, parallel.Shape);
        Assert.Equal(loop.Shape, chunked.Shape);
        Assert.Equal([2L, 3, 4, 5], chunkedState.Shape);
        Assert.True(MaxAbsDiff(loop, parallel) < 1e-10, $"|parallel − recurrent| = {MaxAbsDiff(loop, parallel):E2}");
        Assert.True(MaxAbsDiff(loop, chunked) < 1e-10, $"|chunked − recurrent| = {MaxAbsDiff(loop, chunked):E2}");
        Assert.True(MaxAbsDiff(loopState, parallelState) < 1e-10, $"final states: |parallel − recurrent| = {MaxAbsDiff(loopState, parallelState):E2}");
        Assert.True(MaxAbsDiff(loopState, chunkedState) < 1e-10, $"final states: |chunked − recurrent| = {MaxAbsDiff(loopState, chunkedState):E2}");
    }

    [Fact]
    public void RecurrentFormFollowsTheDefinitionStepByStep()
    {
        // S_t = diag(α_t) S_{t−1} + k_t v_tᵀ, o_t = S_tᵀ q_t, written out with plain arrays.
        using var scope = NewScope();
        ManualSeed(2);
        const int T = 6, dk = 2, dv = 3;
        var (q, k, v, logAlpha) = Inputs(1, 1, T, dk, dv, DType.Float64);
        double[] qa = q.ToArray<double>(), ka = k.ToArray<double>(), va = v.ToArray<double>(), aa = logAlpha.Exp().ToArray<double>();
        var expected = new double[T * dv];
        var s = new double[dk, dv];
        for (int t = 0; t < T; t++)
        {
            for (int i = 0; i < dk; i++)
                for (int j = 0; j < dv; j++)
                    s[i, j] = aa[t * dk + i] * s[i, j] + ka[t * dk + i] * va[t * dv + j];
            for (int j = 0; j < dv; j++)
                for (int i = 0; i < dk; i++)
                    expected[t * dv + j] += s[i, j] * qa[t * dk + i];
        }

        var actual = GatedLinearAttention.Recurrent(q, k, v, logAlpha).Output.ToArray<double>();

        for (int n = 0; n < expected.Length; n++) Assert.Equal(expected[n], actual[n], 12);
    }

    [Fact]
    public void WithoutGatesItIsCausalLinearAttention()
    {
        using var scope = NewScope();
        ManualSeed(3);
        var (q, k, v, _) = Inputs(2, 2, 20, 3, 4, DType.Float64);
        var attention = q.Matmul(k.Transpose(-1, -2)).Tril().Matmul(v);      // (Q Kᵀ ⊙ M) V

        Assert.True(MaxAbsDiff(GatedLinearAttention.Recurrent(q, k, v).Output, attention) < 1e-10);
        Assert.True(MaxAbsDiff(GatedLinearAttention.Parallel(q, k, v).Output, attention) < 1e-10);
        Assert.True(MaxAbsDiff(GatedLinearAttention.Chunked(q, k, v, chunk: 6).Output, attention) < 1e-10);
    }

    [Fact]
    public void FormsAgreeInFloat32()
    {
        using var scope = NewScope();
        ManualSeed(4);
        var (q, k, v, logAlpha) = Inputs(2, 2, 300, 8, 8, DType.Float64);
        var reference = GatedLinearAttention.Recurrent(q, k, v, logAlpha).Output;

        var parallel = GatedLinearAttention.Parallel(q.Float(), k.Float(), v.Float(), logAlpha.Float()).Output;
        var chunked = GatedLinearAttention.Chunked(q.Float(), k.Float(), v.Float(), logAlpha.Float(), chunk: 32).Output;
        var loop = GatedLinearAttention.Recurrent(q.Float(), k.Float(), v.Float(), logAlpha.Float()).Output;

        Assert.True(RelativeDiff(parallel, reference) < 1e-4, $"parallel float32: {RelativeDiff(parallel, reference):E2}");
        Assert.True(RelativeDiff(chunked, reference) < 1e-4, $"chunked float32: {RelativeDiff(chunked, reference):E2}");
        Assert.True(RelativeDiff(loop, reference) < 1e-4, $"recurrent float32: {RelativeDiff(loop, reference):E2}");
    }

    [Fact]
    public void StrongForgettingNeitherOverflowsNorUnderflowsTheParallelForms()
    {
        // Σ log α over the sequence reaches −2000 nats: b_t = Π α underflows and 1 / b_t overflows even in float64,
        // so the textbook form ((Q ⊙ B)(K / B)ᵀ ⊙ M) V is NaN here; differences of cumulative log-gates are not.
        using var scope = NewScope();
        ManualSeed(5);
        var (q, k, v, _) = Inputs(1, 2, 200, 4, 4, DType.Float64);
        var logAlpha = -(Tensor.Rand([1, 2, 200, 4], DType.Float64) * 20);   // α down to e^−20

        var cumulative = logAlpha.CumSum(2);
        var naive = ((q * cumulative.Exp()).Matmul((k * (-cumulative).Exp()).Transpose(-1, -2)).Tril()).Matmul(v);
        Assert.False(naive.IsFinite().All().Item<bool>(), "the quotient form was expected to break down here");

        var loop = GatedLinearAttention.Recurrent(q, k, v, logAlpha).Output;
        var parallel = GatedLinearAttention.Parallel(q, k, v, logAlpha).Output;
        var chunked32 = GatedLinearAttention.Chunked(q.Float(), k.Float(), v.Float(), logAlpha.Float(), chunk: 64).Output;
        Assert.True(MaxAbsDiff(loop, parallel) < 1e-10);
        Assert.True(chunked32.IsFinite().All().Item<bool>());
        Assert.True(RelativeDiff(chunked32, loop) < 1e-4, $"chunked float32: {RelativeDiff(chunked32, loop):E2}");
    }

    [Fact]
    public void ChunkedGradientsMatchFiniteDifferencesAndTheLoop()
    {
        using var scope = NewScope();
        ManualSeed(6);
        var (q0, k0, v0, a0) = Inputs(1, 2, 11, 3, 2, DType.Float64);
        var s00 = Tensor.RandN([1, 2, 3, 2], DType.Float64);
        var inputs = new[] { q0, k0, v0, a0, s00 }.Select(t => t.Clone().RequiresGrad_()).ToArray();
        var weights = Tensor.RandN([1, 2, 11, 2], DType.Float64);             // a random linear read-out makes every output count
        var stateWeights = Tensor.RandN([1, 2, 3, 2], DType.Float64);
        Tensor Loss(Tensor[] x, Func<Tensor, Tensor, Tensor, Tensor, Tensor, (Tensor Output, Tensor State)> form)
        {
            var (o, s) = form(x[0], x[1], x[2], x[3], x[4]);
            return (o * weights).Sum() + (s * stateWeights).Sum();
        }
        (Tensor, Tensor) Chunked(Tensor q, Tensor k, Tensor v, Tensor a, Tensor s0) => GatedLinearAttention.Chunked(q, k, v, a, s0, chunk: 4);

        var analytic = Autograd.Grad([Loss(inputs, Chunked)], inputs);
        var loopGrads = Autograd.Grad([Loss(inputs, GatedLinearAttention.Recurrent)], inputs);

        const double h = 1e-6;
        var rng = new Random(0);
        using var noGrad = NoGrad();
        for (int which = 0; which < inputs.Length; which++)
        {
            Assert.True(MaxAbsDiff(analytic[which]!, loopGrads[which]!) < 1e-10, $"input {which}: chunked and recurrent gradients differ");
            var flat = analytic[which]!.Reshape(-1).ToArray<double>();
            for (int trial = 0; trial < 6; trial++)
            {
                int index = rng.Next(flat.Length);
                double Perturbed(double delta)
                {
                    using var s = NewScope();
                    var x = inputs.Select(t => t.Detach().Clone()).ToArray();
                    var bump = Tensor.Zeros([flat.Length], DType.Float64);
                    bump[index] = Tensor.ScalarTensor(delta);
                    x[which] = x[which] + bump.View(x[which].Shape);
                    return Loss(x, Chunked).Item<double>();
                }
                double numeric = (Perturbed(h) - Perturbed(-h)) / (2 * h);
                Assert.True(Math.Abs(numeric - flat[index]) < 1e-6 * Math.Max(1, Math.Abs(numeric)),
                    $"input {which}, element {index}: analytic {flat[index]:G10}, finite difference {numeric:G10}");
            }
        }
    }

    [Theory]
    [InlineData(GlaForm.Recurrent)]
    [InlineData(GlaForm.Parallel)]
    [InlineData(GlaForm.Chunked)]
    public void LayerIsCausalInEveryForm(GlaForm form)
    {
        using var scope = NewScope();
        ManualSeed(7);
        using var layer = new GatedLinearAttentionLayer(16, 2, chunk: 5, dtype: DType.Float64);
        var x = Tensor.RandN([2, 23, 16], DType.Float64);
        var changed = x.Clone();
        changed[.., 14..] = Tensor.RandN([2, 9, 16], DType.Float64);        // rewrite the future from t = 14 on

        var y = layer.Forward(x, form);
        var yChanged = layer.Forward(changed, form);

        Assert.True(MaxAbsDiff(y.Narrow(1, 0, 14), yChanged.Narrow(1, 0, 14)) < 1e-12, "outputs before t = 14 saw the future");
        Assert.True(MaxAbsDiff(y.Narrow(1, 14, 9), yChanged.Narrow(1, 14, 9)) > 1e-3, "outputs from t = 14 on ignore their input");
    }

    [Fact]
    public void LayerFormsAgreeAndGatesLieStrictlyBetweenZeroAndOne()
    {
        using var scope = NewScope();
        ManualSeed(8);
        using var layer = new GatedLinearAttentionLayer(24, 3, chunk: 8, dtype: DType.Float64);
        var x = Tensor.RandN([2, 37, 24], DType.Float64) * 3;

        var recurrent = layer.Forward(x, GlaForm.Recurrent);
        Assert.True(MaxAbsDiff(recurrent, layer.Forward(x, GlaForm.Parallel)) < 1e-10);
        Assert.True(MaxAbsDiff(recurrent, layer.Forward(x, GlaForm.Chunked)) < 1e-10);

        var gates = layer.Gates(x);
        Assert.Equal([2L, 3, 37, 4], gates.Shape);                            // d_k = 12 split over 3 heads
        Assert.True(gates.Min().Item<double>() > 0 && gates.Max().Item<double>() < 1, $"gates in [{gates.Min().Item<double>()}, {gates.Max().Item<double>()}]");
        // τ = 16: α = σ(z)^{1/16} stays near 1 unless z is strongly negative.
        Assert.True(gates.Mean().Item<double>() > 0.9);
    }

    [Fact]
    public void UngatedLayerHasNoGateParametersAndUnitGates()
    {
        using var scope = NewScope();
        using var gated = new GatedLinearAttentionLayer(16, 2);
        using var ungated = new GatedLinearAttentionLayer(16, 2, gated: false);
        var names = ungated.NamedParameters().Select(p => p.Name).ToArray();

        Assert.Equal(["query.weight", "key.weight", "value.weight", "output_gate.weight", "output_gate.bias", "head_norm.weight", "output.weight"], names);
        Assert.Equal(16 * 16 + 16 * 8 + 8, gated.ParameterCount() - ungated.ParameterCount());   // W_α1 (16 × 16), W_α2 (16 → 8) and b_α
        Assert.Null(ungated.LogGates(Tensor.Zeros(1, 3, 16)));
        Assert.Equal(1.0, ungated.Gates(Tensor.Zeros(1, 3, 16)).Min().Item<float>());
    }

    [Fact]
    public void BadShapesFailWithClearMessages()
    {
        using var scope = NewScope();
        var q = Tensor.Zeros(1, 2, 5, 4);
        var v = Tensor.Zeros(1, 2, 5, 3);

        Assert.Contains("[batch, heads, time, d_k]", Assert.Throws<ArgumentException>(() => GatedLinearAttention.Recurrent(Tensor.Zeros(2, 5, 4), Tensor.Zeros(2, 5, 4), Tensor.Zeros(2, 5, 3))).Message);
        Assert.Contains("k [1, 2, 5, 5]", Assert.Throws<ArgumentException>(() => GatedLinearAttention.Parallel(q, Tensor.Zeros(1, 2, 5, 5), v)).Message);
        Assert.Contains("v must agree", Assert.Throws<ArgumentException>(() => GatedLinearAttention.Chunked(q, q, Tensor.Zeros(1, 2, 6, 3))).Message);
        Assert.Contains("log α", Assert.Throws<ArgumentException>(() => GatedLinearAttention.Chunked(q, q, v, Tensor.Zeros(1, 2, 5, 3))).Message);
        Assert.Contains("[1, 2, 4, 3]", Assert.Throws<ArgumentException>(() => GatedLinearAttention.Recurrent(q, q, v, null, Tensor.Zeros(1, 2, 3, 4))).Message);
        Assert.Contains("at least one time step", Assert.Throws<ArgumentException>(() => GatedLinearAttention.Parallel(Tensor.Zeros(1, 2, 0, 4), Tensor.Zeros(1, 2, 0, 4), Tensor.Zeros(1, 2, 0, 3))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => GatedLinearAttention.Chunked(q, q, v, chunk: 0));

        using var layer = new GatedLinearAttentionLayer(8, 2);
        Assert.Contains("[batch, time, 8]", Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(1, 5, 6))).Message);
        Assert.Contains("must divide", Assert.Throws<ArgumentException>(() => new GatedLinearAttentionLayer(8, 3)).Message);
    }
}
