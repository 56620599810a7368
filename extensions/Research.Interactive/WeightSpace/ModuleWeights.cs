using Research.Torch;
using Research.Torch.NN;

namespace Research.Interactive;

/// <summary>
/// A module's parameters as one flat float vector (in <see cref="Module.NamedParameters"/> order), the form the
/// weight-space views take: <see cref="WeightPath"/>, <see cref="LossLandscape"/>, <see cref="LinearInterpolation"/>.
/// </summary>
public static class ModuleWeights
{
    /// <summary>The parameters flattened (trainable ones only when <paramref name="trainableOnly"/>), copied to float32.</summary>
    public static float[] Flatten(Module module, bool trainableOnly = false)
    {
        var parameters = Select(module, trainableOnly);
        var result = new float[parameters.Sum(p => p.Param.NumEl)];
        using var scope = Research.Torch.Torch.NewScope();
        int offset = 0;
        foreach (var (_, p) in parameters)
        {
            int n = checked((int)p.NumEl);
            p.Detach().To(Device.CPU, DType.Float32).Contiguous().CopyTo<float>(result.AsSpan(offset, n));
            offset += n;
        }
        return result;
    }

    /// <summary>The shapes of the flattened parameters, in order (what <see cref="LossLandscape"/> normalises filter by filter).</summary>
    public static IReadOnlyList<int[]> Shapes(Module module, bool trainableOnly = false) =>
        Select(module, trainableOnly).Select(p => p.Param.Shape.Select(d => checked((int)d)).ToArray()).ToList();

    /// <summary>The dotted names of the flattened parameters, in order.</summary>
    public static IReadOnlyList<string> Names(Module module, bool trainableOnly = false) =>
        Select(module, trainableOnly).Select(p => p.Name).ToList();

    /// <summary>Copies a flat vector back into the parameters (without recording gradients), e.g. to evaluate the loss at a point of a PCA plane.</summary>
    public static void Assign(Module module, ReadOnlySpan<float> weights, bool trainableOnly = false)
    {
        var parameters = Select(module, trainableOnly);
        long total = parameters.Sum(p => p.Param.NumEl);
        if (total != weights.Length)
            throw new ArgumentException($"{module.GetType().Name} has {total} {(trainableOnly ? "trainable " : "")}parameter values but the vector has {weights.Length}.", nameof(weights));
        using var scope = Research.Torch.Torch.NewScope();
        using var noGrad = Research.Torch.Torch.NoGrad();
        int offset = 0;
        foreach (var (_, p) in parameters)
        {
            int n = checked((int)p.NumEl);
            p.Copy_(Tensor.From(weights.Slice(offset, n), p.Shape));
            offset += n;
        }
    }

    private static List<(string Name, Parameter Param)> Select(Module module, bool trainableOnly) =>
        module.NamedParameters().Where(p => !trainableOnly || p.Param.RequiresGrad).ToList();
}
