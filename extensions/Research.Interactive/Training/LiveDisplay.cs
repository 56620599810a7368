namespace Research.Interactive;

/// <summary>
/// A notebook output refreshed during training every N steps (spectrograms, audio, samples): the view is only built on
/// the steps that show it.
/// </summary>
public sealed class LiveDisplay
{
    private readonly DisplayHandle _handle;

    private LiveDisplay(DisplayHandle handle) => _handle = handle;

    /// <summary>Shows <paramref name="initial"/> (a placeholder or the first view) and returns the live output.</summary>
    public static LiveDisplay Show(object? initial) => new(Display.Show(initial));

    /// <summary>Number of times the output has been replaced.</summary>
    public int UpdateCount { get; private set; }

    /// <summary>Replaces the output now.</summary>
    public void Update(object? value)
    {
        _handle.Update(value);
        UpdateCount++;
    }

    /// <summary>On steps that are multiples of <paramref name="every"/>, builds the view with <paramref name="render"/> and shows it; returns whether it did.</summary>
    public bool UpdateEvery(long step, int every, Func<object?> render)
    {
        if (every <= 0) throw new ArgumentOutOfRangeException(nameof(every), every, "update period must be positive");
        if (step % every != 0) return false;
        Update(render());
        return true;
    }
}
