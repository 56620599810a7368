using System.Diagnostics;

namespace Research.Torch.Tests;

/// <summary>
/// A short run of the fuzz harness (tests/Research.Torch.Fuzz): seeded random bad calls across every op family, in
/// child processes. None may crash, hang or raise an untyped exception. The long run is
/// <c>dotnet tests/Research.Torch.Fuzz/bin/Release/net10.0/Research.Torch.Fuzz.dll --cases 10000</c>.
/// </summary>
public class FuzzTests
{
    [Fact]
    public async Task ThreeHundredRandomBadCallsNeverCrashHangOrEscapeUntyped()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Research.Torch.Fuzz.dll"));
        foreach (var a in new[] { "--cases", "300", "--seed", "7", "--batch", "150" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));   // a hang detector, not a timing bound
        await p.WaitForExitAsync(deadline.Token);
        Assert.True(p.ExitCode == 0, $"fuzz run found problems:\n{output}\n{await errors}");
        Assert.Contains("0 crashes, 0 hangs, 0 untyped exceptions", output);
    }
}
