using Research.Models.Hypernetworks;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Hypernetworks;

public class GeneratedLinearTests
{
    [Fact]
    public void SharedWeightsGiveExactlyLinear()
    {
        using var scope = NewScope();
        ManualSeed(1);
        using var linear = new Linear(5, 3);
        var x = Tensor.RandN(4, 7, 5);

        var expected = linear.Forward(x);
        var actual = GeneratedLinear.Forward(x, linear.Weight, linear.Bias);

        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(0, (actual - expected).Abs().Max().Item<float>());
    }

    [Fact]
    public void EachConditionUsesItsOwnWeightsLikeALinearLayer()
    {
        // y[b] = Linear(W[b], b[b])(x[b]) for every condition b, with and without a sample dimension.
        using var scope = NewScope();
        ManualSeed(2);
        const int batch = 4, samples = 6, inputs = 5, outputs = 3;
        var weight = Tensor.RandN(batch, outputs, inputs);
        var bias = Tensor.RandN(batch, outputs);
        var x = Tensor.RandN(batch, samples, inputs);

        var y = GeneratedLinear.Forward(x, weight, bias);
        var yNoBias = GeneratedLinear.Forward(x, weight);
        var ySingle = GeneratedLinear.Forward(x.Select(1, 2), weight, bias);

        Assert.Equal([batch, samples, outputs], y.Shape);
        Assert.Equal([batch, outputs], ySingle.Shape);
        for (int b = 0; b < batch; b++)
        {
            using var linear = new Linear(inputs, outputs);
            using (NoGrad())
            {
                linear.Weight.Copy_(weight[b]);
                linear.Bias!.Copy_(bias[b]);
            }
            var expected = linear.Forward(x[b]);
            Assert.True((y[b] - expected).Abs().Max().Item<float>() < 1e-5);
            Assert.True((yNoBias[b] - (expected - bias[b])).Abs().Max().Item<float>() < 1e-5);
            Assert.True((ySingle[b] - expected[2]).Abs().Max().Item<float>() < 1e-5);
        }
    }

    [Fact]
    public void GradientsReachTheGeneratedWeightsAndTheInput()
    {
        // Autograd through the batched product equals central finite differences of the loss in W, b and x.
        using var scope = NewScope();
        ManualSeed(3);
        var weight = Tensor.RandN([3, 2, 4], DType.Float64).RequiresGrad_();
        var bias = Tensor.RandN([3, 2], DType.Float64).RequiresGrad_();
        var x = Tensor.RandN([3, 5, 4], DType.Float64).RequiresGrad_();
        double Loss() { using var s = NewScope(); return GeneratedLinear.Forward(x, weight, bias).Tanh().Square().Sum().Item<double>(); }

        var loss = GeneratedLinear.Forward(x, weight, bias).Tanh().Square().Sum();
        var grads = Autograd.Grad([loss], [weight, bias, x]);
        var tensors = new[] { weight, bias, x };
        const double h = 1e-6;
        for (int t = 0; t < tensors.Length; t++)
        {
            var grad = grads[t]!.Reshape(-1);
            long n = tensors[t].NumEl;
            foreach (long i in new long[] { 0, n / 2, n - 1 })
            {
                double fd = FiniteDifference.Central(tensors[t], i, Loss, h), analytic = grad[i].Item<double>();
                Assert.True(Math.Abs(fd - analytic) < 1e-6 * Math.Max(1, Math.Abs(fd)), $"tensor {t}, entry {i}: autograd {analytic} vs finite difference {fd}");
            }
        }
    }

    [Fact]
    public void MismatchedShapesAreClearErrors()
    {
        using var scope = NewScope();
        var w = Tensor.Zeros(4, 3, 5);
        var b = Tensor.Zeros(4, 3);

        var wrongIn = Assert.Throws<ArgumentException>(() => GeneratedLinear.Forward(Tensor.Zeros(4, 6, 2), w, b));
        Assert.Contains("[4, 3, 5]", wrongIn.Message);
        Assert.Contains("[4, 6, 2]", wrongIn.Message);
        var wrongBatch = Assert.Throws<ArgumentException>(() => GeneratedLinear.Forward(Tensor.Zeros(2, 6, 5), w, b));
        Assert.Contains("[4, N, 5]", wrongBatch.Message);
        var wrongBias = Assert.Throws<ArgumentException>(() => GeneratedLinear.Forward(Tensor.Zeros(4, 6, 5), w, Tensor.Zeros(4, 5)));
        Assert.Contains("bias [4, 3]", wrongBias.Message);
        var wrongWeight = Assert.Throws<ArgumentException>(() => GeneratedLinear.Forward(Tensor.Zeros(4, 5), Tensor.Zeros(5)));
        Assert.Contains("[batch, out, in]", wrongWeight.Message);
        var wrongSharedBias = Assert.Throws<ArgumentException>(() => GeneratedLinear.Forward(Tensor.Zeros(4, 5), Tensor.Zeros(3, 5), Tensor.Zeros(4)));
        Assert.Contains("bias [3]", wrongSharedBias.Message);
    }
}
