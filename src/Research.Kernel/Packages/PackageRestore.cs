using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Research.Kernel.Packages;

/// <summary>A restore that failed: the message names the package(s) and the reason.</summary>
internal sealed class PackageRestoreException(string message, bool offline = false) : Exception(message)
{
    /// <summary>True when no NuGet source could be reached.</summary>
    public bool Offline { get; } = offline;
}

/// <summary>
/// Restores a set of packages with the .NET SDK's own restore: a tiny project (the kernel's target framework, one
/// <c>PackageReference</c> per requested package) in a cache folder keyed by the package set, and <c>dotnet restore</c>
/// on it. The SDK resolves the dependency graph (nearest-wins, one version per package), honours NuGet.Config and the
/// global packages folder, and writes <c>obj/project.assets.json</c>; a later request for the same set (another cell,
/// another kernel) reads that file and starts no process.
/// </summary>
internal static partial class PackageRestore
{
    /// <summary>The restore projects: <c>$XDG_CACHE_HOME/research-kernel/nuget</c> (default <c>~/.cache/…</c>).</summary>
    public static string CacheRoot => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "research-kernel", "nuget");

    /// <summary>NuGet's global packages folder (<c>$NUGET_PACKAGES</c>, default <c>~/.nuget/packages</c>).</summary>
    public static string GlobalPackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
        ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The target framework packages are restored for: the runtime's (net10.0), NuGet picks the nearest compatible one.</summary>
    public static string TargetFramework => $"net{Environment.Version.Major}.0";

    /// <summary>The outcome of a restore: where its assets file is and whether a process ran for it.</summary>
    public sealed record Result(string AssetsFile, bool Cached, TimeSpan Elapsed);

    /// <summary>
    /// Restores <paramref name="packages"/> together (the NuGet.Config that applies to <paramref name="workingDirectory"/>
    /// is used). When no source can be reached, restores again with the global packages folder as the only source, so
    /// cached packages (latest stable = newest cached) still load without a network.
    /// </summary>
    public static Result Restore(IReadOnlyList<PackageRequest> packages, string workingDirectory, Action<string>? progress = null)
    {
        var config = FindConfig(workingDirectory);
        try { return RestoreOnce(packages, config, null, progress); }
        catch (PackageRestoreException e) when (e.Offline && Directory.Exists(GlobalPackages))
        {
            progress?.Invoke($"No NuGet source could be reached: restoring from the global packages folder ({GlobalPackages}).");
            try { return RestoreOnce(packages, config, GlobalPackages, progress); }
            catch (PackageRestoreException inner)
            {
                throw new PackageRestoreException(
                    $"Could not restore {string.Join(", ", packages.Select(p => $"'{p}'"))}: no NuGet source could be reached (no network?), " +
                    $"and the global packages folder ({GlobalPackages}) does not hold it or one of its dependencies.\n{inner.Message}", offline: true);
            }
        }
        catch (PackageRestoreException e) when (e.Offline)
        {
            throw new PackageRestoreException(
                $"Could not restore {string.Join(", ", packages.Select(p => $"'{p}'"))}: no NuGet source could be reached (no network?) " +
                $"and there is no global packages folder ({GlobalPackages}) to restore from.\n{e.Message}", offline: true);
        }
    }

    private static Result RestoreOnce(IReadOnlyList<PackageRequest> packages, string? config, string? source, Action<string>? progress)
    {
        var project = ProjectText(packages);
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            project + "\n" + (source ?? "") + "\n" + (config is null ? "" : config + "\n" + File.ReadAllText(config)))))[..16].ToLowerInvariant();
        var dir = Path.Combine(CacheRoot, key);
        var assets = Path.Combine(dir, "obj", "project.assets.json");
        var csproj = Path.Combine(dir, "restore.csproj");
        if (File.Exists(assets) && File.Exists(csproj) && File.ReadAllText(csproj) == project)
            return new Result(assets, true, TimeSpan.Zero);

        Directory.CreateDirectory(dir);
        using var gate = Lock(dir);
        if (File.Exists(assets) && File.Exists(csproj) && File.ReadAllText(csproj) == project)
            return new Result(assets, true, TimeSpan.Zero);   // another kernel restored it while we waited
        File.WriteAllText(csproj, project);
        progress?.Invoke($"Restoring {string.Join(", ", packages)} (dotnet restore)…");
        var clock = Stopwatch.StartNew();
        var (code, output) = RunRestore(dir, csproj, config, source);
        if (code == 0 && File.Exists(assets)) return new Result(assets, false, clock.Elapsed);
        try { File.Delete(assets); } catch (IOException) { }   // a failed restore still writes one: never treat it as cached
        throw Failure(packages, output, code);
    }

    private static string ProjectText(IReadOnlyList<PackageRequest> packages)
    {
        var items = string.Join("\n", packages
            .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .Select(p => $"    <PackageReference Include=\"{System.Security.SecurityElement.Escape(p.Name)}\" Version=\"{System.Security.SecurityElement.Escape(p.Version ?? "*")}\" />"));
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{TargetFramework}</TargetFramework>
                <OutputType>Library</OutputType>
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
              <ItemGroup>
            {items}
              </ItemGroup>
            </Project>

            """;
    }

    private static (int Code, string Output) RunRestore(string dir, string csproj, string? config, string? source)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "restore", csproj, "--nologo", "-v", "q", "--disable-build-servers",
                     "-p:ImportDirectoryBuildProps=false", "-p:ImportDirectoryBuildTargets=false", "-p:ImportDirectoryPackagesProps=false" })
            psi.ArgumentList.Add(a);
        if (config is not null) { psi.ArgumentList.Add("--configfile"); psi.ArgumentList.Add(config); }
        if (source is not null) { psi.ArgumentList.Add("--source"); psi.ArgumentList.Add(source); }
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var p = Process.Start(psi) ?? throw new PackageRestoreException("could not start `dotnet restore`");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "dotnet restore did not finish in 10 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The dotnet host running this kernel (so restore uses the same SDK), else <c>dotnet</c> on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
        : Environment.ProcessPath is { } pp && Path.GetFileNameWithoutExtension(pp) == "dotnet" ? pp
        : "dotnet";

    /// <summary>The nearest NuGet.Config from the notebook's folder up; null leaves NuGet its user/machine configuration.</summary>
    private static string? FindConfig(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            foreach (var name in new[] { "NuGet.Config", "nuget.config", "NuGet.config" })
                if (File.Exists(Path.Combine(dir.FullName, name))) return Path.Combine(dir.FullName, name);
        return null;
    }

    private static IDisposable Lock(string dir)
    {
        var path = Path.Combine(dir, ".lock");
        for (var deadline = DateTime.UtcNow.AddMinutes(10); ; Thread.Sleep(200))
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { }
        }
    }

    [GeneratedRegex(@"error (?<code>NU\d{4}):\s*(?<text>.*)$", RegexOptions.Multiline)]
    private static partial Regex NuGetError();

    [GeneratedRegex(@"Unable to find package (?<name>\S+?)\.?(\s|$)")]
    private static partial Regex PackageInError();

    /// <summary>NuGet's errors turned into one line per package: which package, and why.</summary>
    private static PackageRestoreException Failure(IReadOnlyList<PackageRequest> packages, string output, int code)
    {
        var errors = NuGetError().Matches(output)
            .Select(m => (Code: m.Groups["code"].Value, Text: m.Groups["text"].Value.Trim()))
            .Distinct().ToList();
        if (errors.Count == 0)
            return new PackageRestoreException($"Could not restore {string.Join(", ", packages)}: dotnet restore exited {code}.\n{output.Trim()}");
        var lines = new List<string>();
        var offline = errors.Any(e => e.Code is "NU1301" or "NU1801");
        if (offline) lines.Add("no NuGet source could be reached: " + string.Join(" ", errors.Where(e => e.Code is "NU1301" or "NU1801").Select(e => e.Text).Distinct()));
        foreach (var (nu, text) in errors.Where(e => e.Code is not ("NU1301" or "NU1801")))
        {
            if (text.StartsWith('-') && lines.Count > 0) { lines[^1] += " " + text.TrimStart('-', ' '); continue; }   // NU1102's "Found N versions" line
            var name = PackageInError().Match(text) is { Success: true } m ? m.Groups["name"].Value : null;
            var reason = nu switch
            {
                "NU1101" => "not found on the configured NuGet sources",
                "NU1102" => "version not found",
                "NU1103" => "only pre-release versions found (give the version explicitly)",
                _ => null,
            };
            lines.Add(name is not null && reason is not null
                ? $"NuGet package '{name}': {reason} ({nu}: {text})"
                : $"{nu}: {text}");
        }
        return new PackageRestoreException(string.Join("\n", lines.Distinct()), offline);
    }
}
