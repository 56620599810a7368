using Research.Experiments.Reproductions;

namespace Research.Experiments.Tests.Reproductions;

public class AlternatingTimerTests
{
    [Fact]
    public void SidesRunInTurnAfterOneWarmUpEach()
    {
        var order = new List<char>();
        var times = AlternatingTimer.MedianMilliseconds([() => order.Add('a'), () => order.Add('b'), () => order.Add('c')], repeats: 3);
        Assert.Equal("abc" + "abcabcabc", new string(order.ToArray()));
        Assert.Equal(3, times.Length);
        Assert.All(times, t => Assert.True(t >= 0));
    }

    [Fact]
    public void MedianOfOddAndEvenCounts()
    {
        Assert.Equal(3, AlternatingTimer.Median([5, 1, 3]));
        Assert.Equal(2.5, AlternatingTimer.Median([4, 1, 3, 2]));
        Assert.Throws<ArgumentException>(() => AlternatingTimer.Median([]));
    }
}
