using Research.Torch;

namespace Research.Torch.Tests;

/// <summary>
/// One differential case: the same computation written with Research.Torch and with PyTorch, on
/// inputs x (and y), compared in value and in the gradient of sum(out · w) with respect to each input.
/// </summary>
public sealed record OpCase(string Name, Func<Tensor, Tensor, Tensor> Ours, string Python, bool Positive = false, bool Differentiable = true)
{
    public override string ToString() => Name;
}
