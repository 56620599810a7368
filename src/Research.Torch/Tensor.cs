using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Research.Torch.Native;

namespace Research.Torch;

/// <summary>
/// An n-dimensional array on a device, with autograd, backed by a libtorch tensor. Tensors are
/// <see cref="IDisposable"/>: free them with <c>using</c>, or open a <see cref="DisposeScope"/>
/// (<see cref="Torch.NewScope"/>) that frees every tensor created inside it.
/// </summary>
public partial class Tensor : IDisposable
{
    private static long s_live;
    private IntPtr _handle;
    private readonly LiveTensors? _tracker;
    private DisposeScope? _scope;
    private TensorBackstop? _backstop;      // only while no scope owns the tensor: see TensorBackstop

    internal Tensor(IntPtr handle)
    {
        _handle = handle;
        Interlocked.Increment(ref s_live);
        _tracker = LiveTensors.Current;
        _tracker?.Created();
        if (!DisposeScope.Register(this)) _backstop = new TensorBackstop(handle, _tracker);
    }

    /// <summary>Tensors created and not yet freed, process-wide (a leak detector for tests and notebooks).</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    /// <summary>
    /// Counts the tensors this thread creates from now on that are still alive, until disposed: a leak detector that
    /// nothing else in the process moves (other threads' tensors, finalizers of tensors leaked before it started).
    /// </summary>
    public static LiveTensors TrackLive() => new();

    /// <summary>
    /// The scope that owns the tensor, or null. A tensor that leaves its scope (kept at the outermost scope, or
    /// detached) gets a <see cref="TensorBackstop"/> then; tensors a scope owns need none, so they cost no finalizer.
    /// </summary>
    internal DisposeScope? Scope
    {
        get => _scope;
        set
        {
            _scope = value;
            if (value is null && _backstop is null && _handle != IntPtr.Zero) _backstop = new TensorBackstop(_handle, _tracker);
        }
    }

    /// <summary>True once the tensor was freed.</summary>
    public bool IsDisposed => _handle == IntPtr.Zero;

    internal IntPtr Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _handle != IntPtr.Zero ? _handle : ThrowDisposed();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IntPtr ThrowDisposed() =>
        throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (explicitly or by its DisposeScope); keep results with scope.Keep(t) or t.DetachFromScope()");

    /// <summary>Frees the native tensor now. Idempotent.</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h == IntPtr.Zero) return;
        NativeMethods.rt_tensor_free(h);
        Interlocked.Decrement(ref s_live);
        _tracker?.Freed();
        _backstop?.Disarm();
    }

    /// <summary>Counts a tensor its backstop freed (it was never disposed).</summary>
    internal static void CountFreedByBackstop() => Interlocked.Decrement(ref s_live);

    /// <summary>Takes the tensor out of its dispose scope: the caller now owns it and must dispose it.</summary>
    public Tensor DetachFromScope()
    {
        Scope = null;
        return this;
    }

    /// <summary>Moves the tensor from its scope to the enclosing one (or to the caller at the outermost scope).</summary>
    public Tensor MoveToOuterScope() => Scope is { } s ? s.Keep(this) : this;

    /// <summary>A second .NET handle to the same tensor (same storage, same autograd identity), owned independently.</summary>
    public Tensor Alias() => new(NativeMethods.rt_tensor_alias(Handle));

    private RtTensorInfo Info
    {
        get
        {
            NativeRuntime.Check(NativeMethods.rt_tensor_info(Handle, out var info));
            return info;
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int Dim => Info.NDim;

    /// <summary>Number of elements.</summary>
    public long NumEl => Info.Numel;

    /// <summary>The element type.</summary>
    public DType DType => (DType)Info.DType;

    /// <summary>The device holding the data.</summary>
    public Device Device
    {
        get
        {
            var i = Info;
            return new Device((DeviceType)i.DeviceType, i.DeviceIndex);
        }
    }

    /// <summary>The sizes of every dimension.</summary>
    public unsafe long[] Shape
    {
        get
        {
            var n = Dim;
            var shape = new long[n];
            fixed (long* p = shape) NativeRuntime.Check(NativeMethods.rt_tensor_shape(Handle, p, null, n));
            return shape;
        }
    }

    /// <summary>The strides of every dimension, in elements.</summary>
    public unsafe long[] Strides
    {
        get
        {
            var n = Dim;
            var shape = new long[n];
            var strides = new long[n];
            fixed (long* p = shape)
            fixed (long* s = strides)
                NativeRuntime.Check(NativeMethods.rt_tensor_shape(Handle, p, s, n));
            return strides;
        }
    }

    /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        int d = dim < 0 ? dim + shape.Length : dim;
        if (d < 0 || d >= shape.Length)
            throw new TorchIndexException($"Dimension out of range (expected to be in range of [{-shape.Length}, {shape.Length - 1}], but got {dim})");
        return shape[d];
    }

    /// <summary>Whether autograd records operations on this tensor.</summary>
    public bool RequiresGrad
    {
        get => Info.RequiresGrad != 0;
        set => NativeRuntime.Check(NativeMethods.rt_tensor_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (PyTorch's <c>requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>True for tensors created by the user rather than by a differentiable operation.</summary>
    public bool IsLeaf => Info.IsLeaf != 0;

    /// <summary>The gradient accumulated by <see cref="Backward"/>, or null. Each read returns a new handle.</summary>
    public Tensor? Grad
    {
        get
        {
            NativeRuntime.Check(NativeMethods.rt_tensor_grad(Handle, out var g));
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
        set
        {
            // As PyTorch: a gradient has the tensor's shape, dtype and device, and is not the tensor itself.
            if (value is not null)
            {
                if (value.IsSameAs(this)) throw new ArgumentException("a tensor cannot be its own gradient", nameof(value));
                if (value.DType != DType || value.Device != Device || !value.Shape.SequenceEqual(Shape))
                    throw new ArgumentException($"a gradient must match its tensor: got {value.DType.Name()} {value.ShapeString} on {value.Device} " +
                        $"for {DType.Name()} {ShapeString} on {Device}", nameof(value));
            }
            NativeRuntime.Check(NativeMethods.rt_tensor_set_grad(Handle, value?.Handle ?? IntPtr.Zero));
            GC.KeepAlive(value);
        }
    }

    /// <summary>Keeps the gradient of a non-leaf tensor after backward.</summary>
    public void RetainGrad() => NativeRuntime.Check(NativeMethods.rt_tensor_retain_grad(Handle));

    /// <summary>True when both handles refer to the same libtorch tensor.</summary>
    public bool IsSameAs(Tensor other) => NativeMethods.rt_tensor_same(Handle, other.Handle) != 0;

    // ---- data in and out ----

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, params ReadOnlySpan<long> shape) where T : unmanaged =>
        Create(data, shape.Length == 0 ? [data.Length] : shape.ToArray());

    private static unsafe Tensor Create<T>(ReadOnlySpan<T> data, long[] dims) where T : unmanaged
    {
        var dtype = DTypes.Of<T>();
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative size {d} in shape [{string.Join(", ", dims)}]", nameof(dims));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", dims)}] holds {count} elements but {data.Length} were given", nameof(data));
        IntPtr h;
        fixed (T* p = data)
        fixed (long* s = dims)
            NativeRuntime.Check(NativeMethods.rt_tensor_from_data(p, s, dims.Length, (int)dtype, out h));
        return new Tensor(h);
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    public static Tensor From<T>(T[] data, params long[] shape) where T : unmanaged => From<T>(data.AsSpan(), shape.AsSpan());

    /// <summary>A 2-D tensor holding a copy of a rectangular array.</summary>
    public static Tensor From<T>(T[,] data) where T : unmanaged =>
        From<T>(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length),
            data.GetLength(0), data.GetLength(1));

    /// <summary>A 3-D tensor holding a copy of a rectangular array.</summary>
    public static Tensor From<T>(T[,,] data) where T : unmanaged =>
        From<T>(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length),
            data.GetLength(0), data.GetLength(1), data.GetLength(2));

    /// <summary>A 0-D tensor holding one value.</summary>
    public static Tensor ScalarTensor<T>(T value) where T : unmanaged => Create(new ReadOnlySpan<T>(in value), []);

    /// <summary>Copies the values (flattened, row-major) into <paramref name="destination"/>; converts to <typeparamref name="T"/>'s dtype if needed.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var want = DTypes.Of<T>();
        var src = DType == want ? this : To(want);
        try
        {
            fixed (T* p = destination)
                NativeRuntime.Check(NativeMethods.rt_tensor_copy_to(src.Handle, p, (long)destination.Length * sizeof(T)));
        }
        finally
        {
            if (!ReferenceEquals(src, this)) src.Dispose();
        }
    }

    /// <summary>The values as a flat array (row-major), converted to <typeparamref name="T"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[checked((int)NumEl)];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>The values of a 2-D tensor as a rectangular array.</summary>
    public T[,] ToArray2D<T>() where T : unmanaged
    {
        var shape = Shape;
        if (shape.Length != 2) throw new InvalidOperationException($"ToArray2D needs a 2-D tensor, got shape [{string.Join(", ", shape)}]");
        var result = new T[shape[0], shape[1]];
        CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(result)), result.Length));
        return result;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public T Item<T>() where T : unmanaged
    {
        var n = NumEl;
        if (n != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, but this one has {n} (shape [{string.Join(", ", Shape)}])");
        T value = default;
        CopyTo(new Span<T>(ref value));
        return value;
    }

    public override string ToString() => IsDisposed ? "Tensor(disposed)" : TensorFormat.Format(this);
}
