using System.Collections;
using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Experiments;

/// <summary>
/// Named tensors that make up training state (<c>new TensorState { ["w"] = w, ["b"] = b }</c>), restored in place
/// with <see cref="Tensor.Copy_"/> so references held by a model or optimizer stay valid. Nest states with
/// <see cref="Add(string, IStateful)"/>: their names get the prefix and a dot.
/// </summary>
public sealed class TensorState : IStateful, IEnumerable<KeyValuePair<string, Tensor>>
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<(string Prefix, IStateful State)> _children = new();

    /// <summary>Adds or replaces a tensor.</summary>
    public Tensor this[string name]
    {
        get => _tensors[name];
        set => _tensors[name] = value;
    }

    /// <summary>Adds a tensor.</summary>
    public void Add(string name, Tensor tensor) => _tensors.Add(name, tensor);

    /// <summary>Adds a nested state whose names are prefixed with <paramref name="prefix"/>.</summary>
    public void Add(string prefix, IStateful state) => _children.Add((prefix, state));

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var all = new Dictionary<string, Tensor>(_tensors, StringComparer.Ordinal);
        foreach (var (prefix, state) in _children)
            foreach (var (name, t) in state.StateDict()) all[$"{prefix}.{name}"] = t;
        return all;
    }

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        var missing = _tensors.Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new KeyNotFoundException($"the saved state lacks {string.Join(", ", missing)}");
        using (NoGrad())
            foreach (var (name, t) in _tensors)
            {
                var saved = state[name];
                if (!saved.Shape.SequenceEqual(t.Shape))
                    throw new ArgumentException($"'{name}' is [{string.Join(", ", t.Shape)}] but the saved tensor is [{string.Join(", ", saved.Shape)}]");
                t.Copy_(saved);
            }
        foreach (var (prefix, child) in _children)
        {
            var p = prefix + ".";
            child.LoadStateDict(state.Where(kv => kv.Key.StartsWith(p, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[p.Length..], kv => kv.Value));
        }
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
