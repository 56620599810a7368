using Research.Torch;
using Research.Torch.Serialization;

namespace Research.Experiments;

/// <summary>Checkpoint tensors as a safetensors file (the default): no pickle, readable by the safetensors libraries.</summary>
public sealed class SafeTensorsFormat : ICheckpointFormat
{
    /// <inheritdoc />
    public string FileName => "state.safetensors";

    /// <inheritdoc />
    public void Write(IReadOnlyDictionary<string, Tensor> tensors, string path) => SafeTensors.Save(tensors, path);

    /// <inheritdoc />
    public Dictionary<string, Tensor> Read(string path) => SafeTensors.Load(path);
}
