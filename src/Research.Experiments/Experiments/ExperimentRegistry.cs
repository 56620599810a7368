using System.Reflection;

namespace Research.Experiments;

/// <summary>
/// All known experiments. Public, non-abstract <see cref="IExperiment"/> classes with a parameterless constructor in
/// loaded <c>Research.*</c> assemblies are found automatically; others can be added with <see cref="Register"/>.
/// </summary>
public static class ExperimentRegistry
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, IExperiment> s_experiments = new(StringComparer.OrdinalIgnoreCase);
    private static readonly HashSet<Assembly> s_scanned = new();

    /// <summary>Adds or replaces an experiment.</summary>
    public static void Register(IExperiment experiment)
    {
        lock (s_lock) s_experiments[experiment.Id] = experiment;
    }

    /// <summary>Every experiment, by family then id.</summary>
    public static IReadOnlyList<IExperiment> All
    {
        get
        {
            Scan();
            lock (s_lock) return s_experiments.Values.OrderBy(e => e.Family, StringComparer.Ordinal).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>The experiment with <paramref name="id"/>, or null.</summary>
    public static IExperiment? Find(string id)
    {
        Scan();
        lock (s_lock) return s_experiments.GetValueOrDefault(id);
    }

    /// <summary>Registers the experiments of <paramref name="assembly"/> (done automatically for loaded Research.* assemblies).</summary>
    public static void Discover(Assembly assembly)
    {
        lock (s_lock)
            if (!s_scanned.Add(assembly)) return;
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.OfType<Type>().ToArray(); }
        foreach (var t in types)
            if (typeof(IExperiment).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            {
                var e = (IExperiment)Activator.CreateInstance(t)!;
                lock (s_lock) s_experiments.TryAdd(e.Id, e);
            }
    }

    private static void Scan()
    {
        Discover(typeof(ExperimentRegistry).Assembly);
        foreach (var a in AppDomain.CurrentDomain.GetAssemblies())
            if (a.GetName().Name?.StartsWith("Research.", StringComparison.Ordinal) == true) Discover(a);
    }
}
