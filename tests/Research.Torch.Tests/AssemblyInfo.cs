// Memory and thread-count tests measure the whole process: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
