namespace Research.Experiments;

/// <summary>How big an experiment runs: seconds for CI, minutes on a CPU, or paper scale on a GPU.</summary>
public enum Scale
{
    /// <summary>Seconds: CI and tests.</summary>
    Smoke,
    /// <summary>Minutes on a 2-core CPU (the default).</summary>
    Cpu,
    /// <summary>Paper scale on a GPU.</summary>
    Gpu,
}

/// <summary>Scale names as notebooks and the command line write them.</summary>
public static class Scales
{
    /// <summary>"smoke", "cpu" or "gpu" (any case) to a <see cref="Scale"/>; anything else is an <see cref="ArgumentException"/>.</summary>
    public static Scale Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "smoke" => Scale.Smoke,
        "cpu" => Scale.Cpu,
        "gpu" => Scale.Gpu,
        _ => throw new ArgumentException($"scale must be smoke, cpu or gpu, not '{name}'", nameof(name)),
    };
}
