using Research.Models.Dynamics;
using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Dynamics;

public class GroupWordNetworkTests
{
    private static double MaxAbsDiff(Tensor x, Tensor y)
    {
        using var scope = NewScope();
        return (x - y).Abs().Max().Item<double>();
    }

    [Fact]
    public void ShapesFollowTheGroupOrderAndWidth()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var model = new GroupWordNetwork(order: 11, width: 16);
        Assert.Equal(new long[] { 11, 16 }, model.Left.Shape);
        Assert.Equal(new long[] { 11, 16 }, model.Right.Shape);
        Assert.Equal(new long[] { 16, 11 }, model.Readout.Shape);
        Assert.Equal(3 * 11 * 16, model.ParameterCount());
        var a = Tensor.From(new long[] { 0, 3, 10, 7, 7 });
        var b = Tensor.From(new long[] { 1, 3, 10, 0, 9 });
        Assert.Equal(new long[] { 5, 16 }, model.Hidden(a, b).Shape);
        Assert.Equal(new long[] { 5, 11 }, model.Forward(a, b).Shape);
    }

    [Theory]
    [InlineData(GroupActivation.Quadratic)]
    [InlineData(GroupActivation.Relu)]
    public void ForwardIsTheTwoLayerNetworkOnConcatenatedOneHots(GroupActivation activation)
    {
        // logits = σ([onehot(a), onehot(b)] · [E_L; E_R]) · W₂
        using var scope = NewScope();
        ManualSeed(1);
        using var model = new GroupWordNetwork(7, 9, activation, dtype: DType.Float64);
        var a = Tensor.RandInt(0, 7, [20]);
        var b = Tensor.RandInt(0, 7, [20]);
        var x = Tensor.Cat([F.OneHot(a, 7).Double(), F.OneHot(b, 7).Double()], dim: 1);          // [20, 14]
        var w1 = Tensor.Cat([model.Left, model.Right], dim: 0);                                   // [14, 9]
        var z = x.Matmul(w1);
        var h = activation == GroupActivation.Quadratic ? z * z : z.Relu();
        Assert.True(MaxAbsDiff(model.PreActivation(a, b), z) < 1e-12);
        Assert.True(MaxAbsDiff(model.Forward(a, b), h.Matmul(model.Readout)) < 1e-12);
    }

    [Fact]
    public void InitialisationUsesTheScaledLinearLayerBounds()
    {
        using var scope = NewScope();
        ManualSeed(2);
        using var model = new GroupWordNetwork(50, 400, initScale: 3);
        double embeddingBound = 3 / Math.Sqrt(100), readoutBound = 3 / Math.Sqrt(400);
        foreach (var (p, bound) in new[] { (model.Left, embeddingBound), (model.Right, embeddingBound), (model.Readout, readoutBound) })
        {
            double max = p.Abs().Max().Item<float>();
            Assert.InRange(max, 0.99 * bound, bound);
            Assert.InRange(p.Double().Mean().Item<double>(), -0.02 * bound, 0.02 * bound);
        }
        double expected = Math.Sqrt(model.Parameters().Sum(p => p.Double().Square().Sum().Item<double>()));
        Assert.Equal(expected, model.WeightNorm(), 9);
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        using var scope = NewScope();
        ManualSeed(3);
        using var model = new GroupWordNetwork(5, 4, dtype: DType.Float64);
        var a = Tensor.From(new long[] { 0, 1, 4, 4, 2 });
        var b = Tensor.From(new long[] { 3, 1, 0, 4, 2 });
        var y = Tensor.From(new long[] { 3, 2, 4, 3, 4 });
        double Loss() { using var s = NewScope(); using var g = NoGrad(); return F.CrossEntropy(model.Forward(a, b), y).Item<double>(); }
        var grads = Autograd.Grad([F.CrossEntropy(model.Forward(a, b), y)], [model.Left, model.Right, model.Readout]);
        var parameters = new Parameter[] { model.Left, model.Right, model.Readout };
        const double h = 1e-6;
        for (int k = 0; k < parameters.Length; k++)
        {
            var analytic = grads[k]!.View(-1).ToArray<double>();
            for (int i = 0; i < analytic.Length; i++)
                Assert.Equal(FiniteDifference.Central(parameters[k], i, Loss, h), analytic[i], 6);
        }
    }

    [Fact]
    public void SameSeedGivesTheSameNetworkAndTheSameTraining()
    {
        using var scope = NewScope();
        float[] Train(ulong seed)
        {
            using var s = NewScope();
            ManualSeed(seed);
            using var model = new GroupWordNetwork(13, 32);
            using var optimizer = new AdamW(model.Parameters(), lr: 1e-2, weightDecay: 0.5);
            var a = Tensor.Arange(13L).RepeatInterleave(13);
            var b = Tensor.Arange(13L).Repeat(13);
            var y = (a + b).Fmod(13L);
            for (int step = 0; step < 20; step++)
            {
                using var stepScope = NewScope();
                var loss = F.CrossEntropy(model.Forward(a, b), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
            return model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
        }
        var first = Train(7);
        Assert.Equal(first, Train(7));                                                             // bitwise
        Assert.NotEqual(first, Train(8));
    }

    [Fact]
    public void FourierUnitsComputeModularAddition()
    {
        // Every unit one Fourier mode k with phases (φ, ψ): E_L[a] = cos(θ_k a + φ), E_R[b] = cos(θ_k b + ψ),
        // W₂[c] = cos(θ_k c + φ + ψ), θ_k = 2πk/p. Over three equally spaced φ and ψ the squared terms and the
        // a − b term cancel, leaving logit_c = 9/2 Σ_k cos(θ_k (a + b − c)): largest exactly at c = a + b mod p.
        using var scope = NewScope();
        const int p = 11;
        var units = new List<(int K, double Phi, double Psi)>();
        for (int k = 1; k <= p / 2; k++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) units.Add((k, 2 * Math.PI * i / 3, 2 * Math.PI * j / 3));
        using var model = new GroupWordNetwork(p, units.Count, dtype: DType.Float64);
        var left = new double[p, units.Count];
        var right = new double[p, units.Count];
        var readout = new double[units.Count, p];
        for (int n = 0; n < units.Count; n++)
        {
            var (k, phi, psi) = units[n];
            for (int a = 0; a < p; a++)
            {
                double theta = 2 * Math.PI * k * a / p;
                left[a, n] = Math.Cos(theta + phi);
                right[a, n] = Math.Cos(theta + psi);
                readout[n, a] = Math.Cos(theta + phi + psi);
            }
        }
        using (NoGrad())
        {
            model.Left.Copy_(Tensor.From(left));
            model.Right.Copy_(Tensor.From(right));
            model.Readout.Copy_(Tensor.From(readout));
        }
        var x = Tensor.Arange((long)p).RepeatInterleave(p);
        var y = Tensor.Arange((long)p).Repeat(p);
        var logits = model.Forward(x, y);
        Assert.True(logits.ArgMax(-1).Eq((x + y).Fmod((long)p)).All().Item<bool>());
        Assert.Equal(4.5 * (p / 2), logits.Max().Item<double>(), 9);                              // at c = a + b every cosine is 1
        var power = CyclicFourier.NeuronPower(model);
        Assert.Equal(1.0, CyclicFourier.Concentration(power), 12);
        Assert.Equal(units.Select(u => (long)u.K), CyclicFourier.DominantFrequencies(power));
    }

    [Fact]
    public void BadInputsAreRejectedWithClearMessages()
    {
        using var scope = NewScope();
        using var model = new GroupWordNetwork(5, 3);
        var ok = Tensor.From(new long[] { 0, 1 });
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.Forward(ok.Float(), ok)).Message);
        Assert.Contains("one length", Assert.Throws<ArgumentException>(() => model.Forward(ok, Tensor.From(new long[] { 0, 1, 2 }))).Message);
        Assert.Contains("0…4", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(ok, Tensor.From(new long[] { 0, 5 }))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(Tensor.From(new long[] { -1, 0 }), ok));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupWordNetwork(5, 3, initScale: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupWordNetwork(0, 3));
    }
}
