using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class PeriodWaveTests
{
    // ∂v̂[t0]/∂x[t] ≠ 0 exactly where x[t] reaches v̂[t0] (the mel and time paths do not depend on x)
    private static int[] Support(PeriodWave net, int time, int t0)
    {
        using var scope = NewScope();
        var x = Tensor.RandN([1, time], DType.Float64).RequiresGrad_();
        var mel = Tensor.RandN([1, net.Config.MelBands, time / net.Config.Hop], DType.Float64);
        net.Forward(x, Tensor.From(new[] { 0.3 }), mel).Select(1, t0).Sum().Backward();
        var grad = x.Grad!.Squeeze(0).ToArray<double>();
        return [.. Enumerable.Range(0, time).Where(t => grad[t] != 0).Select(t => t - t0)];
    }

    [Fact]
    public void APeriodBranchCouplesSamplesWholePeriodsApartAndNeighboursWithinARow()
    {
        ManualSeed(1);
        // one branch, p = 5, one 3×3 layer: rows ⌊t/5⌋ − 1 … + 1, columns (t mod 5) − 1 … + 1 (no wrap across rows)
        using var net = new PeriodWave(new PeriodWaveConfig(3, 1, [5], MelBands: 2, Hop: 5), DType.Float64);
        Assert.Equal([-6, -5, -4, -1, 0, 1, 4, 5, 6], Support(net, 40, 21));              // 21 = row 4, column 1
        Assert.Equal([-5, -4, 0, 1, 5, 6], Support(net, 40, 20));                           // column 0: no left neighbour
        // a second layer dilated by 2 rows reaches 2 and 3 periods away
        using var deeper = new PeriodWave(new PeriodWaveConfig(3, 2, [5], MelBands: 2, Hop: 5), DType.Float64);
        var reach = Support(deeper, 60, 31);
        Assert.Contains(15, reach);
        Assert.Contains(-15, reach);
        Assert.DoesNotContain(20, reach);
    }

    [Fact]
    public void WithoutTheReshapeABranchSeesAllNineTapsAtEveryPhase()
    {
        ManualSeed(4);
        // the control: the same 3×3 taps at offsets 5a + c, but column 0 keeps its left neighbours (no phase boundary)
        using var net = new PeriodWave(new PeriodWaveConfig(3, 1, [5], MelBands: 2, Hop: 5).WithoutReshape(), DType.Float64);
        Assert.Equal([-6, -5, -4, -1, 0, 1, 4, 5, 6], Support(net, 40, 21));
        Assert.Equal([-6, -5, -4, -1, 0, 1, 4, 5, 6], Support(net, 40, 20));
        using var deeper = new PeriodWave(new PeriodWaveConfig(3, 2, [5], MelBands: 2, Hop: 5).WithoutReshape(), DType.Float64);
        var reach = Support(deeper, 60, 30);
        Assert.Contains(15, reach);
        Assert.Contains(-16, reach);
        Assert.DoesNotContain(20, reach);
    }

    [Fact]
    public void WithCopiedWeightsTheControlMatchesTheReshapedBranchAwayFromPhaseBoundaries()
    {
        ManualSeed(5);
        using var scope = NewScope();
        const int channels = 2, period = 5, time = 60;
        using var reshaped = new PeriodBranch(period, channels, 1, 3, reshape: true, DType.Float64);
        using var control = new PeriodBranch(period, channels, 1, 3, reshape: false, DType.Float64);
        Assert.Equal(reshaped.ParameterCount(), control.ParameterCount());
        using (NoGrad())
        {
            // W2[o, c, a, j] → W1[o, j·C + c, a]
            control.Unreshaped[0].Weight.Copy_(reshaped.Layers[0].Weight.Permute(0, 3, 1, 2).Reshape(channels, 3 * channels, 3));
            control.Unreshaped[0].Bias!.Copy_(reshaped.Layers[0].Bias!);
        }
        var h = Tensor.RandN([1, channels, time], DType.Float64);
        var diff = (reshaped.Forward(h) - control.Forward(h)).Abs().Squeeze(0).Max(0).Values.ToArray<double>();
        for (int t = 0; t < time; t++)
        {
            // phases 1 … p−2 have both neighbours in their row; phases 0 and p−1 lose one to the reshape's zero padding
            if (t % period is >= 1 and <= period - 2) Assert.True(diff[t] < 1e-12, $"t = {t}: {diff[t]}");
            else Assert.True(diff[t] > 1e-6, $"t = {t} is on a phase boundary but the outputs agree");
        }
    }

    [Fact]
    public void ThePlainEstimatorSeesItsDilatedReceptiveField()
    {
        ManualSeed(2);
        using var net = new PeriodWave(new PeriodWaveConfig(3, 3, [], MelBands: 2, Hop: 4), DType.Float64);   // dilations 1, 2, 4
        Assert.Equal(Enumerable.Range(-7, 15), Support(net, 48, 24));
    }

    [Fact]
    public void ParameterCountMatchesTheModulesAndThePlainMatchIsWithinTenPercent()
    {
        var aware = new PeriodWaveConfig(8, 4, [2, 3, 5, 7, 11], MelBands: 32, Hop: 64);
        var plain = aware.PlainMatching(8);
        using (var net = new PeriodWave(aware)) Assert.Equal(aware.ParameterCount, net.ParameterCount());
        using (var net = new PeriodWave(plain)) Assert.Equal(plain.ParameterCount, net.ParameterCount());
        using (var net = new PeriodWave(aware.WithoutReshape())) Assert.Equal(aware.ParameterCount, net.ParameterCount());
        Assert.False(plain.PeriodAware);
        Assert.False(aware.WithoutReshape().PeriodAware);
        Assert.True(aware.WithoutReshape().Branched);
        Assert.Equal(8, plain.Layers);
        Assert.InRange((double)plain.ParameterCount / aware.ParameterCount, 0.9, 1.1);
    }

    [Fact]
    public void ShapesAreCheckedAndTheOutputIsOneVelocityPerSample()
    {
        ManualSeed(3);
        using var scope = NewScope();
        using var net = new PeriodWave(new PeriodWaveConfig(4, 2, [2, 3], MelBands: 3, Hop: 8));
        var v = net.Forward(Tensor.RandN([2, 64]), Tensor.From(new[] { 0.1f, 0.9f }), Tensor.RandN([2, 3, 8]));
        Assert.Equal([2L, 64L], v.Shape);
        Assert.Throws<ArgumentException>(() => net.Forward(Tensor.RandN([2, 64]), Tensor.From(new[] { 0.1f, 0.9f }), Tensor.RandN([2, 3, 7])));
        Assert.Throws<ArgumentException>(() => new PeriodWave(new PeriodWaveConfig(4, 2, [2], 3, 8, KernelSize: 2)));
    }
}
