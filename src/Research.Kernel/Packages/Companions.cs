namespace Research.Kernel.Packages;

/// <summary>
/// Research assemblies that extend a NuGet package and are loaded (referenced and their namespace imported) when a
/// notebook restores that package: e.g. <c>#r "nuget: Microsoft.Data.Analysis"</c> brings
/// <c>Research.Experiments.DataFrames</c> (runs and run comparisons as data frames). They ship in the kernel's
/// <c>companions/</c> folder, outside its dependency list, so the kernel itself never loads the package.
/// </summary>
internal static class Companions
{
    private static readonly (string Package, string Assembly, string Namespace)[] Known =
    {
        ("Microsoft.Data.Analysis", "Research.Experiments.DataFrames", "Research.Experiments.DataFrames"),
    };

    /// <summary>The folder the kernel build copies companions to.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "companions");

    /// <summary>The companions of the packages in a restored graph, as pseudo-packages to load, with their namespaces.</summary>
    public static IEnumerable<(RestoredPackage Package, string Namespace)> For(IReadOnlyDictionary<string, RestoredPackage> graph) =>
        Known.Where(c => graph.ContainsKey(c.Package) && File.Exists(Path.Combine(Folder, c.Assembly + ".dll")))
             .Select(c => (new RestoredPackage(c.Assembly, "", new[] { Path.Combine(Folder, c.Assembly + ".dll") }, Array.Empty<string>(), Array.Empty<string>()), c.Namespace));
}
