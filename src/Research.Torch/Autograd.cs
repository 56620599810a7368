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
        var outs = Required(outputs, nameof(outputs));
        var gouts = GradOutputs(gradOutputs, outputs.Length);
        var ins = Required(inputs, nameof(inputs));
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
        var outs = Required(outputs, nameof(outputs));
        var gouts = GradOutputs(gradOutputs, outputs.Length);
        fixed (IntPtr* po = outs)
        fixed (IntPtr* pg = gouts)
            NativeRuntime.Check(NativeMethods.rt_backward(po, pg, outs.Length, (retainGraph ?? createGraph) ? 1 : 0, createGraph ? 1 : 0));
        GC.KeepAlive(outputs);
        GC.KeepAlive(gradOutputs);
    }

    internal static IntPtr[] Handles(Tensor?[] tensors) => tensors.Select(t => t?.Handle ?? IntPtr.Zero).ToArray();

    /// <summary>The handles of tensors that must all be there: a null array or entry is an <see cref="ArgumentNullException"/> naming it.</summary>
    internal static IntPtr[] Required(Tensor?[]? tensors, string name)
    {
        ArgumentNullException.ThrowIfNull(tensors, name);
        var handles = new IntPtr[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
            handles[i] = tensors[i]?.Handle ?? throw new ArgumentNullException(name, $"{name}[{i}] is null");
        return handles;
    }

    /// <summary>One gradient per output (null entries: ones for scalars); any other count is an <see cref="ArgumentException"/>.</summary>
    private static IntPtr[] GradOutputs(Tensor?[]? gradOutputs, int outputs)
    {
        if (gradOutputs is null) return new IntPtr[outputs];
        if (gradOutputs.Length != outputs)
            throw new ArgumentException($"{gradOutputs.Length} grad outputs for {outputs} outputs: give one per output (null for a scalar's 1)", nameof(gradOutputs));
        return Handles(gradOutputs);
    }
}

public partial class Tensor
{
    /// <summary>Computes gradients of this tensor (a scalar unless <paramref name="gradient"/> is given) into the leaves' <c>.Grad</c>.</summary>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false) =>
        Autograd.Backward([this], gradient is null ? null : [gradient], retainGraph, createGraph);
}
