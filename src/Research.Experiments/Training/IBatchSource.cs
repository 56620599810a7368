namespace Research.Experiments;

/// <summary>
/// Training data as a function of the step: <see cref="Get"/> must return the same batch for the same step, so a
/// resumed run sees exactly the batches the uninterrupted run would have (the data position is the step).
/// </summary>
public interface IBatchSource<out TBatch>
{
    /// <summary>The batch for step <paramref name="step"/>; tensors created here belong to the step's dispose scope.</summary>
    TBatch Get(long step);
}

/// <summary>A batch source that can hand one rank of a data-parallel job its share of every batch.</summary>
public interface IShardedBatchSource<out TBatch> : IBatchSource<TBatch>
{
    /// <summary>The same batches, each cut to <paramref name="sampler"/>'s rank's share (PyTorch's DistributedSampler).</summary>
    IBatchSource<TBatch> ForRank(Research.Torch.Distributed.DistributedSampler sampler);
}
