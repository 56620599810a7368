using System.Runtime.InteropServices;
using System.Text.Json;

namespace Research.Kernel.Packages;

/// <summary>One restored package: its resolved version, managed runtime assemblies, native libraries and dependencies.</summary>
internal sealed record RestoredPackage(string Name, string Version, IReadOnlyList<string> Assemblies, IReadOnlyList<string> NativeLibraries,
    IReadOnlyList<string> Dependencies);

/// <summary>
/// Reads what <c>dotnet restore</c> resolved (<c>obj/project.assets.json</c>) for the kernel's target framework: every
/// package of the graph with its runtime assemblies (<c>lib/&lt;nearest TFM&gt;</c>, or <c>runtimes/&lt;rid&gt;/lib</c> where the
/// package has RID-specific ones) and its native libraries for this machine (<c>runtimes/linux-x64/native</c>, falling back
/// along linux → unix).
/// </summary>
internal static class PackageAssets
{
    /// <summary>This machine's runtime identifiers, most specific first (linux-x64, linux, unix, any).</summary>
    public static IReadOnlyList<string> RuntimeIds { get; } = Rids();

    private static string[] Rids()
    {
        var arch = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsWindows() ? "win" : "unix";
        return new[] { RuntimeInformation.RuntimeIdentifier, $"{os}-{arch}", os, os == "win" ? "any" : "unix", "any" }.Distinct().ToArray();
    }

    /// <summary>The packages of the restored graph, by name (case-insensitive).</summary>
    public static IReadOnlyDictionary<string, RestoredPackage> Read(string assetsFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(assetsFile));
        var root = doc.RootElement;
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(f => f.Name).ToList();
        var target = root.GetProperty("targets").EnumerateObject().First(t => !t.Name.Contains('/')).Value;
        var libraries = root.GetProperty("libraries");
        var result = new Dictionary<string, RestoredPackage>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in target.EnumerateObject())
        {
            if (entry.Value.TryGetProperty("type", out var type) && type.GetString() != "package") continue;
            var slash = entry.Name.IndexOf('/');
            var (name, version) = (entry.Name[..slash], entry.Name[(slash + 1)..]);
            var relative = libraries.TryGetProperty(entry.Name, out var lib) && lib.TryGetProperty("path", out var p) ? p.GetString()! : $"{name.ToLowerInvariant()}/{version.ToLowerInvariant()}";
            var packageDir = folders.Select(f => Path.Combine(f, relative)).FirstOrDefault(Directory.Exists) ?? Path.Combine(folders[0], relative);
            string Full(string path) => Path.GetFullPath(Path.Combine(packageDir, path));

            var ridSpecific = RidAssets(entry.Value, "runtime");
            var assemblies = (ridSpecific.Count > 0 ? ridSpecific : Paths(entry.Value, "runtime"))
                .Where(a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(Full).ToList();
            var native = RidAssets(entry.Value, "native").Select(Full).ToList();
            var deps = entry.Value.TryGetProperty("dependencies", out var d) ? d.EnumerateObject().Select(o => o.Name).ToList() : new List<string>();
            result[name] = new RestoredPackage(name, version, assemblies, native, deps);
        }
        return result;
    }

    private static IEnumerable<string> Paths(JsonElement package, string kind) =>
        package.TryGetProperty(kind, out var assets) ? assets.EnumerateObject().Select(a => a.Name) : Enumerable.Empty<string>();

    /// <summary>runtimeTargets of one asset type for the most specific of this machine's RIDs that has any.</summary>
    private static List<string> RidAssets(JsonElement package, string assetType)
    {
        if (!package.TryGetProperty("runtimeTargets", out var targets)) return new List<string>();
        var byRid = targets.EnumerateObject()
            .Where(t => t.Value.TryGetProperty("assetType", out var a) && a.GetString() == assetType)
            .GroupBy(t => t.Value.TryGetProperty("rid", out var r) ? r.GetString() ?? "" : "")
            .ToDictionary(g => g.Key, g => g.Select(t => t.Name).Where(n => !n.EndsWith("/_._", StringComparison.Ordinal)).ToList());
        foreach (var rid in RuntimeIds)
            if (byRid.TryGetValue(rid, out var paths)) return paths;
        return new List<string>();
    }
}
