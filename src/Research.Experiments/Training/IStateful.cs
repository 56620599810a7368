using Research.Torch;

namespace Research.Experiments;

/// <summary>Something whose tensors a checkpoint saves and restores: parameters, buffers, optimizer state.</summary>
public interface IStateful
{
    /// <summary>The live tensors by name (not copies; the caller does not dispose them).</summary>
    IReadOnlyDictionary<string, Tensor> StateDict();

    /// <summary>Copies saved values into the live tensors.</summary>
    void LoadStateDict(IReadOnlyDictionary<string, Tensor> state);
}
