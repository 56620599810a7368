using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Research.Experiments;

/// <summary>Where and with what a run was made: code version, libtorch, .NET, build, device and threads.</summary>
public sealed record EnvironmentInfo(
    string? GitCommit,
    bool? GitDirty,
    string TorchVersion,
    string DotNetVersion,
    string Os,
    string Build,
    string Device,
    int Threads,
    string Machine)
{
    /// <summary>Captures the current environment (git is asked in <paramref name="workingDirectory"/>, default the current one).</summary>
    public static EnvironmentInfo Capture(string device, string? workingDirectory = null)
    {
        var dir = workingDirectory ?? Environment.CurrentDirectory;
        // Outside a checkout (a run started from /tmp), ask where the program itself was built.
        if (Git(dir, "rev-parse HEAD") is null) dir = AppContext.BaseDirectory;
        var commit = Git(dir, "rev-parse HEAD");
        var status = commit is null ? null : Git(dir, "status --porcelain --untracked-files=no");
        var build = typeof(EnvironmentInfo).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";
        return new EnvironmentInfo(commit, status is null ? null : status.Length > 0, Research.Torch.Torch.LibtorchVersion,
            RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription, build, device,
            Research.Torch.Torch.NumThreads, Environment.MachineName);
    }

    private static string? Git(string dir, string args)
    {
        try
        {
            var psi = new ProcessStartInfo("git", args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi);
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd().Trim();
            if (!p.WaitForExit(5000) || p.ExitCode != 0) return null;
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
