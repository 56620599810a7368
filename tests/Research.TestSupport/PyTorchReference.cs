using System.Diagnostics;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.TestSupport;

/// <summary>
/// Runs PyTorch (Debian's python3-torch, the same libtorch) on tensors from a test and returns what it
/// computed: the reference side of differential tests. Batch many cases into one call: each call
/// starts a Python process (about a second to import torch).
/// </summary>
public static class PyTorchReference
{
    /// <summary>Debian's interpreter, which has python3-torch (not the pyenv python first on PATH).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>
    /// Saves <paramref name="inputs"/>, runs <paramref name="code"/> (which reads <c>inputs[name]</c> and
    /// sets <c>outputs[name]</c>), and loads the outputs.
    /// </summary>
    public static Dictionary<string, Tensor> Run(string code, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var dir = Directory.CreateTempSubdirectory("pytorch-ref-").FullName;
        try
        {
            var codePath = Path.Combine(dir, "snippet.py");
            var inPath = Path.Combine(dir, "in.pt");
            var outPath = Path.Combine(dir, "out.pt");
            File.WriteAllText(codePath, code);
            Save(inputs, inPath);
            var script = Path.Combine(AppContext.BaseDirectory, "reference.py");
            var psi = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { script, codePath, inPath, outPath }) psi.ArgumentList.Add(a);
            psi.Environment["OMP_NUM_THREADS"] = "1";
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                p.Kill(true);
                throw new TimeoutException("the PyTorch reference did not finish in 2 minutes");
            }
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"PyTorch reference failed ({p.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
            var outputs = Load(outPath);
            outputs.Remove("__reference__", out var marker);
            marker?.Dispose();
            return outputs;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The largest |a - b| / (atol + rtol·|b|) over all elements; ≤ 1 means "close".</summary>
    public static double Closeness(Tensor actual, Tensor expected, double rtol, double atol)
    {
        using var scope = NewScope();
        var a = actual.Detach().To(DType.Float64);
        var b = expected.Detach().To(DType.Float64);
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"shapes differ: [{string.Join(",", a.Shape)}] vs [{string.Join(",", b.Shape)}]");
        if (a.NumEl == 0) return 0;
        var ratio = (a - b).Abs() / (b.Abs() * rtol + atol);
        return ratio.NanToNum(0, double.MaxValue, double.MaxValue).Max().Item<double>();
    }
}
