using System.Reflection;

namespace Research.Kernel;

/// <summary>
/// THE place that says what every notebook gets without ceremony: the Research assemblies referenced
/// by the kernel project, added as script references, and the namespaces imported by default.
/// To preload another library: add a ProjectReference in Research.Kernel.csproj and its name here.
/// </summary>
public static class Preloaded
{
    /// <summary>Assemblies (by name) referenced by every cell; missing ones are skipped with a warning.</summary>
    public static readonly string[] AssemblyNames =
    {
        "Research.Torch",
        "Research.Interactive",
        "Research.Models",
        "Research.Experiments",
    };

    /// <summary>Framework assemblies referenced by every cell (besides what ScriptOptions.Default brings).</summary>
    public static readonly string[] FrameworkAssemblyNames =
    {
        "System.Runtime", "System.Collections", "System.Collections.Concurrent", "System.Linq", "System.Console",
        "System.Text.RegularExpressions", "System.Text.Json", "System.Threading", "System.Threading.Tasks",
        "System.Diagnostics.Process", "System.Net.Http", "System.Numerics.Vectors", "System.Runtime.Numerics",
        "System.IO.Compression", "System.Memory", "System.ObjectModel", "System.Runtime.InteropServices", "netstandard",
    };

    /// <summary>Namespaces imported by every cell (a namespace no loaded assembly declares is skipped).</summary>
    public static readonly string[] Namespaces =
    {
        "System", "System.IO", "System.Linq", "System.Text", "System.Collections.Generic",
        "System.Threading", "System.Threading.Tasks", "System.Diagnostics",
        "Research.Torch", "Research.Torch.NN", "Research.Torch.Optim", "Research.Torch.Data", "Research.Torch.Serialization", "Research.Torch.Audio",
        "Research.Interactive", "Research.Experiments", "Research.Experiments.Data", "Research.Experiments.Audio",
    };

    public static IReadOnlyList<Assembly> LoadAssemblies()
    {
        var list = new List<Assembly> { typeof(KernelGlobals).Assembly };
        foreach (var name in FrameworkAssemblyNames.Concat(AssemblyNames))
        {
            try { list.Add(Assembly.Load(name)); }
            catch (Exception e) { Log.Write($"preload {name}: {e.Message}"); }
        }
        return list;
    }

    public static IReadOnlyList<string> Imports(IEnumerable<Assembly> assemblies)
    {
        var declared = new HashSet<string>();
        foreach (var a in assemblies)
        {
            if (a.GetName().Name?.StartsWith("System", StringComparison.Ordinal) == true || a.GetName().Name == "netstandard") continue;
            try { foreach (var t in a.GetExportedTypes()) if (t.Namespace is { } ns) declared.Add(ns); }
            catch (Exception e) { Log.Write($"types of {a.GetName().Name}: {e.Message}"); }
        }
        return Namespaces.Where(ns => ns.StartsWith("System", StringComparison.Ordinal) || declared.Contains(ns)).ToList();
    }
}
