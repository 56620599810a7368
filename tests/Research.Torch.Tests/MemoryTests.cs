using System.Diagnostics;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

[Collection("memory")]
public class MemoryTests
{
    [Fact]
    public void TrainingStepsInScopesKeepLiveTensorsConstantAndRssFlat()
    {
        // The probe runs in a process of its own: the test host's JIT and other tests would move RSS.
        // The first 10,000 steps warm up (the GC sizes its nursery, allocators reach steady state);
        // the next 10,000 must not grow RSS by more than 2 %.
        var probe = Path.Combine(AppContext.BaseDirectory, "Research.Torch.MemoryProbe.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(probe);
        psi.ArgumentList.Add("20000");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var errors = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "the memory probe did not finish in 2 minutes");
        Assert.True(p.ExitCode == 0, $"probe failed: {errors}");
        var samples = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("step "))
            .Select(l => l.Split(' '))
            .ToDictionary(f => int.Parse(f[1]), f => (Live: long.Parse(f[3]), Rss: long.Parse(f[5])));
        Assert.Equal(20, samples.Count);
        Assert.All(samples.Values, s => Assert.Equal(samples[1000].Live, s.Live));
        double drift = (samples[20000].Rss - samples[10000].Rss) / (double)samples[10000].Rss;
        Assert.True(drift <= 0.02, $"RSS drifted {drift:P2} between step 10000 ({samples[10000].Rss / 1e6:F1} MB) and 20000 ({samples[20000].Rss / 1e6:F1} MB)");
        var loss = output.Split('\n').Single(l => l.StartsWith("loss ")).Split(' ');
        Assert.True(float.Parse(loss[2]) < float.Parse(loss[1]) * 0.2, $"the probe's model should learn: {loss[1]} -> {loss[2]}");
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
