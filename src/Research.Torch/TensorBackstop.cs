using Research.Torch.Native;

namespace Research.Torch;

/// <summary>
/// The finalizer of a tensor that no <see cref="DisposeScope"/> owns: if the tensor is collected without being
/// disposed, this frees its native memory. Only the tensor refers to it, so both become unreachable together.
/// </summary>
/// <remarks>
/// Why a separate object: allocating an object with a finalizer costs CoreCLR several times a plain allocation
/// (it registers with the finalization queue), which is a measurable share of a one-element op. Tensors a scope
/// owns cannot be collected before the scope frees them, so they get no backstop and pay nothing; a tensor gets
/// one when it is created outside every scope or leaves its scope (<see cref="DisposeScope.Keep(Tensor)"/> at
/// the outermost scope, <see cref="Tensor.DetachFromScope"/>).
/// </remarks>
internal sealed class TensorBackstop(IntPtr handle, LiveTensors? tracker)
{
    private IntPtr _handle = handle;

    /// <summary>The tensor was disposed: nothing left to do.</summary>
    public void Disarm()
    {
        _handle = IntPtr.Zero;
        GC.SuppressFinalize(this);
    }

    ~TensorBackstop()
    {
        if (_handle == IntPtr.Zero) return;
        NativeMethods.rt_tensor_free(_handle);
        Tensor.CountFreedByBackstop();
        tracker?.Freed();
    }
}
