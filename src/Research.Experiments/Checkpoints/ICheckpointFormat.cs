using Research.Torch;

namespace Research.Experiments;

/// <summary>How a checkpoint's named tensors are stored on disk.</summary>
public interface ICheckpointFormat
{
    /// <summary>File name of the tensor file inside a checkpoint directory, e.g. "state.pt".</summary>
    string FileName { get; }

    /// <summary>Writes the named tensors to <paramref name="path"/>.</summary>
    void Write(IReadOnlyDictionary<string, Tensor> tensors, string path);

    /// <summary>Reads the named tensors from <paramref name="path"/>; the caller owns them.</summary>
    Dictionary<string, Tensor> Read(string path);
}
