using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments.Tests;

public class EpochSamplerTests
{
    [Fact]
    public void EveryEpochVisitsEachExampleOnceAndBatchesSelectTheSameRowsOfBothTensors()
    {
        using var scope = NewScope();
        var sampler = new EpochSampler(10, 4, seed: 3, shuffle: true, dropLast: false);
        Assert.Equal(3, sampler.BatchesPerEpoch);
        var epoch = Enumerable.Range(0, 3).SelectMany(b => sampler.Indices(b)).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), epoch.Order());
        Assert.NotEqual(epoch, Enumerable.Range(3, 3).SelectMany(b => sampler.Indices(b)).ToArray());   // reshuffled
        var x = Tensor.Arange(10, DType.Float32).Reshape(10, 1) * 10;
        var y = Tensor.Arange(10, DType.Int64);
        var (bx, by) = sampler.Batch(4, x, y);
        Assert.Equal(sampler.Indices(4).Select(i => (long)i), by.ToArray<long>());
        Assert.Equal(by.ToArray<long>().Select(i => i * 10f), bx.Reshape(-1).ToArray<float>());
    }

    [Fact]
    public void RunVisitsEveryStepInOrderAndEndsEachEpochWithTheStepsDone()
    {
        using var scope = NewScope();
        var sampler = new EpochSampler(10, 4, seed: 3, shuffle: true, dropLast: false);
        var y = Tensor.Arange(10, DType.Int64);
        var steps = new List<long>();
        var ends = new List<long>();
        sampler.Run(2, y, y, (step, bx, by) =>
        {
            steps.Add(step);
            Assert.Equal(sampler.Indices(step).Select(i => (long)i), by.ToArray<long>());
        }, ends.Add);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)i), steps);
        Assert.Equal([3L, 6L], ends);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => sampler.Run(1, y, y, (_, _, _) => { }, _ => { }, cancelled.Token));
    }
}
