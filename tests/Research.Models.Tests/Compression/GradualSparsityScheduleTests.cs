using Research.Models.Compression;

namespace Research.Models.Tests.Compression;

public class GradualSparsityScheduleTests
{
    // The paper's formula, written out independently: s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³.
    private static double Formula(double si, double sf, long t0, long dt, long n, long t) => sf + (si - sf) * Math.Pow(1 - (double)(t - t0) / (n * dt), 3);

    [Fact]
    public void PruningStepsFollowTheCubicFormula()
    {
        var schedule = new GradualSparsitySchedule(finalSparsity: 0.85, startStep: 40, frequency: 7, pruningSteps: 9, initialSparsity: 0.1);
        var points = schedule.Points().ToList();
        Assert.Equal(10, points.Count);                                                     // t₀, t₀ + Δt, …, t₀ + nΔt
        Assert.Equal(Enumerable.Range(0, 10).Select(k => 40L + 7 * k), points.Select(p => p.Step));
        foreach (var (t, s) in points)
        {
            Assert.True(schedule.IsPruningStep(t));
            Assert.Equal(Formula(0.1, 0.85, 40, 7, 9, t), s, 12);
            Assert.Equal(s, schedule.SparsityAt(t), 15);
        }
        Assert.Equal(0.1, points[0].Sparsity, 12);
        Assert.Equal(0.85, points[^1].Sparsity, 12);
        Assert.Equal(40 + 63, schedule.EndStep);
    }

    [Fact]
    public void SparsityHoldsBetweenPruningStepsIsZeroBeforeAndFinalAfter()
    {
        var schedule = new GradualSparsitySchedule(0.9, startStep: 10, frequency: 5, pruningSteps: 4);
        for (long t = 0; t < 10; t++)
        {
            Assert.Equal(0, schedule.SparsityAt(t));
            Assert.False(schedule.IsPruningStep(t));
        }
        double previous = 0;
        for (long t = 10; t <= 60; t++)
        {
            long last = 10 + Math.Min(4, (t - 10) / 5) * 5;                                 // the latest pruning step ≤ t
            Assert.Equal(Formula(0, 0.9, 10, 5, 4, last), schedule.SparsityAt(t), 12);
            Assert.Equal(t <= 30 && (t - 10) % 5 == 0, schedule.IsPruningStep(t));
            Assert.True(schedule.SparsityAt(t) >= previous);                               // never decreases
            previous = schedule.SparsityAt(t);
        }
        Assert.Equal(0.9, schedule.SparsityAt(1_000_000));
    }

    [Fact]
    public void SparsityRisesFastFirstAndSlowlyNearTheEnd()
    {
        // The cubic's point: each increment is smaller than the one before.
        var s = new GradualSparsitySchedule(0.95, 0, 1, 20).Points().Select(p => p.Sparsity).ToArray();
        for (int k = 2; k < s.Length; k++) Assert.True(s[k] - s[k - 1] < s[k - 1] - s[k - 2]);
        Assert.Equal(0.95 * (1 - Math.Pow(0.95, 3)), s[1], 12);                             // first step: s_f(1 − (1 − 1/n)³)
    }

    [Fact]
    public void BetweenFindsTheNumberOfIntervals()
    {
        var schedule = GradualSparsitySchedule.Between(0.8, startStep: 100, endStep: 400, frequency: 25);
        Assert.Equal(12, schedule.PruningSteps);
        Assert.Equal(400, schedule.EndStep);
        Assert.Equal(0.8, schedule.SparsityAt(400));
        Assert.True(schedule.SparsityAt(399) < 0.8);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        Assert.Equal("finalSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(1.2, 0, 1, 1)).ParamName);
        Assert.Equal("finalSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(0.3, 0, 1, 1, initialSparsity: 0.5)).ParamName);
        Assert.Equal("finalSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(double.NaN, 0, 1, 1)).ParamName);
        Assert.Equal("initialSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(0.5, 0, 1, 1, initialSparsity: -0.1)).ParamName);
        Assert.Equal("startStep", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(0.5, -1, 1, 1)).ParamName);
        Assert.Equal("frequency", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(0.5, 0, 0, 1)).ParamName);
        Assert.Equal("pruningSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new GradualSparsitySchedule(0.5, 0, 1, 0)).ParamName);
        Assert.Equal("endStep", Assert.Throws<ArgumentOutOfRangeException>(() => GradualSparsitySchedule.Between(0.5, 10, 10, 1)).ParamName);
        var ragged = Assert.Throws<ArgumentException>(() => GradualSparsitySchedule.Between(0.5, 0, 10, 3));
        Assert.Contains("whole number", ragged.Message);
    }
}
