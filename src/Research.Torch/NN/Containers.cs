using System.Collections;

namespace Research.Torch.NN;

/// <summary>Runs Tensor → Tensor modules one after another; they are named "0", "1", ... (or by the names given).</summary>
public sealed class Sequential : Module<Tensor, Tensor>, IReadOnlyList<Module<Tensor, Tensor>>
{
    private readonly List<Module<Tensor, Tensor>> _layers = new();

    /// <summary>Chains <paramref name="layers"/> in order.</summary>
    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>Chains named layers in order.</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Layer)[] layers)
    {
        foreach (var (name, layer) in layers) Add(name, layer);
    }

    /// <summary>Appends a layer named by its position.</summary>
    public Sequential Add(Module<Tensor, Tensor> layer) => Add(_layers.Count.ToString(), layer);

    /// <summary>Appends a named layer.</summary>
    public Sequential Add(string name, Module<Tensor, Tensor> layer)
    {
        RegisterModule(name, layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module<Tensor, Tensor> this[int index] => _layers[index];

    /// <summary>Number of layers.</summary>
    public int Count => _layers.Count;

    /// <summary>Feeds the input through every layer; intermediate results are freed.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (_layers.Count == 0) return input.Alias();
        var x = _layers[0].Forward(input);
        for (int i = 1; i < _layers.Count; i++)
        {
            var next = _layers[i].Forward(x);
            if (!ReferenceEquals(next, x) && !ReferenceEquals(x, input)) x.Dispose();
            x = next;
        }
        return x;
    }

    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A list of sub-modules registered as "0", "1", ... (its forward is up to the owner).</summary>
public class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = new();

    /// <summary>Holds <paramref name="modules"/> in order.</summary>
    public ModuleList(params IEnumerable<T> modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends a module.</summary>
    public void Add(T module)
    {
        RegisterModule(_items.Count.ToString(), module);
        _items.Add(module);
    }

    /// <summary>The module at <paramref name="index"/>.</summary>
    public T this[int index] => _items[index];

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A list of any modules registered as "0", "1", ...</summary>
public sealed class ModuleList(params IEnumerable<Module> modules) : ModuleList<Module>(modules);

/// <summary>Sub-modules by name, in insertion order.</summary>
public class ModuleDict<T> : Module, IReadOnlyDictionary<string, T> where T : Module
{
    private readonly OrderedDictionary<string, T> _items = new();

    /// <summary>Holds the given named modules.</summary>
    public ModuleDict(params IEnumerable<(string Name, T Module)> modules)
    {
        foreach (var (name, m) in modules) Add(name, m);
    }

    /// <summary>Adds (or replaces) a module.</summary>
    public void Add(string name, T module)
    {
        RegisterModule(name, module);
        _items[name] = module;
    }

    /// <summary>The module named <paramref name="key"/>.</summary>
    public T this[string key] => _items.TryGetValue(key, out var m) ? m : throw new KeyNotFoundException($"no module '{key}' (have {string.Join(", ", _items.Keys)})");

    /// <summary>The names.</summary>
    public IEnumerable<string> Keys => _items.Keys;

    /// <summary>The modules.</summary>
    public IEnumerable<T> Values => _items.Values;

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>True when a module has that name.</summary>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <summary>Looks a module up by name.</summary>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) => _items.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Any modules by name.</summary>
public sealed class ModuleDict(params IEnumerable<(string Name, Module Module)> modules) : ModuleDict<Module>(modules);
