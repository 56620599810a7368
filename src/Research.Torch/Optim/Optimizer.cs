using System.Text.Json;
using static Research.Torch.Torch;

namespace Research.Torch.Optim;

/// <summary>
/// Base of the optimisers (torch.optim.Optimizer): parameter groups, per-parameter state that outlives
/// dispose scopes, state dicts. <see cref="Step"/> updates in place under no-grad; temporaries are freed.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<ParamGroup> _groups = new();
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> _state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Sets up the groups, filling unset options from <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        Defaults = new Dictionary<string, double>(defaults);
        foreach (var g in groups) AddParamGroup(g);
        if (_groups.Count == 0) throw new ArgumentException("the optimiser got no parameters");
    }

    /// <summary>One group holding every parameter.</summary>
    protected static IEnumerable<ParamGroup> OneGroup(IEnumerable<Tensor> parameters) => [new ParamGroup(parameters)];

    /// <summary>The default hyper-parameters.</summary>
    public IReadOnlyDictionary<string, double> Defaults { get; }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Adds a group (e.g. when unfreezing layers); options it lacks come from the defaults.</summary>
    public void AddParamGroup(ParamGroup group)
    {
        var existing = _groups.SelectMany(g => g.Parameters).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var p in group.Parameters)
        {
            if (existing.Contains(p)) throw new ArgumentException("some parameters appear in more than one parameter group");
            if (!p.IsLeaf) throw new ArgumentException($"can't optimise a non-leaf tensor {p.ShapeString}");
        }
        foreach (var (k, v) in Defaults) group.Options.TryAdd(k, v);
        _groups.Add(group);
    }

    /// <summary>Clears the gradients of every parameter (to none by default, or to zeros).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _groups.SelectMany(g => g.Parameters))
        {
            if (setToNone) p.Grad = null;
            else if (p.Grad is { } g)
                using (g)
                using (NoGrad())
                    g.Zero_();
        }
    }

    /// <summary>Performs one update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var scope = NewScope();
        using var noGrad = NoGrad();
        foreach (var group in _groups)
            foreach (var p in group.Parameters)
            {
                var grad = p.Grad;
                if (grad is null) continue;
                if (!_state.TryGetValue(p, out var state)) _state[p] = state = new Dictionary<string, Tensor>();
                Update(group, p, grad, state);
            }
    }

    /// <summary>Updates one parameter in place from its gradient; state tensors are created with <see cref="Keep"/>.</summary>
    protected abstract void Update(ParamGroup group, Tensor param, Tensor grad, Dictionary<string, Tensor> state);

    /// <summary>
    /// The state keys every parameter this optimiser has updated holds under <paramref name="group"/>'s options (e.g.
    /// Adam: step, exp_avg, exp_avg_sq): a loaded state dict with some but not all of them is refused.
    /// </summary>
    protected virtual IReadOnlyList<string> StateKeys(ParamGroup group) => [];

    /// <summary>Stores <paramref name="value"/> in <paramref name="state"/> as optimiser-owned (outside every scope).</summary>
    protected static Tensor Keep(Dictionary<string, Tensor> state, string key, Tensor value)
    {
        if (state.TryGetValue(key, out var old) && !ReferenceEquals(old, value)) old.Dispose();
        state[key] = value.DetachFromScope();
        return value;
    }

    /// <summary>Increments the "step" state (a float32 scalar, as PyTorch keeps it) and returns the new count.</summary>
    protected static double IncrementStep(Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step)) step = Keep(state, "step", Tensor.Zeros([], DType.Float32));
        step.Add_(1);
        return step.Item<float>();
    }

    /// <summary>
    /// Moves the state tensors (e.g. Adam's moments) to <paramref name="device"/> in place, as the parameters moved with
    /// <c>Module.To</c>; "step" counters stay on the CPU, as in PyTorch. Returns this.
    /// </summary>
    public Optimizer To(Device device)
    {
        using var noGrad = NoGrad();
        foreach (var state in _state.Values)
            foreach (var (key, t) in state)
            {
                if (key == "step") continue;
                var moved = t.To(device);
                if (moved.IsSameAs(t)) moved.Dispose();
                else t.TakeNative(moved);
            }
        return this;
    }

    /// <summary>The state of one parameter (empty before its first update).</summary>
    public IReadOnlyDictionary<string, Tensor> StateOf(Tensor parameter) =>
        _state.TryGetValue(parameter, out var s) ? s : new Dictionary<string, Tensor>();

    /// <summary>A snapshot of the state (cloned tensors, owned by the current scope) and the groups' hyper-parameters.</summary>
    public OptimizerState StateDict()
    {
        var tensors = new Dictionary<string, Tensor>();
        var groups = new List<ParamGroupState>();
        int index = 0;
        foreach (var g in _groups)
        {
            var ids = new List<int>();
            foreach (var p in g.Parameters)
            {
                if (_state.TryGetValue(p, out var s))
                    foreach (var (k, t) in s) tensors[$"state.{index}.{k}"] = t.Clone();
                ids.Add(index++);
            }
            groups.Add(new ParamGroupState(new Dictionary<string, double>(g.Options), ids.ToArray()));
        }
        return new OptimizerState(tensors, groups);
    }

    /// <summary>Restores state and hyper-parameters saved by <see cref="StateDict"/> (or converted from torch.optim).</summary>
    public void LoadStateDict(OptimizerState stateDict)
    {
        if (stateDict.Groups.Count != _groups.Count)
            throw new ArgumentException($"the state dict has {stateDict.Groups.Count} parameter groups, the optimiser {_groups.Count}");
        for (int i = 0; i < _groups.Count; i++)
            if (stateDict.Groups[i].Params.Length != _groups[i].Parameters.Count)
                throw new ArgumentException($"parameter group {i} has {stateDict.Groups[i].Params.Length} parameters in the state dict but {_groups[i].Parameters.Count} in the optimiser");
        var byIndex = new Dictionary<int, Tensor>();
        for (int i = 0; i < _groups.Count; i++)
            for (int j = 0; j < _groups[i].Parameters.Count; j++)
                byIndex[stateDict.Groups[i].Params[j]] = _groups[i].Parameters[j];
        var loadedKeys = new Dictionary<int, HashSet<string>>();
        foreach (var key in stateDict.Tensors.Keys)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out var id) || !byIndex.ContainsKey(id))
                throw new ArgumentException($"unexpected optimiser state key '{key}' (expected state.<param index>.<name> for one of the {byIndex.Count} parameters)");
            if (!loadedKeys.TryGetValue(id, out var names)) loadedKeys[id] = names = new HashSet<string>();
            names.Add(parts[2]);
        }
        for (int i = 0; i < _groups.Count; i++)
        {
            var options = new Dictionary<string, double>(_groups[i].Options);
            foreach (var (k, v) in stateDict.Groups[i].Options) options[k] = v;
            var required = StateKeys(new ParamGroup([], options));
            foreach (var id in stateDict.Groups[i].Params)
                if (loadedKeys.TryGetValue(id, out var names) && required.Except(names).ToArray() is { Length: > 0 } missing)
                    throw new ArgumentException($"the optimiser state of parameter {id} lacks {string.Join(", ", missing)} (has {string.Join(", ", names)}): " +
                        "a partial state cannot resume; nothing was loaded");
        }
        foreach (var s in _state.Values)
            foreach (var t in s.Values) t.Dispose();
        _state.Clear();
        using (NoGrad())
            foreach (var (key, value) in stateDict.Tensors)
            {
                var parts = key.Split('.', 3);
                var p = byIndex[int.Parse(parts[1])];
                if (!_state.TryGetValue(p, out var s)) _state[p] = s = new Dictionary<string, Tensor>();
                var copy = parts[2] == "step" ? value.To(DType.Float32) : value.To(p.Device, p.DType);
                if (ReferenceEquals(copy, value) || copy.IsSameAs(value)) copy = value.Clone();
                Keep(s, parts[2], copy);
            }
        for (int i = 0; i < _groups.Count; i++)
            foreach (var (k, v) in stateDict.Groups[i].Options) _groups[i].Options[k] = v;
    }

    /// <summary>Frees the optimiser's state tensors.</summary>
    public void Dispose()
    {
        foreach (var s in _state.Values)
            foreach (var t in s.Values) t.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Hyper-parameters of one group and the indices of its parameters (numbered across groups, as PyTorch).</summary>
public sealed record ParamGroupState(Dictionary<string, double> Options, int[] Params);

/// <summary>
/// An optimiser's state dict: tensors named <c>state.&lt;param index&gt;.&lt;name&gt;</c> and the groups'
/// hyper-parameters (JSON-serialisable, e.g. into checkpoint metadata).
/// </summary>
public sealed class OptimizerState(Dictionary<string, Tensor> tensors, List<ParamGroupState> groups) : IDisposable
{
    /// <summary>State tensors by name.</summary>
    public Dictionary<string, Tensor> Tensors { get; } = tensors;

    /// <summary>The parameter groups.</summary>
    public List<ParamGroupState> Groups { get; } = groups;

    /// <summary>The groups as JSON.</summary>
    public string GroupsToJson() => JsonSerializer.Serialize(Groups.Select(g => new Dictionary<string, object>
    {
        ["options"] = g.Options,
        ["params"] = g.Params,
    }));

    /// <summary>Parses groups written by <see cref="GroupsToJson"/>.</summary>
    public static List<ParamGroupState> GroupsFromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.EnumerateArray().Select(g => new ParamGroupState(
                g.GetProperty("options").EnumerateObject().ToDictionary(o => o.Name, o => o.Value.GetDouble()),
                g.GetProperty("params").EnumerateArray().Select(x => x.GetInt32()).ToArray())).ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"the optimiser parameter groups are not valid JSON of the expected form: {e.Message}", e);
        }
    }

    /// <summary>Frees the state tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
