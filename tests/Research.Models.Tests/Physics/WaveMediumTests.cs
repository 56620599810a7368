using Research.Models.Physics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Tests.Physics;

public class WaveMediumTests
{
    private static Tensor Bump(int points, double centre, double width)
    {
        var x = Enumerable.Range(0, points).Select(i => Math.Exp(-Math.Pow((i - centre) / width, 2))).ToArray();
        x[0] = x[^1] = 0;
        return Tensor.From(x, 1, points);
    }

    [Fact]
    public void LinearLosslessMediumConservesItsDiscreteEnergy()
    {
        using var scope = NewScope();
        var medium = new WaveMedium(points: 64, steps: 300, courant: 0.8, cubic: 0, damping: 0);
        var fields = new List<Tensor>();
        using var u0 = Bump(64, 20, 3).Double();
        medium.Run(u0, (n, u) => fields.Add(u.Clone().DetachFromScope()));
        var start = medium.LinearEnergy(fields[1], fields[0])[0];
        Assert.True(start > 0);
        for (int n = 2; n < fields.Count; n++)
            Assert.Equal(start, medium.LinearEnergy(fields[n], fields[n - 1])[0], 1e-9 * start);
        foreach (var f in fields) f.Dispose();
    }

    [Fact]
    public void DampingDrainsTheEnergy()
    {
        using var scope = NewScope();
        var medium = new WaveMedium(points: 64, steps: 400, courant: 0.8, cubic: 0, damping: 0.05);
        var fields = new List<Tensor>();
        medium.Run(Bump(64, 20, 3).Double(), (n, u) => fields.Add(u.Clone().DetachFromScope()));
        Assert.True(medium.LinearEnergy(fields[^1], fields[^2])[0] < 0.05 * medium.LinearEnergy(fields[1], fields[0])[0]);
        foreach (var f in fields) f.Dispose();
    }

    [Fact]
    public void AboveTheCflLimitTheSchemeIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WaveMedium(points: 32, steps: 10, courant: 1.01));
        // At the limit a pulse stays bounded (|u| ≤ its start) for hundreds of steps.
        using var scope = NewScope();
        var medium = new WaveMedium(points: 48, steps: 500, courant: 1.0, cubic: 0);
        double max = 0;
        medium.Run(Bump(48, 24, 4), (n, u) => max = Math.Max(max, u.Abs().Max().Item<float>()));
        Assert.True(max <= 1.0 + 1e-4, $"max |u| = {max}");
    }

    [Fact]
    public void NoGradientFlowsThroughTheMedium()
    {
        using var scope = NewScope();
        var medium = new WaveMedium(points: 16, steps: 20, cubic: 1.0);
        // A fixed drive within the scheme's stable range (|u| ≤ 0.2): an unseeded RandN drew from the generator other tests
        // share, and a large draw made the cubic medium blow up (NaN ≥ 0 is false).
        var input = (Tensor.Linspace(-1, 1, 48).Reshape(3, 16).Sin()).RequiresGrad_();
        var output = medium.Run(input * 0.2);
        Assert.False(output.RequiresGrad);
        Assert.Equal([3L, 16], output.Shape);
        Assert.True((output >= 0).All().Item<bool>());
    }

    [Fact]
    public void CubicTermMakesTheResponseNonlinear()
    {
        using var scope = NewScope();
        var medium = new WaveMedium(points: 32, steps: 60, courant: 0.9, cubic: 0.5);
        var u = Bump(32, 12, 2);
        var once = medium.Run(u);
        var twice = medium.Run(2 * u);
        Assert.False(twice.AllClose(4 * once, rtol: 1e-3, atol: 1e-6));
        var linear = new WaveMedium(points: 32, steps: 60, courant: 0.9, cubic: 0);
        Assert.True(linear.Run(2 * u).AllClose(4 * linear.Run(u), rtol: 1e-4, atol: 1e-6));
    }
}
