using Research.Torch;

namespace Research.Experiments;

/// <summary>A checkpoint read back: its progress and tensors (disposed with this object).</summary>
public sealed class LoadedCheckpoint(CheckpointInfo info, TrainingProgress progress, Dictionary<string, Tensor> tensors) : IDisposable
{
    /// <summary>Which checkpoint this is.</summary>
    public CheckpointInfo Info { get; } = info;

    /// <summary>Steps done, seed and bookkeeping.</summary>
    public TrainingProgress Progress { get; } = progress;

    /// <summary>The saved tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; } = tensors;

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
