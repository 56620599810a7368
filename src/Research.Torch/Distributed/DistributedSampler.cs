namespace Research.Torch.Distributed;

/// <summary>
/// Splits an epoch's example order between the ranks as PyTorch's <c>DistributedSampler</c> does: the order (the same
/// on every rank: shuffle with a seed) is padded by wrapping around to a multiple of the world size, and rank r takes
/// positions r, r + world, r + 2·world, …, so every rank sees the same number of examples and together they see all.
/// </summary>
public sealed class DistributedSampler
{
    /// <summary>A sampler for rank <paramref name="rank"/> of <paramref name="worldSize"/>.</summary>
    public DistributedSampler(int rank, int worldSize, bool dropLast = false)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{worldSize - 1} for a world of size {worldSize}");
        Rank = rank;
        WorldSize = worldSize;
        DropLast = dropLast;
    }

    /// <summary>A sampler for this process's rank in <paramref name="group"/>.</summary>
    public DistributedSampler(ProcessGroup group, bool dropLast = false) : this(group.Rank, group.Size, dropLast) { }

    /// <summary>This rank.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int WorldSize { get; }

    /// <summary>Whether the tail that does not divide evenly is dropped (else it is padded by repeating the start).</summary>
    public bool DropLast { get; }

    /// <summary>How many of <paramref name="count"/> examples each rank gets per epoch.</summary>
    public int ShardLength(int count) => DropLast ? count / WorldSize : (count + WorldSize - 1) / WorldSize;

    /// <summary>This rank's share of an epoch's <paramref name="order"/>.</summary>
    public int[] Shard(IReadOnlyList<int> order)
    {
        int n = ShardLength(order.Count);
        if (order.Count == 0) return [];
        var shard = new int[n];
        for (int i = 0; i < n; i++) shard[i] = order[(Rank + i * WorldSize) % order.Count];
        return shard;
    }
}
