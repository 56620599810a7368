using Research.Interactive;

namespace Research.Kernel;

/// <summary>What every cell sees as globals.</summary>
public class KernelGlobals
{
    /// <summary>Shows a value as a new output; the handle's Update replaces it in place.</summary>
    public DisplayHandle display(object? value) => Display.Show(value);

    /// <summary>Cancelled when the user interrupts the running cell; long loops should check it.</summary>
    public CancellationToken CancellationToken => ExecutionContextInfo.CurrentToken;

    /// <summary>Throws <see cref="OperationCanceledException"/> if the cell has been interrupted.</summary>
    public void ThrowIfInterrupted() => ExecutionContextInfo.CurrentToken.ThrowIfCancellationRequested();
}

/// <summary>Per-cell ambient state, flowing into tasks the cell starts.</summary>
internal static class ExecutionContextInfo
{
    private static readonly AsyncLocal<CellContext?> Current = new();
    private static volatile CellContext? _latest;

    public static CellContext? Cell => Current.Value ?? _latest;
    public static CancellationToken CurrentToken => Cell?.Token ?? CancellationToken.None;

    public static void Enter(CellContext cell) { Current.Value = cell; _latest = cell; }
}

internal sealed class CellContext
{
    public required Message Request { get; init; }
    public CancellationTokenSource Cts { get; } = new();
    public CancellationToken Token => Cts.Token;
    public volatile bool Orphaned;
}
