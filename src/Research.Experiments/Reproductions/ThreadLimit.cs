using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// Sets libtorch's intra-op threads (and OpenBLAS's, when libtorch runs on it) for a block and restores the previous
/// settings on dispose. Small models on a shared 2-core machine run fastest on one thread: OpenMP barriers stall more
/// than they parallelise.
/// </summary>
public sealed class ThreadLimit : IDisposable
{
    private readonly int _previousThreads;
    private readonly int _previousBlasThreads;
    private bool _disposed;

    private ThreadLimit(int threads)
    {
        _previousThreads = NumThreads;
        _previousBlasThreads = BlasThreads;
        SetNumThreads(threads, _previousBlasThreads > 0 ? threads : null);
    }

    /// <summary>Runs on exactly <paramref name="threads"/> threads until disposed (timings that must not depend on the environment).</summary>
    public static ThreadLimit To(int threads) => new(threads);

    /// <summary>One thread until disposed, unless RESEARCH_TORCH_THREADS chooses the count (then null: nothing is changed).</summary>
    public static ThreadLimit? ForSmallModels() =>
        Environment.GetEnvironmentVariable("RESEARCH_TORCH_THREADS") is null ? new ThreadLimit(1) : null;

    /// <summary>Restores the thread counts seen at creation.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        SetNumThreads(_previousThreads, _previousBlasThreads > 0 ? _previousBlasThreads : null);
    }
}
