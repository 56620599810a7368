using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Research.Torch.Native;

namespace Research.Torch;

/// <summary>
/// An autograd function whose backward is written in C# (PyTorch's <c>torch.autograd.Function</c>):
/// straight-through estimators, feedback alignment, local learning rules.
/// </summary>
/// <example>
/// <code>
/// var y = CustomFunction.Apply("ste_sign", [x],
///     forward: xs => [xs[0].Sign()],
///     backward: grads => [grads[0]]);   // pass the gradient straight through
/// </code>
/// </example>
public static unsafe class CustomFunction
{
    private sealed record Entry(Func<Tensor?[], Tensor?[]> Backward, int InputCount);

    private static readonly ConcurrentDictionary<long, Entry> s_entries = new();
    private static long s_next;

    /// <summary>Functions whose graph is still alive (their backward closure is held).</summary>
    public static int LiveCount => s_entries.Count;

    /// <summary>
    /// Runs <paramref name="forward"/> without recording a graph, then connects its outputs to
    /// <paramref name="inputs"/> through <paramref name="backward"/>, which receives the gradients of
    /// the outputs (null when an output got none) and returns one gradient per input (null for none).
    /// </summary>
    public static Tensor[] Apply(string name, Tensor[] inputs, Func<Tensor[], Tensor[]> forward, Func<Tensor?[], Tensor?[]> backward)
    {
        var ins = Autograd.Required(inputs, nameof(inputs));
        Tensor[] outputs;
        using (Torch.NoGrad()) outputs = forward(inputs);
        var outs = Autograd.Required(outputs, $"the outputs of {name}'s forward");
        long id = Interlocked.Increment(ref s_next);
        s_entries[id] = new Entry(backward, inputs.Length);
        int code;
        fixed (IntPtr* pi = ins)
        fixed (IntPtr* po = outs)
            code = NativeMethods.rt_custom_function_apply(id, name, pi, ins.Length, po, outs.Length);
        GC.KeepAlive(inputs);
        if (code != 0)
        {
            s_entries.TryRemove(id, out _);
            NativeRuntime.Check(code);
        }
        // The shim rebound each output handle in place to a fresh tensor whose grad_fn is this function.
        return outputs;
    }

    internal static void RegisterCallbacks() => NativeMethods.rt_set_custom_function_callbacks(&OnBackward, &OnRelease);

    [UnmanagedCallersOnly]
    private static int OnBackward(long id, IntPtr* grads, int ngrads, IntPtr* results, int nresults)
    {
        try
        {
            if (!s_entries.TryGetValue(id, out var entry)) throw new InvalidOperationException($"custom function {id} is gone");
            using var scope = Torch.NewScope();
            var gs = new Tensor?[ngrads];
            for (int k = 0; k < ngrads; k++) gs[k] = grads[k] == IntPtr.Zero ? null : new Tensor(grads[k]);
            var outs = entry.Backward(gs);
            if (outs.Length != nresults)
                throw new InvalidOperationException($"backward returned {outs.Length} gradients for {nresults} inputs");
            for (int k = 0; k < nresults; k++)
                results[k] = outs[k] is { } t ? NativeMethods.rt_tensor_alias(t.Handle) : IntPtr.Zero;
            return 0;
        }
        catch (Exception e)
        {
            NativeMethods.rt_set_last_error($"{e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnRelease(long id) => s_entries.TryRemove(id, out _);
}
