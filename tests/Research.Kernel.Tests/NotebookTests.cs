using System.Text.Json.Nodes;

namespace Research.Kernel.Tests;

/// <summary>environment/notebooks.sh through Debian's nbconvert, with a kernelspec for the kernel under test.</summary>
public class NotebookTests
{
    private static (int Code, string Out, string Err, string OutDir) RunNotebooks(params string[] notebooks)
    {
        var spec = Directory.CreateTempSubdirectory("rk-nbspec-").FullName;
        var install = Harness.Run("/bin/bash", new[] { Path.Combine(Harness.RepoRoot, "environment", "kernel-install.sh") },
            env: new Dictionary<string, string> { ["JUPYTER_DATA_DIR"] = spec, ["KERNEL_DLL"] = Harness.KernelDll });
        Assert.True(install.ExitCode == 0, install.Stderr);
        var outDir = Directory.CreateTempSubdirectory("rk-nbout-").FullName;
        var (code, stdout, stderr) = Harness.Run("/bin/bash", new[] { Path.Combine(Harness.RepoRoot, "environment", "notebooks.sh") }.Concat(notebooks),
            timeoutMs: 120_000, env: new Dictionary<string, string> { ["JUPYTER_PATH"] = spec, ["NOTEBOOKS_OUT"] = outDir, ["RESEARCH_SCALE"] = "smoke" });
        return (code, stdout, stderr, outDir);
    }

    [Fact]
    public void Hello_notebook_runs_headless_with_outputs_and_html()
    {
        var (code, stdout, stderr, outDir) = RunNotebooks(Path.Combine(Harness.RepoRoot, "tests", "Research.Kernel.Tests", "notebooks", "kernel", "hello.ipynb"));
        Assert.True(code == 0, stdout + stderr);
        var executed = Path.Combine(outDir, "kernel", "hello.ipynb");
        Assert.True(File.Exists(Path.Combine(outDir, "kernel", "hello.html")));
        var nb = JsonNode.Parse(File.ReadAllText(executed))!;
        var outputs = nb["cells"]!.AsArray().Where(c => (string)c!["cell_type"]! == "code").Select(c => c!["outputs"]!.ToJsonString()).ToList();
        Assert.Contains("hello from C# (scale: smoke", outputs[1]);
        Assert.Contains("step 3 of 3", outputs[2]);          // update_display_data replaced the output in place
        Assert.DoesNotContain("step 0 of 3", outputs[2]);
        Assert.Contains("42", outputs[3]);
    }

    [Fact]
    public void A_failing_cell_fails_the_run_naming_notebook_cell_and_error()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("rk-nbfail-").FullName, "claims");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "failing.ipynb");
        var nb = new JsonObject
        {
            ["cells"] = new JsonArray(
                Code("var gain = 1.5;"),
                new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "claim check" },
                Code("if (gain < 5) throw new InvalidOperationException($\"claim failed: gain {gain} dB < 5 dB\");"),
                Code("Console.WriteLine(\"never\");")),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = "research-csharp", ["display_name"] = "C# (Research)", ["language"] = "csharp" },
                ["language_info"] = new JsonObject { ["name"] = "csharp" },
            },
            ["nbformat"] = 4, ["nbformat_minor"] = 5,
        };
        File.WriteAllText(path, nb.ToJsonString());
        var (code, stdout, stderr, _) = RunNotebooks(path);
        Assert.NotEqual(0, code);
        Assert.Contains($"FAILED {path}, cell 2 (code cell 2)", stderr);
        Assert.Contains("claim failed: gain 1.5 dB < 5 dB", stderr);
        Assert.Contains("InvalidOperationException", stderr);
    }

    private static JsonObject Code(string source) => new()
    {
        ["cell_type"] = "code", ["execution_count"] = null, ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["source"] = source,
    };
}
