using Research.Torch;
using Research.Torch.Data;
using static Research.Torch.Torch;

namespace Research.Torch.NN.Tests;

public sealed class DataLoaderTests
{
    private static TensorDataset Numbers(int n) => new(Tensor.Arange(n, DType.Int64), Tensor.Arange(n, DType.Float32).Unsqueeze(1) * 2);

    private static List<long[]> Orders(DataLoader loader)
    {
        var result = new List<long[]>();
        foreach (var batch in loader) result.Add(batch[0].ToArray<long>());
        return result;
    }

    [Fact]
    public void SameSeedGivesTheSameOrderAndEachEpochIsANewPermutation()
    {
        using var ds = Numbers(23);
        var a = new DataLoader(ds, 5, shuffle: true, seed: 42);
        var b = new DataLoader(ds, 5, shuffle: true, seed: 42, prefetch: 2);
        var a1 = Orders(a);
        var b1 = Orders(b);
        Assert.Equal(a1.SelectMany(x => x), b1.SelectMany(x => x));
        Assert.Equal(Enumerable.Range(0, 23).Select(i => (long)i), a1.SelectMany(x => x).Order());
        Assert.Equal([5, 5, 5, 5, 3], a1.Select(x => x.Length));
        var a2 = Orders(a);
        Assert.NotEqual(a1.SelectMany(x => x), a2.SelectMany(x => x));
        Assert.Equal(a2.SelectMany(x => x), Orders(b).SelectMany(x => x));
        Assert.NotEqual(a1.SelectMany(x => x), Orders(new DataLoader(ds, 5, shuffle: true, seed: 43)).SelectMany(x => x));
        var sequential = Orders(new DataLoader(ds, 5, dropLast: true));
        Assert.Equal(4, sequential.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), sequential.SelectMany(x => x));
    }

    [Fact]
    public void BatchesPairInputsWithTargetsThroughGatherAndCollate()
    {
        using var ds = Numbers(10);
        foreach (var batch in new DataLoader(ds, 4, shuffle: true, seed: 1))
            Assert.Equal(batch[0].ToArray<long>().Select(i => 2f * i), batch[1].ToArray<float>());
        var generic = new DataLoader<int, Tensor>(Dataset.From(7, i => i * i), 3, items => Tensor.From(items.Select(i => (long)i).ToArray()));
        Assert.Equal([0L, 1, 4, 9, 16, 25, 36], generic.SelectMany(t => t.ToArray<long>()).ToArray());
        var stacked = new DataLoader(Dataset.From(5, i => new[] { Tensor.Full([2], i) }), 2, ownership: BatchOwnership.Consumer);
        Assert.Equal([2L, 2], stacked.First()[0].Shape);
    }

    [Fact]
    public void PrefetchIsBoundedWhileTheConsumerIsSlow()
    {
        int produced = 0, consumed = 0, maxAhead = 0;
        var ds = Dataset.From(40, i =>
        {
            Interlocked.Increment(ref produced);
            return new[] { Tensor.Full([3], i) };
        });
        var loader = new DataLoader(ds, 2, prefetch: 2);
        foreach (var batch in loader)
        {
            Thread.Sleep(5);
            consumed += 2;
            maxAhead = Math.Max(maxAhead, Volatile.Read(ref produced) - consumed);
        }
        Assert.Equal(40, consumed);
        Assert.InRange(maxAhead, 0, 2 * (2 + 2));
    }

    [Fact]
    public void LoaderFreesBatchesIncludingPrefetchedOnesWhenTheLoopBreaks()
    {
        using var ds = Numbers(100);
        var loader = new DataLoader(ds, 10, shuffle: true, seed: 3, prefetch: 3);
        foreach (var _ in loader) { }
        long baseline = SettledLiveCount();
        foreach (var _ in loader) { }
        Assert.Equal(baseline, SettledLiveCount(baseline));
        foreach (var batch in loader)
            if (batch[0].ToArray<long>().Length > 0) break;
        Assert.Equal(baseline, SettledLiveCount(baseline));
        var owned = new DataLoader(ds, 10, ownership: BatchOwnership.Consumer).ToList();
        Assert.All(owned, b => Assert.False(b[0].IsDisposed));
        foreach (var b in owned)
            foreach (var t in b) t.Dispose();
        Assert.Equal(baseline, SettledLiveCount(baseline));
    }

    /// <summary>
    /// The process-wide live count once finalizers have run (the loader's worker creates tensors on its own thread, so the
    /// per-thread count cannot see them); when <paramref name="expected"/> is given, waits up to 10 s for the worker's last
    /// frees to reach it — a deadline for a hang, not a timing assumption.
    /// </summary>
    private static long SettledLiveCount(long? expected = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long live = Tensor.LiveCount;
            if (expected is null || live == expected || DateTime.UtcNow > deadline) return live;
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void AnExceptionInTheWorkerReachesTheConsumer()
    {
        var ds = Dataset.From<Tensor[]>(10, i => i == 7 ? throw new InvalidOperationException("bad example 7") : [Tensor.Full([1], i)]);
        var e = Assert.Throws<InvalidOperationException>(() => new DataLoader(ds, 2, prefetch: 2).ToList());
        Assert.Contains("bad example 7", e.Message);
    }
}
