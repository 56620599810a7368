using System.Collections;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using static Research.Torch.Torch;

namespace Research.Torch.Data;

/// <summary>Who frees a batch once the loop has moved on.</summary>
public enum BatchOwnership
{
    /// <summary>The loader frees each batch when the next one is requested or the loop ends (the default; nothing leaks).</summary>
    Loader,
    /// <summary>The consumer owns and disposes every batch it receives; the loader still frees batches it never delivered.</summary>
    Consumer,
}

/// <summary>
/// Iterates a dataset in batches (torch.utils.data.DataLoader): optional seeded shuffling (a new order
/// each epoch, reproducible from the seed), drop-last, a collate function, and background prefetching
/// through a bounded queue so at most <c>prefetch</c> batches wait in memory.
/// </summary>
public class DataLoader<T, TBatch> : IEnumerable<TBatch>
{
    private readonly Func<IReadOnlyList<T>, TBatch> _collate;
    private int _epoch;

    /// <summary>Creates a loader; <paramref name="prefetch"/> 0 builds batches on the consumer's thread.</summary>
    public DataLoader(Dataset<T> dataset, int batchSize, Func<IReadOnlyList<T>, TBatch> collate, bool shuffle = false, int? seed = null,
        bool dropLast = false, int prefetch = 0, BatchOwnership ownership = BatchOwnership.Loader)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be ≥ 0");
        Dataset = dataset;
        BatchSize = batchSize;
        _collate = collate;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Prefetch = prefetch;
        Ownership = ownership;
    }

    /// <summary>The dataset.</summary>
    public Dataset<T> Dataset { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The shuffling seed (null: a different order every run).</summary>
    public int? Seed { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches prepared ahead on a background thread (0: none).</summary>
    public int Prefetch { get; }

    /// <summary>Who frees delivered batches.</summary>
    public BatchOwnership Ownership { get; }

    /// <summary>The epoch the next enumeration will run (each enumeration advances it); set it to resume.</summary>
    public int Epoch
    {
        get => _epoch;
        set => _epoch = value;
    }

    /// <summary>
    /// In data-parallel training, this rank's share of every epoch (PyTorch's <c>DistributedSampler</c>); shuffling then
    /// needs a <see cref="Seed"/>, so that all ranks split the same order.
    /// </summary>
    public Distributed.DistributedSampler? Sampler
    {
        get;
        init => field = value is not null && Shuffle && Seed is null
            ? throw new ArgumentException("a shuffling loader with a DistributedSampler needs a seed: every rank must split the same order")
            : value;
    }

    private int Examples => Sampler?.ShardLength(Dataset.Count) ?? Dataset.Count;

    /// <summary>Batches per epoch (of this rank's share, with a <see cref="Sampler"/>).</summary>
    public int Count => DropLast ? Examples / BatchSize : (Examples + BatchSize - 1) / BatchSize;

    /// <summary>The example order of <paramref name="epoch"/> (deterministic for a given seed and epoch; this rank's share with a <see cref="Sampler"/>).</summary>
    public int[] OrderFor(int epoch)
    {
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Shuffle)
        {
            var rng = Seed is { } s ? new Random(HashCode.Combine(s, epoch)) : new Random();
            rng.Shuffle(order);
        }
        return Sampler is { } sampler ? sampler.Shard(order) : order;
    }

    /// <summary>Builds one batch from example indices (override for a faster gather).</summary>
    protected virtual TBatch MakeBatch(int[] indices) => _collate(indices.Select(i => Dataset[i]).ToList());

    private TBatch Produce(int[] indices)
    {
        using var scope = NewScope();
        var batch = MakeBatch(indices);
        foreach (var t in TensorsOf(batch)) t.DetachFromScope();
        return batch;
    }

    public IEnumerator<TBatch> GetEnumerator()
    {
        var order = OrderFor(Interlocked.Increment(ref _epoch) - 1);
        int batches = Count;
        var chunks = Enumerable.Range(0, batches).Select(b => order[(b * BatchSize)..Math.Min(order.Length, (b + 1) * BatchSize)]);
        return Prefetch == 0 ? Deliver(chunks.Select(Produce)) : Deliver(Prefetched(chunks));
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerator<TBatch> Deliver(IEnumerable<TBatch> source)
    {
        TBatch? previous = default;
        bool hasPrevious = false;
        try
        {
            foreach (var batch in source)
            {
                if (hasPrevious && Ownership == BatchOwnership.Loader) Free(previous);
                previous = batch;
                hasPrevious = true;
                yield return batch;
            }
        }
        finally
        {
            if (hasPrevious && Ownership == BatchOwnership.Loader) Free(previous);
        }
    }

    private IEnumerable<TBatch> Prefetched(IEnumerable<int[]> chunks)
    {
        var channel = Channel.CreateBounded<TBatch>(new BoundedChannelOptions(Prefetch) { SingleReader = true, SingleWriter = true });
        using var cancel = new CancellationTokenSource();
        var worker = Task.Run(async () =>
        {
            try
            {
                foreach (var indices in chunks)
                {
                    var batch = Produce(indices);
                    try
                    {
                        await channel.Writer.WriteAsync(batch, cancel.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        Free(batch);
                        throw;
                    }
                }
                channel.Writer.TryComplete();
            }
            catch (OperationCanceledException)
            {
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        });
        try
        {
            while (true)
            {
                if (!channel.Reader.TryRead(out var batch))
                {
                    if (!channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
                    continue;
                }
                yield return batch;
            }
        }
        finally
        {
            cancel.Cancel();
            try { worker.Wait(); } catch (AggregateException) { }
            while (channel.Reader.TryRead(out var left)) Free(left);
        }
    }

    private static void Free(TBatch? batch)
    {
        if (batch is IDisposable d) d.Dispose();
        else foreach (var t in TensorsOf(batch)) t.Dispose();
    }

    /// <summary>The tensors inside a batch: a tensor, arrays/lists of them, tuples, dictionaries' values.</summary>
    private static IEnumerable<Tensor> TensorsOf(object? batch)
    {
        switch (batch)
        {
            case Tensor t:
                yield return t;
                break;
            case IDictionary dict:
                foreach (var v in dict.Values)
                    foreach (var t in TensorsOf(v)) yield return t;
                break;
            case IEnumerable items when batch is not string:
                foreach (var item in items)
                    foreach (var t in TensorsOf(item)) yield return t;
                break;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    foreach (var t in TensorsOf(tuple[i])) yield return t;
                break;
        }
    }
}

/// <summary>A loader of tensor examples whose batches are the examples stacked along a new first dimension.</summary>
public sealed class DataLoader : DataLoader<Tensor[], Tensor[]>
{
    /// <summary>Creates a loader; a <see cref="TensorDataset"/> is gathered with one index_select per tensor.</summary>
    public DataLoader(Dataset<Tensor[]> dataset, int batchSize, bool shuffle = false, int? seed = null, bool dropLast = false,
        int prefetch = 0, BatchOwnership ownership = BatchOwnership.Loader)
        : base(dataset, batchSize, Stack, shuffle, seed, dropLast, prefetch, ownership) { }

    /// <summary>Stacks the i-th tensor of every example into the i-th batch tensor.</summary>
    public static Tensor[] Stack(IReadOnlyList<Tensor[]> examples)
    {
        if (examples.Count == 0) return [];
        int n = examples[0].Length;
        var result = new Tensor[n];
        for (int i = 0; i < n; i++) result[i] = Tensor.Stack(examples.Select(e => e[i]).ToArray());
        return result;
    }

    protected override Tensor[] MakeBatch(int[] indices) =>
        Dataset is TensorDataset td ? td.Gather(indices) : base.MakeBatch(indices);
}
