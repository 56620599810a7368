namespace Research.Torch;

/// <summary>
/// A process-wide interrupt flag that every tensor operation observes: a notebook kernel sets it on
/// interrupt, and the running cell stops at its next tensor operation with an
/// <see cref="OperationCanceledException"/>. Loops without tensor work can poll <see cref="Token"/>.
/// </summary>
public static class Interrupt
{
    private static volatile bool s_requested;
    private static CancellationTokenSource s_source = new();

    /// <summary>True once an interrupt was requested and not yet reset.</summary>
    public static bool IsRequested => s_requested;

    /// <summary>A token cancelled when an interrupt is requested.</summary>
    public static CancellationToken Token => s_source.Token;

    /// <summary>Asks the running code to stop at its next tensor operation or token check.</summary>
    public static void Request()
    {
        s_requested = true;
        s_source.Cancel();
    }

    /// <summary>Clears a request (a kernel calls this before running the next cell).</summary>
    public static void Reset()
    {
        if (!s_requested && !s_source.IsCancellationRequested) return;
        s_requested = false;
        Interlocked.Exchange(ref s_source, new CancellationTokenSource()).Dispose();
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> when an interrupt was requested.</summary>
    public static void ThrowIfRequested()
    {
        if (s_requested) throw new OperationCanceledException("interrupted", s_source.Token);
    }
}
