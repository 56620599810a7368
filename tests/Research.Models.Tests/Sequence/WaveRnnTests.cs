using Research.Models.Sequence;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Sequence;

public class WaveRnnTests
{
    // One impulse at t = 0, silence afterwards: [1, time, 1].
    private static Tensor Impulse(int time)
    {
        var x = new float[time];
        x[0] = 1;
        return Tensor.From(x, 1, time, 1);
    }

    [Fact]
    public void ShiftRingCarriesAnImpulseOneUnitPerStepAroundTheRing()
    {
        using var scope = NewScope();
        using var net = new WaveRnn(inputs: 1, outputs: 1, ringSize: 8, channels: 2, init: RingInit.Shift);
        var states = net.States(Impulse(12));                                  // [1, time, channels, ring]
        for (int t = 0; t < 12; t++)
            for (int c = 0; c < 2; c++)
                for (int j = 0; j < 8; j++)
                    Assert.Equal(j == t % 8 ? 1f : 0f, states[0, t, c, j].Item<float>());
    }

    [Fact]
    public void IdentityRingHoldsTheImpulseWhereItEntered()
    {
        using var scope = NewScope();
        using var net = new WaveRnn(inputs: 1, outputs: 1, ringSize: 8, channels: 2, init: RingInit.Identity);
        var states = net.States(Impulse(5));
        for (int t = 0; t < 5; t++)
            for (int j = 0; j < 8; j++)
                Assert.Equal(j == 0 ? 1f : 0f, states[0, t, 1, j].Item<float>());
    }

    [Fact]
    public void RecurrenceIsACircularConvolutionOverEachRing()
    {
        // h_t[c, j] = relu(Σ_{c', m} u[c, c', m] h_{t−1}[c', (j + m − k/2) mod n] + β_c + (V x_t + b)[c, j]), in float64.
        using var scope = NewScope();
        ManualSeed(3);
        const int n = 6, channels = 3, k = 3, inputs = 2, time = 7;
        using var net = new WaveRnn(inputs, outputs: 4, n, channels, k, dtype: DType.Float64);
        using (NoGrad())
            foreach (var p in net.Parameters()) p.Copy_(Tensor.RandN(p.Shape, DType.Float64) * 0.5);
        var x = Tensor.RandN([2, time, inputs], DType.Float64);

        var states = net.States(x).ToArray<double>();                                            // [2, time, channels, n]
        var u = net.Ring.Weight.ToArray<double>();
        var beta = net.Ring.Bias!.ToArray<double>();
        var drive = net.Encoder.Forward(x).ToArray<double>();                                    // [2, time, channels·n]
        for (int b = 0; b < 2; b++)
        {
            var h = new double[channels * n];
            for (int t = 0; t < time; t++)
            {
                var next = new double[channels * n];
                for (int c = 0; c < channels; c++)
                    for (int j = 0; j < n; j++)
                    {
                        double sum = beta[c] + drive[(b * time + t) * channels * n + c * n + j];
                        for (int c2 = 0; c2 < channels; c2++)
                            for (int m = 0; m < k; m++)
                                sum += u[(c * channels + c2) * k + m] * h[c2 * n + ((j + m - k / 2) % n + n) % n];
                        next[c * n + j] = Math.Max(0, sum);
                    }
                h = next;
                for (int i = 0; i < h.Length; i++)
                    Assert.Equal(h[i], states[(b * time + t) * channels * n + i], 10);
            }
        }
    }

    [Fact]
    public void RecurrentMatrixAppliesTheRingConvolution()
    {
        using var scope = NewScope();
        ManualSeed(5);
        using var net = new WaveRnn(inputs: 1, outputs: 1, ringSize: 7, channels: 3, kernelSize: 5, dtype: DType.Float64);
        using (NoGrad()) net.Ring.Weight.Copy_(Tensor.RandN(net.Ring.Weight.Shape, DType.Float64));
        var h = Tensor.RandN([4, 3, 7], DType.Float64);
        var byConvolution = net.Ring.Forward(h) - net.Ring.Bias!.View(1, 3, 1);
        var byMatrix = h.Flatten(1).Matmul(net.RecurrentMatrix().T).View(4, 3, 7);
        Assert.True(byMatrix.AllClose(byConvolution, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void ForwardReadsEveryStepOutOfTheWholeState()
    {
        using var scope = NewScope();
        ManualSeed(0);
        using var net = new WaveRnn(inputs: 3, outputs: 5, ringSize: 10, channels: 2);
        var x = Tensor.RandN([4, 9, 3]);
        var y = net.Forward(x);
        Assert.Equal([4L, 9, 5], y.Shape);
        var expected = net.Readout.Forward(net.States(x).Flatten(2));
        Assert.True(y.AllClose(expected));
    }

    [Fact]
    public void IdentityRnnStartsAsTheIdentityAndCountsItsParameters()
    {
        using var scope = NewScope();
        using var net = new IdentityRnn(inputs: 3, outputs: 4, hidden: 7);
        Assert.True(net.Recurrent.Weight.Equal(Tensor.Eye(7)));
        Assert.Equal(0f, net.Recurrent.Bias!.Abs().Max().Item<float>());
        Assert.Equal(IdentityRnn.ParameterCount(3, 4, 7), net.ParameterCount());
        Assert.Equal(7, IdentityRnn.HiddenSizeFor(3, 4, IdentityRnn.ParameterCount(3, 4, 7) + 2));

        // With no input after an impulse, identity recurrence and no biases keep relu(V x_0) forever.
        using (NoGrad()) net.Encoder.Bias!.Zero_();
        var x = Tensor.Zeros([1, 6, 3]);
        using (NoGrad()) x[0, 0, 1].Fill_(1.0);
        var h = net.States(x);
        using var first = h.Select(1, 0);
        for (int t = 1; t < 6; t++) Assert.True(h.Select(1, t).Equal(first));
    }
}
