using System.Diagnostics;
using System.Runtime.CompilerServices;
using static Research.Torch.Torch;

namespace Research.Torch.Tests;

[Collection("memory")]
public class MemoryTests
{
    /// <summary>Runs tests/Research.Torch.MemoryProbe in a process of its own and returns its standard output.</summary>
    private static string RunProbe(string argument, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Research.Torch.MemoryProbe.dll"));
        psi.ArgumentList.Add(argument);
        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(timeout), $"the probe ({argument}) did not finish in {timeout}");
        Assert.True(p.ExitCode == 0, $"probe ({argument}) failed: {errors.Result}");
        return output;
    }

    [Fact]
    public void TrainingStepsInScopesKeepLiveTensorsConstantAndRssFlat()
    {
        // The probe runs in a process of its own: the test host's JIT and other tests would move RSS.
        // The first 10,000 steps warm up (the GC sizes its nursery, allocators reach steady state);
        // the next 10,000 must not grow RSS by more than 2 %.
        var output = RunProbe("20000", TimeSpan.FromMinutes(2));
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
    public void LibtorchLoadsAtTheFirstNativeCallNotWithTheAssembly()
    {
        // A fresh process: loading Research.Torch and using its managed-only API (Interrupt) must not map libtorch
        // (a notebook kernel's first cell would pay ~0.3 s of CPU for it); the first tensor must.
        var output = RunProbe("lazy", TimeSpan.FromMinutes(1));
        Assert.Contains("before False False", output);
        Assert.Contains("after 1 True", output);
    }

    [Fact]
    public void LiveTrackersCountOnlyTheirThreadsNewTensorsAndNest()
    {
        var before = Tensor.Ones(2).DetachFromScope();           // made before the tracker: its free is not counted
        using var outer = Tensor.TrackLive();
        var a = Tensor.Ones(2).DetachFromScope();
        Tensor other = null!;
        OnAnotherThread(() => other = Tensor.Ones(2).DetachFromScope());   // another thread's tensor
        Assert.Equal(1, outer.Count);
        using (var inner = Tensor.TrackLive())
        {
            using var b = Tensor.Ones(2);
            Assert.Equal(1, inner.Count);
            Assert.Equal(1, outer.Count);
        }
        before.Dispose();
        other.Dispose();
        Assert.Equal(1, outer.Count);
        OnAnotherThread(a.Dispose);                               // freed by another thread: still counted off
        Assert.Equal(0, outer.Count);
    }

    private static void OnAnotherThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }

    [Fact]
    public void NestedScopesKeepResultsWhereAsked()
    {
        using var live = Tensor.TrackLive();
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
        Assert.Equal(0, live.Count);
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

    /// <summary>
    /// Tensors no scope owns are freed by their backstop when collected without Dispose: created outside every
    /// scope, kept out of the outermost scope, or detached. Tensors a scope frees need none.
    /// </summary>
    [Fact]
    public void TensorsNoScopeOwnsAreFreedWhenCollected()
    {
        using var live = Tensor.TrackLive();
        DropUnownedTensors();
        for (int i = 0; i < 3 && live.Count != 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.Equal(0, live.Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropUnownedTensors()
    {
        _ = Tensor.Ones(3);                                     // outside every scope
        using (var scope = NewScope()) scope.Keep(Tensor.Ones(3));        // kept out of the outermost scope
        using (NewScope()) Tensor.Ones(3).DetachFromScope();             // detached
        using (var outer = NewScope())
        {
            using (var inner = NewScope()) inner.Keep(Tensor.Ones(3));   // moved to the outer scope, freed there
        }
    }
}
