namespace Research.Torch.Optim;

/// <summary>
/// Parameters that share hyper-parameters (torch's param_groups entry). Options are numbers by name
/// ("lr", "weight_decay", "momentum", "beta1", ...); those not set take the optimiser's defaults.
/// </summary>
public sealed class ParamGroup
{
    /// <summary>A group of <paramref name="parameters"/> with optional per-group options.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double>? options = null)
    {
        Parameters = parameters.ToList();
        if (options is not null)
            foreach (var (k, v) in options) Options[k] = v;
    }

    /// <summary>The parameters updated together.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The hyper-parameters by name (PyTorch's names, with betas as beta1/beta2; booleans as 0/1).</summary>
    public Dictionary<string, double> Options { get; } = new();

    /// <summary>A hyper-parameter by name.</summary>
    public double this[string name]
    {
        get => Options.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"parameter group has no option '{name}' (has {string.Join(", ", Options.Keys)})");
        set => Options[name] = value;
    }

    /// <summary>The learning rate ("lr"), which schedulers change.</summary>
    public double LearningRate
    {
        get => this["lr"];
        set => Options["lr"] = !double.IsNaN(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a learning rate cannot be NaN");   // schedulers may go below 0, as in PyTorch
    }
}
