// libtorch's generator is process-wide and most model tests seed it (ManualSeed) before drawing weights and data:
// test classes running side by side would draw from each other's sequences. Run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
