using Research.Torch.Native;

namespace Research.Torch;

/// <summary>torch.autograd: gradients of outputs with respect to inputs.</summary>
public static class Autograd
{
    /// <summary>
    /// Gradients of <paramref name="outputs"/> w.r.t. <paramref name="inputs"/> without touching <c>.Grad</c>.
    /// With <paramref name="createGraph"/>, the results are differentiable again (double backward).
    /// An entry is null when its input is unused and <paramref name="allowUnused"/> is set.
    /// </summary>
    public static unsafe Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"{gradOutputs.Length} grad outputs for {outputs.Length} outputs", nameof(gradOutputs));
        var outs = Handles(outputs);
        var gouts = gradOutputs is null ? new IntPtr[outputs.Length] : Handles(gradOutputs);
        var ins = Handles(inputs);
        var results = new IntPtr[inputs.Length];
        fixed (IntPtr* po = outs)
        fixed (IntPtr* pg = gouts)
        fixed (IntPtr* pi = ins)
        fixed (IntPtr* pr = results)
            NativeRuntime.Check(NativeMethods.rt_autograd_grad(po, pg, outs.Length, pi, ins.Length,
                (retainGraph ?? createGraph) ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0, pr));
        GC.KeepAlive(outputs);
        GC.KeepAlive(inputs);
        GC.KeepAlive(gradOutputs);
        return results.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
    }

    /// <summary>Gradient of a single output w.r.t. a single input.</summary>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null, bool createGraph = false) =>
        Grad([output], [input], gradOutput is null ? null : [gradOutput], retainGraph, createGraph)[0]
        ?? throw new InvalidOperationException("the input is not part of the output's graph");

    /// <summary>Accumulates gradients of <paramref name="outputs"/> into the leaves' <c>.Grad</c>.</summary>
    public static unsafe void Backward(Tensor[] outputs, Tensor?[]? gradOutputs = null, bool? retainGraph = null, bool createGraph = false)
    {
        var outs = Handles(outputs);
        var gouts = gradOutputs is null ? new IntPtr[outputs.Length] : Handles(gradOutputs);
        fixed (IntPtr* po = outs)
        fixed (IntPtr* pg = gouts)
            NativeRuntime.Check(NativeMethods.rt_backward(po, pg, outs.Length, (retainGraph ?? createGraph) ? 1 : 0, createGraph ? 1 : 0));
        GC.KeepAlive(outputs);
        GC.KeepAlive(gradOutputs);
    }

    internal static IntPtr[] Handles(Tensor?[] tensors) => tensors.Select(t => t?.Handle ?? IntPtr.Zero).ToArray();
}

public partial class Tensor
{
    /// <summary>Computes gradients of this tensor (a scalar unless <paramref name="gradient"/> is given) into the leaves' <c>.Grad</c>.</summary>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false) =>
        Autograd.Backward([this], gradient is null ? null : [gradient], retainGraph, createGraph);
}
