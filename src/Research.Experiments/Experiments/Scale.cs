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
