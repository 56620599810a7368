using System.Diagnostics;
using System.Text.Json;

namespace Research.Bench;

/// <summary>Runs the PyTorch twins (twins.py, Debian's python3-torch) on case files written by <see cref="ModelCase.Save"/>.</summary>
public static class PyTorchTwins
{
    /// <summary>One twin's result from twins.py.</summary>
    public sealed record TwinResult(double[] Losses, double? Ms);

    /// <summary>Makes a PyTorch child run the OpenBLAS kernels this process runs (OPENBLAS_CORETYPE = <see cref="Research.Torch.Torch.BlasCore"/>).</summary>
    public static void SameBlasKernels(ProcessStartInfo psi)
    {
        if (Research.Torch.Torch.BlasCore is { Length: > 0 } core) psi.Environment["OPENBLAS_CORETYPE"] = core;
    }

    /// <summary>Runs twins.py on the case files: each twin's first losses and median step ms, by case key.</summary>
    public static Dictionary<string, TwinResult> Run(int threads, bool tunedMalloc, IEnumerable<string> files, int lossSteps, int timedSteps)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        SameBlasKernels(psi);
        if (tunedMalloc) psi.Environment["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824";
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "twins.py"), threads.ToString(), lossSteps.ToString(), timedSteps.ToString() }.Concat(files))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(true);
            throw new TimeoutException("twins.py did not finish in 10 minutes");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"twins.py failed with {p.ExitCode}:\n{stderr.Result}");
        return JsonSerializer.Deserialize<Dictionary<string, TwinResult>>(stdout.Result, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }
}
