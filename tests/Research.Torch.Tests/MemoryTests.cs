using static Research.Torch.Torch;

namespace Research.Torch.Tests;

[Collection("memory")]
public class MemoryTests
{
    private static long RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    [Fact]
    public void TenThousandTrainingStepsInScopesKeepMemoryFlat()
    {
        ManualSeed(1);
        // A small MLP trained with plain SGD, written the obvious way with a scope per step.
        var w1 = (Tensor.RandN(2, 64) * 0.5).DetachFromScope().RequiresGrad_();
        var b1 = Tensor.Zeros(64).DetachFromScope().RequiresGrad_();
        var w2 = (Tensor.RandN(64, 1) * 0.1).DetachFromScope().RequiresGrad_();
        Tensor[] parameters = [w1, b1, w2];
        long liveBefore = Tensor.LiveCount;
        long rssWarm = 0;
        double firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < 10_000; step++)
        {
            using var scope = NewScope();
            var x = Tensor.RandN(32, 2);
            var target = x.Sin().Sum(1, keepDim: true);
            var loss = ((x.Matmul(w1) + b1).Tanh().Matmul(w2) - target).Square().Mean();
            foreach (var p in parameters) p.Grad = null;
            loss.Backward();
            using (NoGrad())
                foreach (var p in parameters) p.Sub_(p.Grad!, 0.05);
            if (step == 0) firstLoss = loss.Item<float>();
            if (step == 9_999) lastLoss = loss.Item<float>();
            if (step == 1_000) rssWarm = RssBytes();
            Assert.True(Tensor.LiveCount - liveBefore < 100, $"step {step}: {Tensor.LiveCount - liveBefore} tensors alive inside the step");
        }
        long rssEnd = RssBytes();
        Assert.Equal(liveBefore, Tensor.LiveCount);
        double drift = (rssEnd - rssWarm) / (double)rssWarm;
        Assert.True(drift <= 0.02, $"RSS drifted {drift:P2} ({rssWarm / 1e6:F1} MB at step 1000 → {rssEnd / 1e6:F1} MB at step 10000)");
        Assert.True(lastLoss < firstLoss * 0.2, $"the model should learn: loss {firstLoss} → {lastLoss}");
        foreach (var p in parameters) p.Dispose();
    }

    [Fact]
    public void NestedScopesKeepResultsWhereAsked()
    {
        long before = Tensor.LiveCount;
        Tensor kept;
        using (var outer = NewScope())
        {
            using (var inner = NewScope())
            {
                var a = Tensor.Ones(3);
                var b = a * 2;
                kept = inner.Keep(b + 1);
                Assert.Equal(3, inner.Count);
            }
            Assert.False(kept.IsDisposed);
            Assert.Equal(1, outer.Count);
            Assert.Equal(9f, kept.Sum().Item<float>());
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void DetachedTensorsOutliveScopes()
    {
        Tensor owned;
        using (NewScope()) owned = Tensor.Ones(2).DetachFromScope();
        Assert.False(owned.IsDisposed);
        owned.Dispose();
    }

    [Fact]
    public void ScopesMustCloseInOrder()
    {
        var outer = NewScope();
        var inner = NewScope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        Assert.Same(outer, DisposeScope.Current);
        outer.Dispose();
    }
}
