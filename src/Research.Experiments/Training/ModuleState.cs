using Research.Torch;
using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Experiments;

/// <summary>
/// A model and (optionally) its optimizer as checkpointable state: tensors <c>model.&lt;name&gt;</c> (parameters and
/// persistent buffers) and <c>optimizer.state.&lt;i&gt;.&lt;name&gt;</c> (moments, step counts). On load the optimizer keeps
/// its current hyper-parameters, so a resume may change them (e.g. a lower learning rate after a NaN).
/// </summary>
public sealed class ModuleState(Module model, Optimizer? optimizer = null) : IStateful
{
    /// <summary>The model.</summary>
    public Module Model { get; } = model;

    /// <summary>The optimizer, or null.</summary>
    public Optimizer? Optimizer { get; } = optimizer;

    /// <summary>
    /// The state by name. Parameters are the live <see cref="Parameter"/> objects (so their gradients can be checked);
    /// buffers and optimizer state are handles owned by the current dispose scope.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in Model.StateDict()) all["model." + k] = v;
        foreach (var (k, p) in Model.NamedParameters()) all["model." + k] = p;
        if (Optimizer is not null)
            foreach (var (k, v) in Optimizer.StateDict().Tensors) all["optimizer." + k] = v;
        return all;
    }

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        using var scope = NewScope();
        Model.LoadStateDict(Prefixed(state, "model."));
        if (Optimizer is null) return;
        var current = Optimizer.StateDict();
        Optimizer.LoadStateDict(new OptimizerState(Prefixed(state, "optimizer."), current.Groups));
    }

    private static Dictionary<string, Tensor> Prefixed(IReadOnlyDictionary<string, Tensor> state, string prefix) =>
        state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
