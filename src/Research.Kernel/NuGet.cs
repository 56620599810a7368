using System.Collections.Immutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace Research.Kernel;

/// <summary>Resolves <c>#r "nuget: Name, Version"</c> from the local NuGet cache (offline; no feed access).</summary>
internal static partial class NuGetCache
{
    public static string Root => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
        ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    [GeneratedRegex(@"^\s*#r\s+""nuget:\s*(?<name>[^,""\s]+)\s*(,\s*(?<version>[^""\s]+)\s*)?""", RegexOptions.Multiline)]
    private static partial Regex Directive();

    /// <summary>A clear error message for the first nuget reference that is not in the local cache, else null.</summary>
    public static string? CheckDirectives(string code)
    {
        foreach (Match m in Directive().Matches(code))
        {
            var name = m.Groups["name"].Value;
            var version = m.Groups["version"].Success ? m.Groups["version"].Value : null;
            if (FindPackage(name, version) is null)
                return $"NuGet package '{name}'{(version is null ? "" : $" version {version}")} is not in the local NuGet cache ({Root}). " +
                       "The kernel resolves packages offline only: restore it first (e.g. add a PackageReference to a project and run `dotnet restore`), or reference a DLL with #r \"path/to.dll\".";
        }
        return null;
    }

    public static string? FindPackage(string name, string? version)
    {
        var dir = Path.Combine(Root, name.ToLowerInvariant());
        if (!Directory.Exists(dir)) return null;
        if (version is not null)
        {
            var v = Path.Combine(dir, version.ToLowerInvariant());
            return Directory.Exists(v) ? v : null;
        }
        return Directory.GetDirectories(dir)
            .Where(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out _))
            .OrderByDescending(d => Version.Parse(Path.GetFileName(d).Split('-')[0]))
            .ThenBy(d => Path.GetFileName(d).Contains('-')) // releases before pre-releases
            .FirstOrDefault();
    }

    private static readonly string[] Tfms = { "net10.0", "net9.0", "net8.0", "net7.0", "net6.0", "net5.0", "netcoreapp3.1", "netstandard2.1", "netstandard2.0", "netstandard1.6", "netstandard1.3" };

    /// <summary>The package's best lib/ assemblies plus those of its dependencies found in the cache.</summary>
    public static IEnumerable<string> Assemblies(string name, string? version, HashSet<string>? seen = null)
    {
        seen ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!seen.Add(name)) yield break;
        var dir = FindPackage(name, version) ?? FindPackage(name, null);
        if (dir is null) yield break;
        var lib = Path.Combine(dir, "lib");
        if (Directory.Exists(lib))
        {
            var tfm = Tfms.Select(t => Path.Combine(lib, t)).FirstOrDefault(Directory.Exists);
            if (tfm is not null)
                foreach (var dll in Directory.GetFiles(tfm, "*.dll")) yield return dll;
        }
        foreach (var (depName, depVersion) in Dependencies(dir))
            foreach (var dll in Assemblies(depName, depVersion, seen)) yield return dll;
    }

    private static IEnumerable<(string, string?)> Dependencies(string packageDir)
    {
        var nuspec = Directory.GetFiles(packageDir, "*.nuspec").FirstOrDefault();
        if (nuspec is null) return Array.Empty<(string, string?)>();
        try
        {
            var doc = XDocument.Load(nuspec);
            var groups = doc.Descendants().Where(e => e.Name.LocalName == "group").ToList();
            var group = Tfms.Select(t => groups.FirstOrDefault(g => TfmMatches((string?)g.Attribute("targetFramework"), t))).FirstOrDefault(g => g is not null);
            var deps = (group ?? doc.Root)!.Descendants().Where(e => e.Name.LocalName == "dependency");
            return deps.Select(d => ((string)d.Attribute("id")!, ExactVersion((string?)d.Attribute("version")))).ToList();
        }
        catch { return Array.Empty<(string, string?)>(); }
    }

    private static bool TfmMatches(string? attr, string tfm) =>
        attr is not null && (attr.Equals(tfm, StringComparison.OrdinalIgnoreCase) ||
                             attr.Replace(".NETStandard", "netstandard", StringComparison.OrdinalIgnoreCase).Equals(tfm, StringComparison.OrdinalIgnoreCase) ||
                             attr.Replace("net", "net", StringComparison.OrdinalIgnoreCase).Equals(tfm, StringComparison.OrdinalIgnoreCase));

    private static string? ExactVersion(string? range) => range?.Trim('[', ']', '(', ')').Split(',')[0].Trim() is { Length: > 0 } v ? v : null;
}

/// <summary>Script <c>#r</c> resolution: nuget references from the local cache, everything else as Roslyn does.</summary>
internal sealed class KernelMetadataResolver : MetadataReferenceResolver
{
    private readonly ScriptMetadataResolver _inner;

    public KernelMetadataResolver(string baseDirectory) => _inner = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory);

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        if (reference.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = reference["nuget:".Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) return ImmutableArray<PortableExecutableReference>.Empty;
            return NuGetCache.Assemblies(parts[0], parts.Length > 1 ? parts[1] : null)
                .Select(p => MetadataReference.CreateFromFile(p, properties)).ToImmutableArray();
        }
        return _inner.ResolveReference(reference, baseFilePath, properties);
    }

    public override bool ResolveMissingAssemblies => _inner.ResolveMissingAssemblies;
    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) => _inner.ResolveMissingAssembly(definition, referenceIdentity);
    public override bool Equals(object? other) => other is KernelMetadataResolver r && r._inner.Equals(_inner);
    public override int GetHashCode() => _inner.GetHashCode();
}
