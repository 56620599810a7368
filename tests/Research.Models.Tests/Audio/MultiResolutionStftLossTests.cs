using Research.Models.Audio;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Audio;

public class MultiResolutionStftLossTests
{
    private static Tensor Rows(params Func<double, double>[] rows) =>
        Tensor.From(rows.SelectMany(f => Enumerable.Range(0, 1000).Select(t => f(t))).ToArray(), rows.Length, 1000);

    private static double Sin(double hz, double t) => Math.Sin(2 * Math.PI * hz * t / 8000);

    private static double Cos(double hz, double t) => Math.Cos(2 * Math.PI * hz * t / 8000);

    [Fact]
    public void IsZeroForIdenticalSignals()
    {
        using var scope = NewScope();
        var x = Rows(t => 0.5 * Sin(220, t), t => 0.3 * Cos(97, t));
        Assert.Equal(0, new MultiResolutionStftLoss().Forward(x, x).Item<double>(), 12);
    }

    [Fact]
    public void MatchesTorchStftComputation()
    {
        // /usr/bin/python3, torch 1.13, float64: torch.stft(center=True, reflect, hann_window), |·|.clamp(min=1e-7),
        // sc = ‖S − Ŝ‖_F/‖S‖_F, mag = mean |log S − log Ŝ| per resolution; the loss is the mean of sc + mag.
        using var scope = NewScope();
        var target = Rows(t => 0.5 * Sin(220, t) + 0.1 * Sin(1330, t), t => 0.3 * Cos(97, t));
        var estimate = Rows(t => 0.4 * Sin(230, t), t => 0.3 * Cos(97, t) + 0.05 * Sin(2000, t));
        var loss = new MultiResolutionStftLoss();
        (double Sc, double Mag)[] expected = [(0.2981938668536514, 1.1147960657107387), (0.3455369826556941, 1.4523358977999428),
            (0.48172437665096207, 1.8967996395989177)];
        for (int i = 0; i < expected.Length; i++)
        {
            var (sc, mag) = MultiResolutionStftLoss.Terms(estimate, target, loss.Resolutions[i]);
            Assert.Equal(expected[i].Sc, sc.Item<double>(), 9);
            Assert.Equal(expected[i].Mag, mag.Item<double>(), 9);
        }
        Assert.Equal(1.8631289430899691, loss.Forward(estimate, target).Item<double>(), 9);
    }

    [Fact]
    public void GradientReachesTheEstimate()
    {
        using var scope = NewScope();
        var estimate = Rows(t => 0.4 * Sin(230, t)).RequiresGrad_();
        new MultiResolutionStftLoss().Forward(estimate, Rows(t => 0.5 * Sin(220, t))).Backward();
        Assert.True(estimate.Grad!.Abs().Sum().Item<double>() > 0);
    }
}
