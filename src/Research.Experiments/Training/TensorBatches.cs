using Research.Torch;

namespace Research.Experiments;

/// <summary>Mini-batches (x, y) of two tensors indexed along dimension 0 by an <see cref="EpochSampler"/>.</summary>
public sealed class TensorBatches : IShardedBatchSource<(Tensor X, Tensor Y)>
{
    private readonly Tensor _x, _y;
    private readonly Research.Torch.Distributed.DistributedSampler? _shard;

    /// <summary>Batches of <paramref name="x"/> and <paramref name="y"/> (the caller keeps ownership of both).</summary>
    public TensorBatches(Tensor x, Tensor y, int batchSize, ulong seed, bool shuffle = true)
    {
        if (x.Size(0) != y.Size(0)) throw new ArgumentException($"x has {x.Size(0)} rows but y has {y.Size(0)}", nameof(y));
        _x = x;
        _y = y;
        Sampler = new EpochSampler((int)x.Size(0), batchSize, seed, shuffle);
    }

    private TensorBatches(TensorBatches all, Research.Torch.Distributed.DistributedSampler shard)
    {
        (_x, _y, Sampler, _shard) = (all._x, all._y, all.Sampler, shard);
    }

    /// <summary>The index sampler.</summary>
    public EpochSampler Sampler { get; }

    /// <inheritdoc />
    public (Tensor X, Tensor Y) Get(long step)
    {
        var indices = Sampler.Indices(step);
        using var index = Tensor.From((_shard is null ? indices : _shard.Shard(indices)).Select(i => (long)i).ToArray());
        return (_x.IndexSelect(0, index), _y.IndexSelect(0, index));
    }

    /// <inheritdoc />
    public IBatchSource<(Tensor X, Tensor Y)> ForRank(Research.Torch.Distributed.DistributedSampler sampler) => new TensorBatches(this, sampler);
}

/// <summary>A batch source from a function of the step (e.g. freshly generated synthetic data).</summary>
public sealed class FuncBatches<TBatch>(Func<long, TBatch> get) : IBatchSource<TBatch>
{
    /// <inheritdoc />
    public TBatch Get(long step) => get(step);
}
