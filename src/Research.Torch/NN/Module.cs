using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using static Research.Torch.Torch;

namespace Research.Torch.NN;

/// <summary>
/// Base of every layer and model (torch.nn.Module). Parameters and sub-modules are found without
/// boilerplate: fields and auto-properties of type <see cref="Parameter"/>, <see cref="Module"/> or a
/// list/array of either are registered under their name in snake_case (<c>InProj</c> → <c>in_proj</c>,
/// <c>Blocks[3]</c> → <c>blocks.3</c>); <see cref="RegisterParameter{T}"/>, <see cref="RegisterModule{T}"/>
/// and <see cref="RegisterBuffer"/> register explicitly (dynamic names, buffers).
/// </summary>
public abstract class Module : IDisposable
{
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_fields = new();
    private static readonly Assembly s_library = typeof(Module).Assembly;

    private readonly OrderedDictionary<string, Parameter?> _parameters = new();
    private readonly OrderedDictionary<string, Module?> _modules = new();
    private readonly OrderedDictionary<string, Tensor?> _buffers = new();
    private readonly HashSet<string> _nonPersistent = new();
    private bool _disposed;

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics); see <see cref="Train"/>.</summary>
    public bool Training { get; private set; } = true;

    // ---- registration ----

    /// <summary>Registers (or replaces, or with null removes) a parameter under <paramref name="name"/>.</summary>
    public T RegisterParameter<T>(string name, T parameter) where T : Parameter?
    {
        CheckName(name);
        _parameters[name] = parameter;
        return parameter;
    }

    /// <summary>Registers (or replaces) a sub-module under <paramref name="name"/>.</summary>
    public T RegisterModule<T>(string name, T module) where T : Module?
    {
        CheckName(name);
        _modules[name] = module;
        return module;
    }

    /// <summary>
    /// Registers a buffer: state that is not learned but moves with the module and (when
    /// <paramref name="persistent"/>) is saved in the state dict, e.g. batch norm's running mean.
    /// The module takes ownership (the tensor leaves its dispose scope).
    /// </summary>
    public Tensor? RegisterBuffer(string name, Tensor? buffer, bool persistent = true)
    {
        CheckName(name);
        if (_buffers.TryGetValue(name, out var old) && old is not null && !ReferenceEquals(old, buffer)) old.Dispose();
        buffer?.DetachFromScope();
        _buffers[name] = buffer;
        if (persistent) _nonPersistent.Remove(name); else _nonPersistent.Add(name);
        return buffer;
    }

    /// <summary>Removes an explicitly registered parameter (returns it, the caller owns it).</summary>
    public Parameter? RemoveParameter(string name) => _parameters.Remove(name, out var p) ? p : null;

    private static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid parameter, buffer or module name (non-empty, no dots)", nameof(name));
    }

    /// <summary>The explicitly registered parameter <paramref name="name"/>, or null.</summary>
    protected Parameter? Param(string name) => _parameters.TryGetValue(name, out var p) ? p : null;

    /// <summary>A new uninitialised parameter (fill it with <see cref="Init"/>).</summary>
    protected static Parameter NewParameter(long[] shape, DType? dtype = null, Device? device = null)
    {
        using var t = Tensor.Empty(shape, dtype, device);
        return new Parameter(t);
    }

    /// <summary>The registered buffer <paramref name="name"/>, or null.</summary>
    protected Tensor? Buffer(string name) => _buffers.TryGetValue(name, out var b) ? b : null;

    // ---- discovery ----

    private static FieldInfo[] FieldsOf(Type type) => s_fields.GetOrAdd(type, static t =>
    {
        var chain = new List<Type>();
        for (var c = t; c is not null && c != typeof(Module); c = c.BaseType)
            if (c.Assembly != s_library) chain.Add(c);
        chain.Reverse();
        return chain.SelectMany(c => c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => typeof(Parameter).IsAssignableFrom(f.FieldType) || typeof(Module).IsAssignableFrom(f.FieldType)
                        || typeof(IEnumerable<Parameter>).IsAssignableFrom(f.FieldType) || typeof(IEnumerable<Module>).IsAssignableFrom(f.FieldType))
            .ToArray();
    });

    /// <summary>A field or auto-property name as a state-dict key: backing-field and underscore prefixes dropped, snake_case.</summary>
    internal static string KeyOf(string fieldName)
    {
        var name = fieldName;
        if (name.StartsWith('<') && name.IndexOf('>') is var end and > 0) name = name[1..end];
        if (name.StartsWith("m_")) name = name[2..];
        name = name.TrimStart('_');
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool prevLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool acronymEnd = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((prevLowerOrDigit || acronymEnd) && sb.Length > 0 && sb[^1] != '_') sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private IEnumerable<(string Name, Parameter Param)> OwnParameters()
    {
        HashSet<Parameter>? explicitSet = null;
        foreach (var f in FieldsOf(GetType()))
        {
            var value = f.GetValue(this);
            if (value is Parameter p)
            {
                explicitSet ??= _parameters.Values.Where(x => x is not null).ToHashSet()!;
                if (!explicitSet.Contains(p)) yield return (KeyOf(f.Name), p);
            }
            else if (value is IEnumerable<Parameter> list and not Module)
            {
                int i = 0;
                foreach (var item in list) yield return ($"{KeyOf(f.Name)}.{i++}", item);
            }
        }
        foreach (var (name, p) in _parameters)
            if (p is not null) yield return (name, p);
    }

    /// <summary>The direct sub-modules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        HashSet<Module>? explicitSet = null;
        foreach (var f in FieldsOf(GetType()))
        {
            var value = f.GetValue(this);
            if (value is Module m)
            {
                explicitSet ??= _modules.Values.Where(x => x is not null).ToHashSet()!;
                if (!explicitSet.Contains(m)) yield return (KeyOf(f.Name), m);
            }
            else if (value is IEnumerable<Module> list)
            {
                int i = 0;
                foreach (var item in list) yield return ($"{KeyOf(f.Name)}.{i++}", item);
            }
        }
        foreach (var (name, m) in _modules)
            if (m is not null) yield return (name, m);
    }

    /// <summary>The direct sub-modules.</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>This module and every descendant, with dotted names ("" for this one); each module once.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push(("", this));
        while (stack.Count > 0)
        {
            var (name, m) = stack.Pop();
            if (!seen.Add(m)) continue;
            yield return (name, m);
            foreach (var (childName, child) in m.NamedChildren().Reverse())
                stack.Push((name.Length == 0 ? childName : $"{name}.{childName}", child));
        }
    }

    /// <summary>This module and every descendant.</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>Every parameter with its dotted path (<c>blocks.3.conv.weight</c>); shared parameters appear once.</summary>
    public IEnumerable<(string Name, Parameter Param)> NamedParameters()
    {
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, p) in m.OwnParameters())
                if (seen.Add(p)) yield return (prefix.Length == 0 ? name : $"{prefix}.{name}", p);
    }

    /// <summary>Every parameter (what an optimiser takes).</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Param);

    /// <summary>Every buffer with its dotted path.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers() => NamedBuffersCore(persistentOnly: false);

    /// <summary>Every buffer.</summary>
    public IEnumerable<Tensor> Buffers() => NamedBuffers().Select(b => b.Buffer);

    private IEnumerable<(string Name, Tensor Buffer)> NamedBuffersCore(bool persistentOnly)
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, b) in m._buffers)
                if (b is not null && !(persistentOnly && m._nonPersistent.Contains(name)))
                    yield return (prefix.Length == 0 ? name : $"{prefix}.{name}", b);
    }

    /// <summary>Total number of parameter elements (only those that require grad when <paramref name="trainableOnly"/>).</summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => p.NumEl);

    // ---- modes, devices, grads ----

    /// <summary>Sets training mode on this module and every descendant; returns this.</summary>
    public Module Train(bool on = true)
    {
        foreach (var m in Modules()) m.Training = on;
        return this;
    }

    /// <summary>Sets evaluation mode (<c>Train(false)</c>); returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>Calls <paramref name="action"/> on every module (children first, as PyTorch's <c>apply</c>); returns this.</summary>
    public Module Apply(Action<Module> action)
    {
        foreach (var m in Modules().Reverse()) action(m);
        return this;
    }

    /// <summary>Clears the gradients of all parameters (sets them to none).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>Moves every parameter and buffer to <paramref name="device"/> in place (the same .NET objects); returns this.</summary>
    public Module To(Device device) => Convert(t => t.To(device), _ => true);

    /// <summary>Casts floating-point parameters and buffers to <paramref name="dtype"/> in place; returns this.</summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"modules can only be cast to floating-point types, not {dtype.Name()}", nameof(dtype));
        return Convert(t => t.To(dtype), t => t.DType.IsFloatingPoint());
    }

    /// <summary>Casts to float64.</summary>
    public Module Double() => To(DType.Float64);

    /// <summary>Casts to float32.</summary>
    public Module Float() => To(DType.Float32);

    private Module Convert(Func<Tensor, Tensor> convert, Func<Tensor, bool> applies)
    {
        using var noGrad = NoGrad();
        foreach (var t in Parameters().Cast<Tensor>().Concat(Buffers()).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
        {
            if (!applies(t)) continue;
            bool requiresGrad = t.RequiresGrad;
            var converted = convert(t);
            if (converted.IsSameAs(t))
            {
                converted.Dispose();
                continue;
            }
            t.Grad = null;
            t.TakeNative(converted);
            if (requiresGrad) t.RequiresGrad = true;
        }
        return this;
    }

    // ---- state dict ----

    /// <summary>
    /// Parameters and persistent buffers by dotted name, as detached tensors sharing their storage.
    /// The returned tensors belong to the current scope (or to the caller).
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters()) result[name] = p.Detach();
        foreach (var (name, b) in NamedBuffersCore(persistentOnly: true)) result[name] = b.Detach();
        return result;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into this module's parameters and buffers.
    /// Mis-shaped entries always throw; missing and unexpected keys throw when <paramref name="strict"/>.
    /// Nothing is copied when it throws.
    /// </summary>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = new Dictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters()) own[name] = p;
        foreach (var (name, b) in NamedBuffersCore(persistentOnly: true)) own[name] = b;
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var misShaped = new List<string>();
        foreach (var (name, target) in own)
            if (stateDict.TryGetValue(name, out var source) && !source.Shape.SequenceEqual(target.Shape))
                misShaped.Add($"{name}: checkpoint {source.ShapeString}, model {target.ShapeString}");
        if (misShaped.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new StateDictMismatchException(GetType().Name, missing, unexpected, misShaped);
        using (NoGrad())
            foreach (var (name, target) in own)
                if (stateDict.TryGetValue(name, out var source))
                    target.Copy_(source);
        return new LoadStateDictResult(missing, unexpected);
    }

    // ---- display ----

    /// <summary>A table of every module that owns parameters: path, type, parameter shapes and counts, with totals.</summary>
    public string Summary()
    {
        var rows = new List<string[]> { new[] { "Layer", "Type", "Shapes", "Params" } };
        foreach (var (name, m) in NamedModules())
        {
            var own = m.OwnParameters().ToList();
            if (own.Count == 0) continue;
            rows.Add([name.Length == 0 ? "(root)" : name, m.GetType().Name,
                string.Join(" ", own.Select(p => $"{p.Name}{p.Param.ShapeString}")),
                own.Sum(p => p.Param.NumEl).ToString("N0")]);
        }
        long total = ParameterCount(), trainable = ParameterCount(trainableOnly: true);
        var widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        string Line(string[] r) => $"{r[0].PadRight(widths[0])}  {r[1].PadRight(widths[1])}  {r[2].PadRight(widths[2])}  {r[3].PadLeft(widths[3])}";
        sb.AppendLine(Line(rows[0]));
        sb.AppendLine(new string('-', widths.Sum() + 6));
        foreach (var r in rows.Skip(1)) sb.AppendLine(Line(r));
        sb.AppendLine(new string('-', widths.Sum() + 6));
        sb.AppendLine($"Total parameters: {total:N0} (trainable {trainable:N0}, frozen {total - trainable:N0})");
        return sb.ToString();
    }

    /// <summary>Extra text shown after the type name in <see cref="ToString"/>, e.g. <c>in=2, out=64</c>.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module tree as PyTorch prints it.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Write(sb, 0);
        return sb.ToString();
    }

    private void Write(StringBuilder sb, int indent)
    {
        sb.Append(GetType().Name).Append('(').Append(ExtraRepr());
        var children = NamedChildren().ToList();
        if (children.Count > 0)
        {
            sb.AppendLine();
            foreach (var (name, child) in children)
            {
                sb.Append(' ', indent + 2).Append('(').Append(name).Append("): ");
                child.Write(sb, indent + 2);
                sb.AppendLine();
            }
            sb.Append(' ', indent);
        }
        sb.Append(')');
    }

    // ---- lifetime ----

    /// <summary>Frees this module's parameters and buffers and disposes its sub-modules.</summary>
    public void Dispose()
    {
        foreach (var m in Modules().ToList()) m.DisposeOwn();
        GC.SuppressFinalize(this);
    }

    private void DisposeOwn()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, p) in OwnParameters().ToList()) p.Dispose();
        foreach (var b in _buffers.Values) b?.Dispose();
    }
}

/// <summary>What <see cref="Module.LoadStateDict"/> did not match (empty lists after a strict load).</summary>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>A state dict that does not fit the module: lists the missing, unexpected and mis-shaped keys.</summary>
public sealed class StateDictMismatchException : ArgumentException
{
    /// <summary>Creates the exception with the lists it reports.</summary>
    public StateDictMismatchException(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misShaped)
        : base(Describe(module, missing, unexpected, misShaped))
    {
        MissingKeys = missing;
        UnexpectedKeys = unexpected;
        MisShapedKeys = misShaped;
    }

    /// <summary>Keys the module has but the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has but the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present in both with different shapes ("name: checkpoint [..], model [..]").</summary>
    public IReadOnlyList<string> MisShapedKeys { get; }

    private static string Describe(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misShaped)
    {
        var sb = new StringBuilder($"Error(s) in loading state dict for {module}:");
        if (missing.Count > 0) sb.Append("\n  Missing key(s): ").Append(string.Join(", ", missing));
        if (unexpected.Count > 0) sb.Append("\n  Unexpected key(s): ").Append(string.Join(", ", unexpected));
        if (misShaped.Count > 0) sb.Append("\n  Size mismatch: ").Append(string.Join("; ", misShaped));
        return sb.ToString();
    }
}
