using Research.Torch;

namespace Research.Experiments;

/// <summary>
/// Mini-batch indices over <c>count</c> examples: each epoch is a permutation drawn from (seed, epoch), so the
/// batch of any step is computed directly from the step, with no state to save.
/// </summary>
public sealed class EpochSampler
{
    private int _cachedEpoch = -1;
    private int[] _order = [];

    /// <summary>Creates a sampler.</summary>
    public EpochSampler(int count, int batchSize, ulong seed, bool shuffle = true, bool dropLast = true)
    {
        if (count < 1 || batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"need count ≥ 1 and batch size ≥ 1, got {count} and {batchSize}");
        Count = count;
        BatchSize = Math.Min(batchSize, count);
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The data-order seed.</summary>
    public ulong Seed { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The epoch that <paramref name="step"/> falls in.</summary>
    public int Epoch(long step) => (int)(step / BatchesPerEpoch);

    /// <summary>The example indices of the batch for <paramref name="step"/>.</summary>
    public int[] Indices(long step)
    {
        int epoch = Epoch(step);
        int k = (int)(step % BatchesPerEpoch);
        var order = Order(epoch);
        int start = k * BatchSize;
        return order[start..Math.Min(Count, start + BatchSize)];
    }

    /// <summary>
    /// The batch for <paramref name="step"/>: the rows (dimension 0) of <paramref name="x"/> and <paramref name="y"/> at
    /// <see cref="Indices"/>, in the current scope.
    /// </summary>
    public (Tensor X, Tensor Y) Batch(long step, Tensor x, Tensor y)
    {
        using var index = Tensor.From(Indices(step).Select(i => (long)i).ToArray()).To(x.Device);
        return (x.IndexSelect(0, index), y.IndexSelect(0, index));
    }

    /// <summary>
    /// Runs <paramref name="epochs"/> epochs over (<paramref name="x"/>, <paramref name="y"/>): every step checks
    /// <paramref name="cancellation"/>, gets a dispose scope and its batch, and calls <paramref name="step"/>(step index,
    /// batch x, batch y); after each epoch <paramref name="endOfEpoch"/> gets the number of steps done.
    /// </summary>
    public void Run(int epochs, Tensor x, Tensor y, Action<long, Tensor, Tensor> step, Action<long> endOfEpoch,
        CancellationToken cancellation = default)
    {
        long done = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int b = 0; b < BatchesPerEpoch; b++, done++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = Research.Torch.Torch.NewScope();
                var (bx, by) = Batch(done, x, y);
                step(done, bx, by);
            }
            endOfEpoch(done);
        }
    }

    private int[] Order(int epoch)
    {
        if (epoch == _cachedEpoch) return _order;
        var order = Enumerable.Range(0, Count).ToArray();
        if (Shuffle)
        {
            var rng = new SplitMix64(Seeds.Mix(Seed, (ulong)epoch));
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = (int)rng.NextBelow((ulong)(i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        _cachedEpoch = epoch;
        _order = order;
        return order;
    }
}
