using Research.Experiments.Data;

namespace Research.Experiments.Tests;

public class MultiQueryAssociativeRecallTests
{
    // Decodes one row with the documented token layout and checks every answer against a replay of the writes.
    private static (int Overwritten, int Queries) CheckRow(long[] row, long[] target, int writes, int keys, int values)
    {
        var latest = new Dictionary<long, long>();
        var count = new Dictionary<long, int>();
        for (int i = 0; i < writes; i++)
        {
            long pair = row[i] - (1 + keys + values);
            Assert.InRange(pair, 0, keys * values - 1);                                  // a pair token
            long key = pair / values, value = pair % values;
            latest[key] = value;
            count[key] = count.GetValueOrDefault(key) + 1;
            Assert.Equal(SyntheticTasks.IgnoreTarget, target[i]);                       // nothing to predict in the context
        }
        int overwritten = 0;
        for (int j = writes; j < row.Length; j++)
        {
            long key = row[j] - 1;
            Assert.InRange(key, 0, keys - 1);                                            // a query token
            Assert.True(latest.ContainsKey(key), $"query for key {key}, which was never written");
            Assert.Equal(1 + keys + latest[key], target[j]);                            // the latest value's answer token
            if (count[key] > 1) overwritten++;
        }
        return (overwritten, row.Length - writes);
    }

    [Fact]
    public void EveryQueryIsAnsweredByTheLatestWriteOfItsKey()
    {
        const int batch = 200, writes = 16, queries = 4, keys = 8, values = 5;
        using var task = SyntheticTasks.MultiQueryAssociativeRecall(batch, writes, queries, keys, values, seed: 3);
        Assert.Equal([(long)batch, writes + queries], task.Inputs.Shape);
        Assert.Equal(task.Inputs.Shape, task.Targets.Shape);
        var x = task.Inputs.ToArray<long>();
        var y = task.Targets.ToArray<long>();
        Assert.True(x.Max() < SyntheticTasks.RecallVocabulary(keys, values));
        int overwritten = 0, total = 0;
        for (int b = 0; b < batch; b++)
        {
            var (o, q) = CheckRow(x[(b * 20)..(b * 20 + 20)], y[(b * 20)..(b * 20 + 20)], writes, keys, values);
            overwritten += o;
            total += q;
        }
        // 16 writes of 8 keys: most queried keys were written more than once (≈ 70 %), some only once.
        Assert.InRange(overwritten / (double)total, 0.55, 0.85);
    }

    [Fact]
    public void DistinctKeysMeansNothingIsOverwritten()
    {
        using var task = SyntheticTasks.MultiQueryAssociativeRecall(50, writes: 6, queries: 6, keys: 6, values: 9, distinctKeys: true, seed: 4);
        var x = task.Inputs.ToArray<long>();
        var y = task.Targets.ToArray<long>();
        for (int b = 0; b < 50; b++)
        {
            var (overwritten, _) = CheckRow(x[(b * 12)..(b * 12 + 12)], y[(b * 12)..(b * 12 + 12)], 6, 6, 9);
            Assert.Equal(0, overwritten);
        }
    }

    [Fact]
    public void SameSeedSameBatchAndDifferentSeedsDiffer()
    {
        using var a = SyntheticTasks.MultiQueryAssociativeRecall(8, 10, 3, seed: 1);
        using var b = SyntheticTasks.MultiQueryAssociativeRecall(8, 10, 3, seed: 1);
        using var c = SyntheticTasks.MultiQueryAssociativeRecall(8, 10, 3, seed: 2);
        Assert.Equal(a.Inputs.ToArray<long>(), b.Inputs.ToArray<long>());
        Assert.Equal(a.Targets.ToArray<long>(), b.Targets.ToArray<long>());
        Assert.NotEqual(a.Inputs.ToArray<long>(), c.Inputs.ToArray<long>());
    }

    [Fact]
    public void RejectsImpossibleSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticTasks.MultiQueryAssociativeRecall(1, writes: 9, queries: 1, keys: 8, distinctKeys: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticTasks.MultiQueryAssociativeRecall(1, writes: 0, queries: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticTasks.MultiQueryAssociativeRecall(1, writes: 4, queries: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticTasks.MultiQueryAssociativeRecall(1, writes: 4, queries: 1, values: 0));
    }
}
