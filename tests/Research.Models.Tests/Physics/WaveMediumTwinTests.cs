using Research.Models.Physics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Physics;

public class WaveMediumTwinTests
{
    private static Tensor Drive(int batch, int points, double amplitude, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, batch * points).Select(_ => amplitude * (2 * random.NextDouble() - 1)).ToArray();
        return Tensor.From(x, batch, points);
    }

    [Fact]
    public void TwinEqualsTheMediumForward()
    {
        // Two implementations of the same scheme (roll + mask vs interior + zero padding), nonlinear and damped.
        using var scope = NewScope();
        var medium = new WaveMedium(points: 40, steps: 50, courant: 0.5, cubic: 1.0, damping: 0.02);
        var drive = Drive(5, 40, 0.4, seed: 1);
        var physical = medium.Run(drive);
        var twin = new WaveMediumTwin(medium).Forward(drive);
        Assert.Equal([5L, 40], twin.Shape);
        double scale = physical.Abs().Max().Item<double>();
        Assert.True(scale > 1e-3);
        Assert.True((twin - physical).Abs().Max().Item<double>() < 1e-12 * scale);
    }

    [Fact]
    public void TwinGradientMatchesFiniteDifferences()
    {
        using var scope = NewScope();
        var twin = new WaveMediumTwin(new WaveMedium(points: 12, steps: 20, courant: 0.5, cubic: 1.0, damping: 0.02));
        var drive = Drive(2, 12, 0.4, seed: 2).RequiresGrad_();
        var weights = Drive(2, 12, 1.0, seed: 3);
        var gradient = Autograd.Grad((twin.Forward(drive) * weights).Sum(), drive);
        var direction = Drive(2, 12, 1.0, seed: 4);
        direction.Narrow(1, 0, 1).Zero_();                       // the fixed ends are not inputs
        direction.Narrow(1, 11, 1).Zero_();
        const double h = 1e-6;
        using var noGrad = NoGrad();
        double Loss(Tensor d) => (twin.Forward(d) * weights).Sum().Item<double>();
        double numeric = (Loss(drive + h * direction) - Loss(drive - h * direction)) / (2 * h);
        double analytic = (gradient * direction).Sum().Item<double>();
        Assert.Equal(numeric, analytic, 6);
        Assert.True(Math.Abs(analytic) > 1e-4);
    }
}
