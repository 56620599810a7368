using System.Text.RegularExpressions;

namespace Research.Kernel.Packages;

/// <summary>One <c>#r "nuget: Name[, Version]"</c>: a package id and an optional version (null = latest stable).</summary>
internal sealed partial record PackageRequest(string Name, string? Version)
{
    [GeneratedRegex(@"^[ \t]*#r[ \t]+""nuget:\s*(?<name>[^,""\s]+)\s*(,\s*(?<version>[^""]*?)\s*)?""", RegexOptions.Multiline)]
    private static partial Regex Directive();

    /// <summary>The nuget directives of a cell, in order (cheap: a regex, no package machinery).</summary>
    public static IReadOnlyList<PackageRequest> InCode(string code)
    {
        if (!code.Contains("nuget:", StringComparison.OrdinalIgnoreCase)) return Array.Empty<PackageRequest>();
        return Directive().Matches(code)
            .Select(m => new PackageRequest(m.Groups["name"].Value,
                m.Groups["version"].Success && m.Groups["version"].Value.Length > 0 ? m.Groups["version"].Value : null))
            .ToList();
    }

    /// <summary>The code with its nuget directives blanked out (line numbers kept).</summary>
    public static string WithoutDirectives(string code) => Directive().Replace(code, "");

    /// <summary>"Name 1.2.3" or "Name (latest stable)".</summary>
    public override string ToString() => Version is null ? $"{Name} (latest stable)" : $"{Name} {Version}";
}
