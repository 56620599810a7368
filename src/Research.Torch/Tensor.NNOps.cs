using Research.Torch.Native;

namespace Research.Torch;

/// <summary>Hooks the nn, optim and serialization layers need from the core tensor.</summary>
public partial class Tensor
{
    private static readonly Op s_addcmulOp = new("addcmul");

    /// <summary>A new native handle to a detached (leaf) view of <paramref name="data"/>'s storage, for wrapping as a parameter.</summary>
    internal static IntPtr DetachedHandle(Tensor data)
    {
        using var d = data.Detach();
        return NativeMethods.rt_tensor_alias(d.Handle);
    }

    /// <summary>
    /// Makes this object refer to <paramref name="source"/>'s native tensor and frees the old one;
    /// <paramref name="source"/> is left disposed. Keeps .NET references (in optimisers, modules) valid across To(device).
    /// </summary>
    internal void TakeNative(Tensor source)
    {
        var h = Interlocked.Exchange(ref source._handle, IntPtr.Zero);
        if (h == IntPtr.Zero) throw new ObjectDisposedException(nameof(Tensor), "the source tensor was disposed");
        source._backstop?.Disarm();
        var old = Interlocked.Exchange(ref _handle, h);
        _backstop?.Disarm();                                            // the backstop guards a handle: a new one for h
        _backstop = _scope is null ? new TensorBackstop(h, _tracker) : null;
        source._tracker?.Freed();                                       // the source object is gone ...
        if (old != IntPtr.Zero)
        {
            NativeMethods.rt_tensor_free(old);
            Interlocked.Decrement(ref s_live);                          // ... and this one's old tensor with it
        }
        else _tracker?.Created();                                       // ... and this disposed one lives again
    }

    /// <summary>Address of the first element of a contiguous CPU tensor.</summary>
    internal IntPtr DataPointer()
    {
        NativeRuntime.Check(NativeMethods.rt_tensor_data_ptr(Handle, out var p));
        return p;
    }


    /// <summary>self + value · t1 · t2 (not in place).</summary>
    public Tensor AddCMul(Tensor t1, Tensor t2, Scalar value) => s_addcmulOp.Call(this, t1, t2, value);

    /// <summary>The shape as PyTorch prints it, e.g. <c>[4, 3]</c> (for error messages).</summary>
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}
