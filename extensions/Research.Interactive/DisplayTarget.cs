namespace Research.Interactive;

/// <summary>
/// Where displayed values go. A notebook host (our Jupyter kernel, or .NET Interactive through
/// extension.dib) installs one at start-up; without a host, displays are silently dropped so the
/// same code runs in scripts and tests.
/// </summary>
public interface IDisplayTarget
{
    /// <summary>Shows <paramref name="value"/> as a new output and returns its display id.</summary>
    string Show(object? value);

    /// <summary>Replaces the output with id <paramref name="displayId"/> in place.</summary>
    void Update(string displayId, object? value);
}
