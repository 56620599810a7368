namespace Research.Interactive;

/// <summary>Shows values in the current notebook, with handles that update them in place.</summary>
public static class Display
{
    /// <summary>The host's display target; null outside notebooks.</summary>
    public static IDisplayTarget? Target { get; set; }

    /// <summary>Shows a value; the returned handle replaces it in place with <see cref="DisplayHandle.Update"/>.</summary>
    public static DisplayHandle Show(object? value)
    {
        var target = Target;
        value = Formatters.Renderable(value);
        if (target is not null && value is IUsesPlotly) PlotlyJs.EnsureShown(target);
        return new DisplayHandle(target, target?.Show(value));
    }
}

/// <summary>A displayed output that can be replaced in place (Jupyter's update_display_data).</summary>
public sealed class DisplayHandle
{
    private readonly IDisplayTarget? _target;

    internal DisplayHandle(IDisplayTarget? target, string? displayId)
    {
        _target = target;
        DisplayId = displayId;
    }

    /// <summary>The output's display id, or null when no notebook host is attached.</summary>
    public string? DisplayId { get; }

    /// <summary>Replaces the displayed value.</summary>
    public void Update(object? value)
    {
        if (_target is not null && DisplayId is not null) _target.Update(DisplayId, Formatters.Renderable(value));
    }
}
