using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class PhaseSpectraTests
{
    [Fact]
    public void AntiWrapIsTheDistanceToTheNearestWholeTurn()
    {
        // f_AW(x) = min_k |x − 2πk|, written out over k.
        using var scope = NewScope();
        var x = Tensor.Linspace(-20, 20, 4001, DType.Float64);
        var got = PhaseSpectra.AntiWrap(x).ToArray<double>();
        var xs = x.ToArray<double>();
        for (int i = 0; i < xs.Length; i++)
        {
            double expected = Enumerable.Range(-5, 11).Min(k => Math.Abs(xs[i] - 2 * Math.PI * k));
            Assert.Equal(expected, got[i], 12);
            Assert.InRange(got[i], 0, Math.PI + 1e-12);
        }
    }

    [Fact]
    public void PhaseLossesIgnoreWholeTurnsAndSeeAShift()
    {
        using var scope = NewScope();
        ManualSeed(1);
        var phase = (Tensor.Rand([2, 9, 7], DType.Float64) * 2 - 1) * Math.PI;
        var turns = Tensor.RandInt(-3, 4, [2, 9, 7]).Double() * (2 * Math.PI);
        var (ip, gd, iaf) = PhaseSpectra.Losses(phase + turns, phase);
        Assert.True(ip.Item<double>() < 1e-12 && gd.Item<double>() < 1e-12 && iaf.Item<double>() < 1e-12);
        var (ip2, gd2, iaf2) = PhaseSpectra.Losses(phase + 0.5, phase);           // a constant shift: no group delay or frequency error
        Assert.Equal(0.5, ip2.Item<double>(), 12);
        Assert.True(gd2.Item<double>() < 1e-12 && iaf2.Item<double>() < 1e-12);
    }

    [Fact]
    public void AmplitudeAndPhaseSpectraResynthesiseTheWaveform()
    {
        // STFT → (log |S|, angle S) → iSTFT(exp(log |S|) e^{i angle S}) is the identity (float64; |S| above the 1e-5 floor).
        using var scope = NewScope();
        ManualSeed(2);
        var wave = Tensor.RandN([2, 3000], DType.Float64);
        var (logAmplitude, phase) = PhaseSpectra.Analyse(wave, 256, 64);
        Assert.Equal([2, 129, 3000 / 64 + 1], logAmplitude.Shape);
        var back = PhaseSpectra.Synthesise(logAmplitude, phase, 256, 64, 3000);
        Assert.True(back.AllClose(wave, 1e-9, 1e-9), $"max error {(back - wave).Abs().Max().Item<double>():G3}");
    }
}
