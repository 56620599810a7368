using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Research.Kernel.Packages;

/// <summary>
/// Makes restored packages loadable in the kernel's one assembly context (the default one, where the Research
/// libraries and the formatters live, so a type is the same type everywhere):
/// managed assemblies are loaded by path, one copy per simple name; a request for another version of an assembly that
/// is already loaded gets the loaded one (version unification: Deedle built against FSharp.Core 6 runs on 10.1); and
/// <c>DllImport</c>s from package assemblies find the packages' native libraries.
/// </summary>
internal static class PackageLoader
{
    private static readonly ConcurrentDictionary<string, string> AssemblyPaths = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, string> NativePaths = new(StringComparer.Ordinal);
    private static int _hooked;

    /// <summary>Assemblies the framework (or the kernel itself) already provides: a package's copy of them is not used.</summary>
    private static readonly Lazy<HashSet<string>> Platform = new(() =>
        new HashSet<string>(((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension)!, StringComparer.OrdinalIgnoreCase));

    /// <summary>True when the runtime already has an assembly of this name (framework, kernel, Research libraries).</summary>
    public static bool IsPlatform(string assemblyPath) => Platform.Value.Contains(Path.GetFileNameWithoutExtension(assemblyPath));

    /// <summary>
    /// Registers the restored packages' assemblies and native libraries, then loads the assemblies (all registered first:
    /// loading one can resolve its dependencies, e.g. when a formatter looks its types up as the assembly loads).
    /// </summary>
    public static void Add(IEnumerable<RestoredPackage> packages)
    {
        Hook();
        var toLoad = new List<string>();
        foreach (var package in packages)
        {
            foreach (var native in package.NativeLibraries) NativePaths.TryAdd(Path.GetFileName(native), native);
            foreach (var path in package.Assemblies.Where(p => !IsPlatform(p)))
                if (AssemblyPaths.TryAdd(Path.GetFileNameWithoutExtension(path), path)) toLoad.Add(path);
        }
        foreach (var path in toLoad)
        {
            if (Loaded(Path.GetFileNameWithoutExtension(path)) is not null) continue;
            try { AssemblyLoadContext.Default.LoadFromAssemblyPath(path); }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException) { Log.Write($"load {path}: {e.Message}"); }
        }
    }

    private static Assembly? Loaded(string simpleName) => AssemblyLoadContext.Default.Assemblies
        .Where(a => !a.IsDynamic && string.Equals(a.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
        .MaxBy(a => a.GetName().Version);

    private static void Hook()
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            if (name.Name is null) return null;
            if (Loaded(name.Name) is { } loaded) return loaded;   // any version satisfies: unification
            return AssemblyPaths.TryGetValue(name.Name, out var path) ? context.LoadFromAssemblyPath(path) : null;
        };
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) =>
        {
            foreach (var candidate in new[] { name, $"lib{name}.so", $"{name}.so", $"lib{name}.dylib", $"{name}.dll" })
                if (NativePaths.TryGetValue(candidate, out var path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
            return IntPtr.Zero;
        };
    }
}
