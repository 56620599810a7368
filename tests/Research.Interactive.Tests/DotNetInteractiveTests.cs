using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Research.Interactive.Tests;

/// <summary>
/// The extension inside .NET Interactive, as a user still on that host meets it: the Research.Interactive package is
/// packed into a folder feed, a notebook run by Debian's nbclient on the real <c>.net-csharp</c> Jupyter kernel loads it
/// from there (so extension.dib runs), shows a live loss curve and appends points to it in the same cell and a later one,
/// and the exported HTML, opened in Chromium, must show the curve with every point: the updates landed on the original
/// output. The package is restored into a private NuGet cache, so nothing from the repository is reachable by path.
/// </summary>
[Collection(DisplayCollection.Name)]
public sealed class DotNetInteractiveTests(BrowserFixture browser, ITestOutputHelper log)
{
    private const int FirstCellPoints = 40, LaterCellPoints = 20;

    [DotNetInteractiveFact]
    public async Task PackagedExtensionKeepsALiveCurveInPlaceInTheDotNetInteractiveKernel()
    {
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("dotnet-interactive-").FullName;
        var outRoot = Repo.Artifacts("dotnet-interactive");   // the executed notebook and its HTML stay for a person to look at
        if (Directory.Exists(outRoot)) Directory.Delete(outRoot, true);
        try
        {
            Assert.Contains("--http-local-only", DotNetInteractive.KernelArgv());   // its HTTP server listens on loopback only
            var feed = DotNetInteractive.Pack();
            log.WriteLine($"packed into {feed} in {clock.Elapsed.TotalSeconds:F1} s");
            var notebook = Path.Combine(Directory.CreateDirectory(Path.Combine(dir, "dotnet-interactive")).FullName, "extension.ipynb");
            File.WriteAllText(notebook, Notebook(Cells(feed)).ToJsonString());

            var run = DotNetInteractive.Execute(notebook, outRoot, nugetCache: Path.Combine(dir, "nuget"));
            log.WriteLine($"executed through .net-csharp at {clock.Elapsed.TotalSeconds:F1} s\n{run.Output}");
            Assert.True(run.ExitCode == 0, $"the notebook failed in .NET Interactive:\n{run.Output}");

            var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(outRoot, "dotnet-interactive", "extension.ipynb")))!;
            var cells = executed["cells"]!.AsArray().Select(c => c!["outputs"]!.AsArray()).ToList();
            Assert.Contains("<pre>6</pre>", Text(cells[1], "execute_result"));                   // a Research.Torch tensor: the shim loaded
            Assert.Equal(2, cells[2].Count(o => (string)o!["output_type"]! == "display_data"));   // plotly.js + the curve, no copies
            Assert.DoesNotContain(cells[3], o => (string)o!["output_type"]! == "display_data");              // the later cell updated it
            Assert.Contains("Research.Interactive package is loaded", Text(cells[0], "stream"));

            var html = Path.Combine(outRoot, "dotnet-interactive", "extension.html");
            var (page, blocked) = await browser.OfflinePageAsync();
            await page.GotoAsync(new Uri(html).AbsoluteUri);
            await page.WaitForFunctionAsync("() => document.querySelectorAll('.research-figure.js-plotly-plot').length >= 1", null, new() { Timeout = 60_000 });
            var x = await page.EvaluateAsync<double[]>("() => { const gd = document.querySelector('.research-figure.js-plotly-plot'); return gd.data.length ? gd.data[0].x : []; }");
            Assert.Equal(Enumerable.Range(0, FirstCellPoints + LaterCellPoints).Select(i => (double)i), x);
            Assert.DoesNotContain(blocked, url => url.Contains("plotly", StringComparison.OrdinalIgnoreCase));   // plotly.js came from the package
            await page.ScreenshotAsync(new() { Path = Repo.Artifacts("dotnet-interactive-notebook.png"), FullPage = true });
            await page.Context.CloseAsync();
            log.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s; requests the page tried and the test blocked: {string.Join(", ", blocked)}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string[] Cells(string feed) =>
    [
        $"""
        #i "nuget: {feed}"
        #r "nuget: Research.Interactive, {DotNetInteractive.PackageVersion}"
        Console.WriteLine(Research.Interactive.Display.Target is null ? "no display target" : "Research.Interactive package is loaded");
        """,
        """
        Research.Torch.Tensor.Ones(2, 3).Sum().Item<float>()
        """,
        $$"""
        using Research.Interactive;
        // Every Add refreshes (no throttle), so the output is updated {{FirstCellPoints}} times in this cell.
        var curve = new LossCurve("in .NET Interactive") { MinRefreshInterval = TimeSpan.Zero, RenderBudget = 1e9 }.Show();
        for (int step = 0; step < {{FirstCellPoints}}; step++) curve.Add("loss", step, 1.0 / (step + 1));
        """,
        $$"""
        for (int step = {{FirstCellPoints}}; step < {{FirstCellPoints + LaterCellPoints}}; step++) curve.Add("loss", step, 1.0 / (step + 1));
        curve.Complete();
        """,
    ];

    private static string Text(JsonArray outputs, string type) => string.Join("\n", outputs
        .Where(o => (string)o!["output_type"]! == type)
        .Select(o => (type == "stream" ? o!["text"] : o!["data"])!.ToJsonString(Unescaped)));

    private static readonly System.Text.Json.JsonSerializerOptions Unescaped = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonObject Notebook(string[] cells) => TestNotebook.Create(DotNetInteractive.KernelName, ".NET (C#)", "C#", cells);
}

/// <summary>Runs only where .NET Interactive's kernel is installed; skips, with the install's own error, where it cannot be.</summary>
public sealed class DotNetInteractiveFactAttribute : FactAttribute
{
    public DotNetInteractiveFactAttribute()
    {
        if (DotNetInteractive.InstallError() is { } error) Skip = $".NET Interactive is not installable here, so the extension cannot be tested in it: {error}";
    }
}

/// <summary>
/// The dotnet tool Microsoft.dotnet-interactive and its <c>.net-csharp</c> kernelspec as environment/setup.d/40-dotnet-interactive.sh
/// installs them under artifacts/dotnet-interactive (never user-wide), and the Research.Interactive package feed.
/// </summary>
internal static class DotNetInteractive
{
    public const string KernelName = ".net-csharp";
    public const string PackageVersion = "0.1.0";

    private static string Home => Path.Combine(Repo.Root, "artifacts", "dotnet-interactive");
    private static string JupyterPath => Path.Combine(Home, "jupyter");
    private static string SetupScript => Path.Combine(Repo.Root, "environment", "setup.d", "40-dotnet-interactive.sh");
    private static readonly Lazy<string?> Installed = new(Install);

    /// <summary>Null once the tool and the kernelspec are there (installing them if setup has not); else why not.</summary>
    public static string? InstallError() => Installed.Value;

    private static string? Install()
    {
        var spec = Path.Combine(JupyterPath, "kernels", KernelName, "kernel.json");
        if (!File.Exists(spec))
        {
            var (code, output) = Run("bash", [SetupScript], TimeSpan.FromMinutes(5));
            if (code != 0) return $"{SetupScript} exited {code}: {output}";
        }
        var error = Path.Combine(Home, "install-error.txt");
        if (File.Exists(error)) return File.ReadAllText(error).Trim();
        return File.Exists(spec) ? null : $"{SetupScript} wrote no kernelspec at {spec}";
    }

    /// <summary>The command line of the installed <c>.net-csharp</c> kernelspec.</summary>
    public static string[] KernelArgv() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(JupyterPath, "kernels", KernelName, "kernel.json")))!["argv"]!.AsArray()
            .Select(a => (string)a!).ToArray();

    /// <summary>`dotnet pack` of the built extension (this test run's configuration) into artifacts/dotnet-interactive/feed.</summary>
    public static string Pack()
    {
        var feed = Path.Combine(Home, "feed");
        var project = Path.Combine(Repo.Root, "extensions", "Research.Interactive", "Research.Interactive.csproj");
        var configuration = typeof(DotNetInteractive).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Release";
        var (code, output) = Run("dotnet", ["pack", project, "-c", configuration, "--no-build", "-nologo", "-o", feed], TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"dotnet pack failed:\n{output}");
        Assert.True(File.Exists(Path.Combine(feed, $"Research.Interactive.{PackageVersion}.nupkg")), $"no package in {feed}:\n{output}");
        return feed;
    }

    /// <summary>
    /// Executes <paramref name="notebook"/> on the <c>.net-csharp</c> kernel with environment/run_notebooks.py (Debian's nbclient
    /// and nbconvert), writing the executed notebook and its HTML under <paramref name="outRoot"/>; packages restore into
    /// <paramref name="nugetCache"/>, so a package of the same version packed earlier is never reused.
    /// </summary>
    public static (int ExitCode, string Output) Execute(string notebook, string outRoot, string nugetCache) =>
        Run("/usr/bin/python3", [Path.Combine(Repo.Root, "environment", "run_notebooks.py"), "--out", outRoot, "--jobs", "1",
                "--timeout", "600", "--startup-timeout", "300", "--kernel", KernelName, notebook],   // its start: ~4 s quiet, 12+ s loaded
            TimeSpan.FromMinutes(10),
            new Dictionary<string, string>
            {
                ["JUPYTER_PATH"] = JupyterPath, ["NUGET_PACKAGES"] = nugetCache, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                // plotly.js and the native shim must come from the package, not from overrides that point into a checkout.
                ["RESEARCH_PLOTLY_JS"] = "", ["RESEARCH_TORCH_NATIVE"] = "",
            });

    private static (int Code, string Output) Run(string file, string[] args, TimeSpan timeout, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} {string.Join(' ', args)} did not finish in {timeout.TotalMinutes} minutes\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
