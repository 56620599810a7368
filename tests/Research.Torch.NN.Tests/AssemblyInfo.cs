// The data loader's leak test reads Tensor.LiveCount, which is process-wide (its worker creates tensors on another
// thread): run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
