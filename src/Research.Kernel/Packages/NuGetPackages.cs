using Microsoft.CodeAnalysis;

namespace Research.Kernel.Packages;

/// <summary>
/// The kernel session's NuGet packages: every <c>#r "nuget:"</c> so far, restored together (so one version of each
/// package serves all cells), loaded, and handed to Roslyn as references. Touched only by cells that reference packages.
/// </summary>
internal sealed class NuGetPackages
{
    private readonly string _workingDirectory;
    private readonly object _gate = new();
    private readonly List<PackageRequest> _requests = new();
    private IReadOnlyDictionary<string, RestoredPackage> _graph = new Dictionary<string, RestoredPackage>();
    private readonly HashSet<string> _referenced = new(StringComparer.OrdinalIgnoreCase);   // assembly simple names given to Roslyn

    public NuGetPackages(string workingDirectory) => _workingDirectory = workingDirectory;

    /// <summary>
    /// Adds a cell's requests to the session's set, restores the set (from the cache when it was restored before), loads
    /// it and returns the references new to this session. Throws <see cref="PackageRestoreException"/> naming the package
    /// and the reason; the set is then left as it was.
    /// </summary>
    public (IReadOnlyList<MetadataReference> References, IReadOnlyList<string> Imports) Add(IReadOnlyList<PackageRequest> requests, Action<string> progress)
    {
        lock (_gate)
        {
            var next = _requests.ToList();
            foreach (var r in requests)
            {
                var i = next.FindIndex(p => p.Name.Equals(r.Name, StringComparison.OrdinalIgnoreCase));
                if (i < 0) next.Add(r);
                else if (r.Version is not null && r.Version != next[i].Version)
                {
                    if (_graph.TryGetValue(r.Name, out var loaded) && !loaded.Version.Equals(r.Version, StringComparison.OrdinalIgnoreCase))
                        throw new PackageRestoreException($"NuGet package '{r.Name}' version {r.Version}: version {loaded.Version} is already loaded in this kernel; restart the kernel to change it.");
                    next[i] = r;
                }
            }
            var result = PackageRestore.Restore(next, _workingDirectory, progress);
            var graph = PackageAssets.Read(result.AssetsFile);
            var companions = Companions.For(graph).ToList();
            PackageLoader.Add(graph.Values.Concat(companions.Select(c => c.Package)));
            _requests.Clear();
            _requests.AddRange(next);
            _graph = graph;
            var shown = requests.Select(r => graph.TryGetValue(r.Name, out var p) ? $"{p.Name} {p.Version}" : r.Name).Distinct();
            progress($"NuGet: {string.Join(", ", shown)} ({(result.Cached ? "restore cached" : $"restored in {result.Elapsed.TotalSeconds:F1} s")}; " +
                     $"{graph.Count} package{(graph.Count == 1 ? "" : "s")} in this kernel)");
            var added = new List<MetadataReference>();
            foreach (var path in graph.Values.Concat(companions.Select(c => c.Package)).SelectMany(p => p.Assemblies).Where(a => !PackageLoader.IsPlatform(a)))
                if (_referenced.Add(Path.GetFileNameWithoutExtension(path))) added.Add(MetadataReference.CreateFromFile(path));
            return (added, companions.Select(c => c.Namespace).ToList());
        }
    }
}
