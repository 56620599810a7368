using Research.Experiments.Data;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class MovingDigitsTests
{
    [Fact]
    public void SplitsAreDisjointAndVideosAreReproducible()
    {
        var data = MovingDigits.Create(canvas: 16, digits: 2, seed: 0);
        Assert.Equal(1797, data.Count(DigitSplit.Train) + data.Count(DigitSplit.Validation) + data.Count(DigitSplit.Test));
        Assert.InRange(data.Count(DigitSplit.Test), 350, 370);
        using var scope = NewScope();
        var a = data.Videos(DigitSplit.Train, 3, 10, 5);
        var b = data.Videos(DigitSplit.Train, 3, 10, 5);
        var c = data.Videos(DigitSplit.Test, 3, 10, 5);
        Assert.Equal([3L, 10, 1, 16, 16], a.Shape);
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.NotEqual(a.ToArray<float>(), c.ToArray<float>());
        Assert.InRange(a.Min().Item<float>(), 0f, 0f);
        Assert.InRange(a.Max().Item<float>(), 0.5f, 1f);
    }

    [Fact]
    public void DigitsMoveRigidlyAndBounceOffTheEdges()
    {
        // one digit: each frame is the previous one shifted by the velocity, and the total ink is conserved
        var data = MovingDigits.Create(canvas: 12, digits: 1, seed: 1);
        using var scope = NewScope();
        var video = data.Videos(DigitSplit.Train, 1, 12, 3);
        var ink = video.Sum([2, 3, 4]).ToArray<float>();
        Assert.All(ink, v => Assert.True(Math.Abs(v - ink[0]) < 1e-3, $"ink {v} vs {ink[0]}"));
        Assert.Equal((3, 1), MovingDigits.Bounce(2, 1, 4));
        Assert.Equal((3, -1), MovingDigits.Bounce(4, 1, 4));
        Assert.Equal((1, -2), MovingDigits.Bounce(3, 2, 3));
        Assert.Equal((1, 2), MovingDigits.Bounce(1, -2, 4));
        Assert.Equal((2, 2), MovingDigits.Bounce(0, -2, 4));
    }
}
