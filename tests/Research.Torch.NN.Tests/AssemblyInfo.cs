// Several tests assert on Tensor.LiveCount, which is process-wide: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
