using Research.Torch.NN;
using Research.Torch.Optim;
using static Research.Torch.Torch;

namespace Research.Torch.Serialization;

/// <summary>
/// A model's (and optionally an optimiser's) state in one safetensors file with string metadata:
/// tensors <c>model.&lt;name&gt;</c> and <c>optimizer.state.&lt;i&gt;.&lt;name&gt;</c>, the optimiser's
/// parameter groups as JSON in the metadata. Writes are atomic, so a crash mid-save keeps the previous file.
/// </summary>
public static class Checkpoint
{
    /// <summary>Metadata key of the format tag.</summary>
    public const string FormatKey = "checkpoint.format";

    /// <summary>Metadata key of the optimiser's parameter groups (JSON).</summary>
    public const string OptimizerGroupsKey = "checkpoint.optimizer_groups";

    private const string Format = "research.torch/1";

    /// <summary>Saves the model, the optimiser and user metadata (keys must not start with "checkpoint.").</summary>
    public static void Save(string path, Module model, Optimizer? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewScope();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, v) in model.StateDict()) tensors["model." + k] = v;
        var meta = new Dictionary<string, string>();
        if (metadata is not null)
            foreach (var (k, v) in metadata)
            {
                if (k.StartsWith("checkpoint.")) throw new ArgumentException($"metadata key '{k}' is reserved", nameof(metadata));
                meta[k] = v;
            }
        meta[FormatKey] = Format;
        if (optimizer is not null)
        {
            var state = optimizer.StateDict();
            foreach (var (k, v) in state.Tensors) tensors["optimizer." + k] = v;
            meta[OptimizerGroupsKey] = state.GroupsToJson();
        }
        SafeTensors.Save(tensors, path, meta);
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/> (and <paramref name="optimizer"/>) and returns the user metadata.
    /// Throws <see cref="InvalidDataException"/> for damaged files and <see cref="StateDictMismatchException"/> for a different model.
    /// </summary>
    public static Dictionary<string, string> Load(string path, Module model, Optimizer? optimizer = null, bool strict = true)
    {
        using var scope = NewScope();
        var all = SafeTensors.Load(path, out var meta);
        if (!meta.TryGetValue(FormatKey, out var format) || format != Format)
            throw new InvalidDataException($"{path} is a safetensors file but not a checkpoint written by {nameof(Checkpoint)} ({FormatKey} = {format ?? "missing"})");
        var modelState = all.Where(kv => kv.Key.StartsWith("model.")).ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value);
        model.LoadStateDict(modelState, strict);
        if (optimizer is not null)
        {
            if (!meta.TryGetValue(OptimizerGroupsKey, out var groups))
                throw new InvalidDataException($"{path} holds no optimiser state");
            var state = new OptimizerState(
                all.Where(kv => kv.Key.StartsWith("optimizer.")).ToDictionary(kv => kv.Key["optimizer.".Length..], kv => kv.Value),
                OptimizerState.GroupsFromJson(groups));
            optimizer.LoadStateDict(state);
        }
        return meta.Where(kv => !kv.Key.StartsWith("checkpoint.")).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>The user metadata of a checkpoint, without loading tensors.</summary>
    public static Dictionary<string, string> ReadMetadata(string path) =>
        SafeTensors.ReadHeader(path).Metadata.Where(kv => !kv.Key.StartsWith("checkpoint.")).ToDictionary(kv => kv.Key, kv => kv.Value);
}
