namespace Research.Torch;

/// <summary>
/// The tensors one thread created since <see cref="Tensor.TrackLive"/> that are still alive (freed by any thread).
/// Trackers nest: disposing one resumes the tracker that was active before it on the thread.
/// <code>
/// using var live = Tensor.TrackLive();
/// for (int i = 0; i &lt; 50; i++) TrainingStep();
/// Assert.Equal(0, live.Count);      // every tensor the steps made was freed
/// </code>
/// </summary>
public sealed class LiveTensors : IDisposable
{
    [ThreadStatic] private static LiveTensors? t_current;
    private readonly LiveTensors? _previous;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private long _count;
    private bool _disposed;

    internal LiveTensors()
    {
        _previous = t_current;
        t_current = this;
    }

    /// <summary>The tracker tensors created on this thread now report to, if any.</summary>
    internal static LiveTensors? Current => t_current;

    /// <summary>Tensors created on the tracking thread since the tracker started, not yet freed.</summary>
    public long Count => Interlocked.Read(ref _count);

    internal void Created() => Interlocked.Increment(ref _count);

    internal void Freed() => Interlocked.Decrement(ref _count);

    /// <summary>Stops counting new tensors (those already counted still report their frees); resumes the previous tracker.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("a live-tensor tracker must be disposed on the thread that started it");
        _disposed = true;
        if (ReferenceEquals(t_current, this)) t_current = _previous;
    }
}
