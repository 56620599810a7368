using Research.Torch;

namespace Research.Experiments;

/// <summary>Checkpoint tensors in PyTorch's pickle format (<c>torch.load</c> reads them as a dict), via <see cref="Research.Torch.Torch.Save(IReadOnlyDictionary{string, Tensor}, string)"/>.</summary>
public sealed class TorchPickleFormat : ICheckpointFormat
{
    /// <inheritdoc />
    public string FileName => "state.pt";

    /// <inheritdoc />
    public void Write(IReadOnlyDictionary<string, Tensor> tensors, string path) => Research.Torch.Torch.Save(tensors, path);

    /// <inheritdoc />
    public Dictionary<string, Tensor> Read(string path) => Research.Torch.Torch.Load(path);
}
