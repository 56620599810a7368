namespace Research.Torch.Native;

/// <summary>
/// Optimiser updates fused into one pass over a parameter and its state (native/src/optim.cpp): the same operations,
/// order and precision as the op-by-op update, without its temporaries and repeated passes over memory.
/// </summary>
internal static class FusedOptim
{
    /// <summary>
    /// Adam's (or AdamW's, <paramref name="decoupled"/>) update of <paramref name="param"/> in place; false, with nothing
    /// changed, when the tensors are not all dense contiguous CPU float32/float64 tensors of one shape and dtype (the
    /// caller then runs the op-by-op update). <paramref name="maxExpAvgSq"/> is required when <paramref name="amsgrad"/>.
    /// </summary>
    public static bool Adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, double lr, double beta1,
        double beta2, double eps, double weightDecay, double step, bool amsgrad, bool maximize, bool decoupled)
    {
        Interrupt.ThrowIfRequested();
        int code = NativeMethods.rt_adam_update(param.Handle, grad.Handle, expAvg.Handle, expAvgSq.Handle, maxExpAvgSq?.Handle ?? IntPtr.Zero,
            lr, beta1, beta2, eps, weightDecay, step, amsgrad ? 1 : 0, maximize ? 1 : 0, decoupled ? 1 : 0, out int fused);
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(expAvg);
        GC.KeepAlive(expAvgSq);
        GC.KeepAlive(maxExpAvgSq);
        NativeRuntime.Check(code);
        return fused == 1;
    }
}
